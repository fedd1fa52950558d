//! Concurrent configuration changes through the real binary (issue 14 items 10 and 11): an
//! Operator looping SetVideoEncoderConfiguration (Media) and SetImagingSettings (Imaging)
//! while the administrator creates, changes and deletes users (Device). Every change that was
//! answered 200 must be in the settings afterwards, a deleted user must not log in, and two
//! administrators deleting each other at the same moment must leave one.

mod support;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use support::Daemon;
use support::soap::{self, DEVICE, IMAGING, MEDIA};

const ADMIN_PASSWORD: &str = "admin-Secret1";
const START: Duration = Duration::from_secs(60);

fn admin(port: u16, body: &str) -> String {
    let (status, text) = soap::post(port, DEVICE, "admin", ADMIN_PASSWORD, body);
    assert_eq!(status, 200, "{body}: {text}");
    text
}

fn user_xml(name: &str, password: &str, level: &str) -> String {
    format!(
        "<tds:User><tt:Username>{name}</tt:Username><tt:Password>{password}</tt:Password><tt:UserLevel>{level}</tt:UserLevel></tds:User>"
    )
}

/// The sub stream's encoder configuration with `kbps` (everything else as the defaults).
fn encoder_xml(kbps: u32) -> String {
    format!(
        r#"<trt:SetVideoEncoderConfiguration><trt:Configuration token="venc_sub"><tt:Name>Sub H.264</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>640</tt:Width><tt:Height>360</tt:Height></tt:Resolution><tt:Quality>5</tt:Quality><tt:RateControl><tt:FrameRateLimit>15</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>{kbps}</tt:BitrateLimit></tt:RateControl><tt:H264><tt:GovLength>30</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.42.42</tt:IPv4Address></tt:Address><tt:Port>5002</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence></trt:SetVideoEncoderConfiguration>"#
    )
}

fn brightness_xml(level: u32) -> String {
    format!(
        "<timg:SetImagingSettings><timg:VideoSourceToken>vs0</timg:VideoSourceToken><timg:ImagingSettings><tt:Brightness>{level}</tt:Brightness></timg:ImagingSettings></timg:SetImagingSettings>"
    )
}

/// (user name, level) of GetUsers, sorted.
fn users(port: u16) -> Vec<(String, String)> {
    users_as(port, "admin", ADMIN_PASSWORD)
}

fn users_as(port: u16, user: &str, password: &str) -> Vec<(String, String)> {
    let (status, text) = soap::post(port, DEVICE, user, password, "<tds:GetUsers/>");
    assert_eq!(status, 200, "GetUsers: {text}");
    let doc = nvt::xml::parse(text.as_bytes()).unwrap();
    let tds = "http://www.onvif.org/ver10/device/wsdl";
    let tt = "http://www.onvif.org/ver10/schema";
    let body = doc
        .child("http://www.w3.org/2003/05/soap-envelope", "Body")
        .and_then(|b| b.child(tds, "GetUsersResponse"))
        .unwrap_or_else(|| panic!("{text}"));
    let mut out: Vec<(String, String)> = body
        .children
        .iter()
        .filter(|u| u.name == "User")
        .map(|u| {
            (
                u.child(tt, "Username").unwrap().text.clone(),
                u.child(tt, "UserLevel").unwrap().text.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Whether `user` can call an operation that needs a login (READ_SYSTEM).
fn can_log_in(port: u16, user: &str, password: &str) -> bool {
    let (status, text) = soap::post(port, DEVICE, user, password, "<tds:GetDeviceInformation/>");
    match status {
        200 => true,
        400 | 401 => false,
        _ => panic!("{user}: unexpected answer {status}: {text}"),
    }
}

fn start(state: &std::path::Path) -> (Daemon, u16) {
    Daemon::start_admin(state, ADMIN_PASSWORD, &[])
}

/// Issue 14 item 10: changes from Media, Imaging and Device at the same time. Before the
/// camera core, Media wrote back a whole copy of the settings taken before its SDK call, so
/// users created or deleted meanwhile came back or vanished.
#[test]
fn concurrent_set_from_media_imaging_and_device_loses_nothing() {
    const ROUNDS: u32 = 30;
    let state = support::temp_state();
    let (mut nvt, port) = start(state.path());
    admin(
        port,
        &format!(
            "<tds:CreateUsers>{}</tds:CreateUsers>",
            user_xml("op", "op-Secret1", "Operator")
        ),
    );
    let go = Arc::new(Barrier::new(3));
    let media = {
        let go = go.clone();
        std::thread::spawn(move || {
            go.wait();
            for i in 0..ROUNDS * 2 {
                let (status, text) =
                    soap::post(port, MEDIA, "op", "op-Secret1", &encoder_xml(300 + i * 10));
                assert_eq!(status, 200, "SetVideoEncoderConfiguration {i}: {text}");
            }
        })
    };
    let imaging = {
        let go = go.clone();
        std::thread::spawn(move || {
            go.wait();
            for i in 0..ROUNDS * 2 {
                let (status, text) =
                    soap::post(port, IMAGING, "op", "op-Secret1", &brightness_xml(i));
                assert_eq!(status, 200, "SetImagingSettings {i}: {text}");
            }
        })
    };
    go.wait();
    for i in 0..ROUNDS {
        let name = format!("c{i}");
        admin(
            port,
            &format!(
                "<tds:CreateUsers>{}</tds:CreateUsers>",
                user_xml(&name, "first-Pass1", "User")
            ),
        );
        admin(
            port,
            &format!(
                "<tds:SetUser>{}</tds:SetUser>",
                user_xml(&name, &format!("second-Pass{i}"), "Operator")
            ),
        );
        if i % 2 == 1 {
            admin(
                port,
                &format!("<tds:DeleteUsers><tds:Username>{name}</tds:Username></tds:DeleteUsers>"),
            );
        }
    }
    media.join().unwrap();
    imaging.join().unwrap();

    let mut expected = vec![
        ("admin".to_owned(), "Administrator".to_owned()),
        ("op".to_owned(), "Operator".to_owned()),
    ];
    expected.extend(
        (0..ROUNDS)
            .filter(|i| i % 2 == 0)
            .map(|i| (format!("c{i}"), "Operator".to_owned())),
    );
    expected.sort();
    assert_eq!(
        users(port),
        expected,
        "every acknowledged users change is kept"
    );
    for i in 0..ROUNDS {
        let name = format!("c{i}");
        let password = format!("second-Pass{i}");
        assert_eq!(
            can_log_in(port, &name, &password),
            i % 2 == 0,
            "{name}: deleted users cannot log in, kept ones can with their new password"
        );
    }
    // The last Media and Imaging values won too.
    let (_, enc) = soap::post(
        port,
        MEDIA,
        "op",
        "op-Secret1",
        "<trt:GetVideoEncoderConfiguration><trt:ConfigurationToken>venc_sub</trt:ConfigurationToken></trt:GetVideoEncoderConfiguration>",
    );
    let last_kbps = 300 + (ROUNDS * 2 - 1) * 10;
    assert!(enc.contains(&format!("BitrateLimit>{last_kbps}<")), "{enc}");
    let (_, img) = soap::post(
        port,
        IMAGING,
        "op",
        "op-Secret1",
        "<timg:GetImagingSettings><timg:VideoSourceToken>vs0</timg:VideoSourceToken></timg:GetImagingSettings>",
    );
    assert!(
        img.contains(&format!("Brightness>{}<", ROUNDS * 2 - 1)),
        "{img}"
    );
    nvt.stop();
    // And the file holds what was acknowledged.
    let saved =
        nvt::settings::parse(&std::fs::read(state.path().join("settings.json")).unwrap()).unwrap();
    let mut names: Vec<String> = saved.users.iter().map(|u| u.username.clone()).collect();
    names.sort();
    let mut want: Vec<String> = expected.into_iter().map(|(n, _)| n).collect();
    want.sort();
    assert_eq!(names, want);
}

/// Issue 14 item 11: two administrators deleting each other at the same moment, round after
/// round. Exactly one DeleteUsers may win each round (before the fix, both could: each
/// checked "an administrator is left" on its own stale copy); the device always keeps an
/// administrator, and restarts with it.
#[test]
fn concurrent_delete_users_always_leave_an_administrator() {
    const ROUNDS: usize = 12;
    const PW: &str = "round-Pass1";
    let state = support::temp_state();
    let (mut nvt, port) = start(state.path());
    let create_pair = |as_user: &str, as_pw: &str, round: usize| {
        let body = format!(
            "<tds:CreateUsers>{}{}</tds:CreateUsers>",
            user_xml(&format!("a{round}"), PW, "Administrator"),
            user_xml(&format!("b{round}"), PW, "Administrator")
        );
        let (status, text) = soap::post(port, DEVICE, as_user, as_pw, &body);
        assert_eq!(status, 200, "round {round} setup: {text}");
        // The creator steps back: the pair are then the only administrators.
        let body =
            format!("<tds:DeleteUsers><tds:Username>{as_user}</tds:Username></tds:DeleteUsers>");
        let (status, text) = soap::post(port, DEVICE, as_user, as_pw, &body);
        assert_eq!(status, 200, "round {round} setup: {text}");
    };
    create_pair("admin", ADMIN_PASSWORD, 0);
    for round in 0..ROUNDS {
        let (a, b) = (format!("a{round}"), format!("b{round}"));
        let go = Arc::new(Barrier::new(2));
        let delete = |me: String, other: String| {
            let go = go.clone();
            std::thread::spawn(move || {
                go.wait();
                soap::post(
                    port,
                    DEVICE,
                    &me,
                    PW,
                    &format!(
                        "<tds:DeleteUsers><tds:Username>{other}</tds:Username></tds:DeleteUsers>"
                    ),
                )
            })
        };
        let ta = delete(a.clone(), b.clone());
        let tb = delete(b.clone(), a.clone());
        let (ra, rb) = (ta.join().unwrap(), tb.join().unwrap());
        let won: Vec<&String> = [(&a, &ra), (&b, &rb)]
            .into_iter()
            .filter(|(_, r)| r.0 == 200)
            .map(|(who, _)| who)
            .collect();
        assert_eq!(
            won.len(),
            1,
            "round {round}: exactly one DeleteUsers may win: {ra:?} {rb:?}"
        );
        let loser = if won[0] == &a { &rb } else { &ra };
        assert!(
            loser.1.contains("FixedUser") || loser.0 == 400 || loser.0 == 401,
            "round {round}: the other is refused as the last administrator, or no longer \
             logs in: {loser:?}"
        );
        let survivor = won[0].clone();
        if round + 1 < ROUNDS {
            create_pair(&survivor, PW, round + 1);
        } else {
            let left = users_as(port, &survivor, PW);
            assert_eq!(left, vec![(survivor.clone(), "Administrator".to_owned())]);
        }
    }
    nvt.stop();
    // The file loads, with its administrator, and the daemon starts from it.
    let saved = nvt::settings::parse(&std::fs::read(state.path().join("settings.json")).unwrap())
        .expect("the settings file loads");
    assert_eq!(nvt::settings::validate::administrators(&saved.users), 1);
    let (mut nvt, _) = start(state.path());
    nvt.stop();
}

/// Time zones SetSystemDateAndTime cycles through (POSIX strings, kept as sent).
const ZONES: [&str; 4] = [
    "<+0530>-5:30",
    "CET-1CEST,M3.5.0,M10.5.0/3",
    "EST5EDT,M3.2.0,M11.1.0",
    "UTC0",
];

/// Every Device Set* that enters the camera core (issue 15 item 1), each looping in its own
/// thread while Media and Imaging loop in theirs. Every acknowledged change must be what
/// GetX answers afterwards, and what the daemon reads from its file after a restart.
#[test]
fn device_changes_concurrent_with_media_and_imaging_are_all_kept() {
    const ROUNDS: u32 = 20;
    /// AddScopes rounds: 12 scopes of ~28 bytes stay within the configurable scopes' bounds
    /// (16 scopes, 512 bytes with the name and location).
    const SCOPES: u32 = 12;
    let state = support::temp_state();
    let (mut nvt, port) = start(state.path());
    admin(
        port,
        &format!(
            "<tds:CreateUsers>{}</tds:CreateUsers>",
            user_xml("op", "op-Secret1", "Operator")
        ),
    );
    /// Round number -> (user, service path, requests to send in a row).
    type Job = Box<dyn Fn(u32) -> (&'static str, &'static str, Vec<String>) + Send>;
    let scope = |i: u32| format!("onvif://www.onvif.org/test/s{i}");
    let jobs: Vec<(u32, Job)> = vec![
        (
            ROUNDS * 2,
            Box::new(|i| ("op", MEDIA, vec![encoder_xml(300 + i * 10)])),
        ),
        (
            ROUNDS * 2,
            Box::new(|i| ("op", IMAGING, vec![brightness_xml(i)])),
        ),
        (
            ROUNDS,
            Box::new(|i| {
                let body =
                    format!("<tds:SetHostname><tds:Name>host-{i}</tds:Name></tds:SetHostname>");
                ("admin", DEVICE, vec![body])
            }),
        ),
        (
            ROUNDS,
            Box::new(|i| {
                let body = format!(
                    "<tds:SetNTP><tds:FromDHCP>false</tds:FromDHCP><tds:NTPManual><tt:Type>IPv4</tt:Type><tt:IPv4Address>192.0.2.{i}</tt:IPv4Address></tds:NTPManual></tds:SetNTP>"
                );
                ("admin", DEVICE, vec![body])
            }),
        ),
        (
            ROUNDS,
            Box::new(|i| {
                let mode = if i % 2 == 0 {
                    "NonDiscoverable"
                } else {
                    "Discoverable"
                };
                let body = format!(
                    "<tds:SetDiscoveryMode><tds:DiscoveryMode>{mode}</tds:DiscoveryMode></tds:SetDiscoveryMode>"
                );
                ("admin", DEVICE, vec![body])
            }),
        ),
        (
            ROUNDS,
            Box::new(|i| {
                // NTP: the camera clock stays the host's, so the tokens of the other threads
                // stay within their time window.
                let body = format!(
                    "<tds:SetSystemDateAndTime><tds:DateTimeType>NTP</tds:DateTimeType><tds:DaylightSavings>{}</tds:DaylightSavings><tds:TimeZone><tt:TZ>{}</tt:TZ></tds:TimeZone></tds:SetSystemDateAndTime>",
                    i % 2 == 0,
                    ZONES[i as usize % ZONES.len()]
                        .replace('<', "&lt;")
                        .replace('>', "&gt;")
                );
                ("admin", DEVICE, vec![body])
            }),
        ),
        (
            SCOPES,
            Box::new(move |i| {
                // Add every scope; after an odd one, remove the even one before it.
                let mut bodies = vec![format!(
                    "<tds:AddScopes><tds:ScopeItem>{}</tds:ScopeItem></tds:AddScopes>",
                    scope(i)
                )];
                if i % 2 == 1 {
                    bodies.push(format!(
                        "<tds:RemoveScopes><tds:ScopeItem>{}</tds:ScopeItem></tds:RemoveScopes>",
                        scope(i - 1)
                    ));
                }
                ("admin", DEVICE, bodies)
            }),
        ),
    ];
    let go = Arc::new(Barrier::new(jobs.len()));
    let threads: Vec<_> = jobs
        .into_iter()
        .map(|(rounds, job)| {
            let go = go.clone();
            std::thread::spawn(move || {
                go.wait();
                for i in 0..rounds {
                    let (user, path, bodies) = job(i);
                    let password = if user == "op" {
                        "op-Secret1"
                    } else {
                        ADMIN_PASSWORD
                    };
                    for body in &bodies {
                        let (status, text) = soap::post(port, path, user, password, body);
                        assert_eq!(status, 200, "{body}: {text}");
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }

    let check = |port: u16, after: &str| {
        let get = |path: &str, body: &str| soap::post(port, path, "admin", ADMIN_PASSWORD, body).1;
        let last = ROUNDS - 1;
        let host = get(DEVICE, "<tds:GetHostname/>");
        assert!(host.contains(&format!(">host-{last}<")), "{after}: {host}");
        let ntp = get(DEVICE, "<tds:GetNTP/>");
        assert!(ntp.contains(&format!(">192.0.2.{last}<")), "{after}: {ntp}");
        assert!(ntp.contains("FromDHCP>false<"), "{after}: {ntp}");
        let mode = get(DEVICE, "<tds:GetDiscoveryMode/>");
        let want = if last.is_multiple_of(2) {
            "NonDiscoverable"
        } else {
            "Discoverable"
        };
        assert!(mode.contains(&format!(">{want}<")), "{after}: {mode}");
        let time = get(DEVICE, "<tds:GetSystemDateAndTime/>");
        // The last zone has no character XML escapes.
        let tz = ZONES[last as usize % ZONES.len()];
        assert!(time.contains(&format!(">{tz}<")), "{after}: {time}");
        assert!(
            time.contains(&format!("DaylightSavings>{}<", last.is_multiple_of(2))),
            "{after}: {time}"
        );
        let scopes = get(DEVICE, "<tds:GetScopes/>");
        for i in 0..SCOPES {
            let kept = i % 2 == 1 || i == SCOPES - 1;
            assert_eq!(
                scopes.contains(&format!(">{}<", scope(i))),
                kept,
                "{after}: scope {i}: {scopes}"
            );
        }
        let enc = get(
            MEDIA,
            "<trt:GetVideoEncoderConfiguration><trt:ConfigurationToken>venc_sub</trt:ConfigurationToken></trt:GetVideoEncoderConfiguration>",
        );
        let last_kbps = 300 + (ROUNDS * 2 - 1) * 10;
        assert!(
            enc.contains(&format!("BitrateLimit>{last_kbps}<")),
            "{after}: {enc}"
        );
        let img = get(
            IMAGING,
            "<timg:GetImagingSettings><timg:VideoSourceToken>vs0</timg:VideoSourceToken></timg:GetImagingSettings>",
        );
        assert!(
            img.contains(&format!("Brightness>{}<", ROUNDS * 2 - 1)),
            "{after}: {img}"
        );
    };
    check(port, "while running");
    nvt.stop();
    let (mut nvt, port) = start(state.path());
    check(port, "after a restart");
    nvt.stop();
}

/// Two SetNetworkProtocols at the same moment, one moving HTTP to another port and one
/// turning RTSP off, while Media keeps the settings writer busy. Before the camera core the
/// Device service read the protocols before taking the writer lock and wrote all of them
/// back, so the later one undid the earlier; now each is merged with the current protocols
/// under the lock. Both must hold after the restart they trigger, and in the file.
#[test]
fn concurrent_network_protocols_changes_are_both_kept() {
    const ROUNDS: usize = 3;
    let state = support::temp_state();
    let (mut nvt, mut port) = start(state.path());
    for round in 0..ROUNDS {
        let new_port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let rtsp_on = round % 2 == 1;
        let stop_media = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Keeps the writer lock busy (SDK reconfiguration and fsync) so both protocol
        // changes wait for it at once.
        let media = {
            let stop_media = stop_media.clone();
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop_media.load(std::sync::atomic::Ordering::Relaxed) && i < 200 {
                    let (status, _) = soap::post(
                        port,
                        MEDIA,
                        "admin",
                        ADMIN_PASSWORD,
                        &encoder_xml(400 + i * 10),
                    );
                    if status != 200 {
                        break;
                    }
                    i += 1;
                }
            })
        };
        std::thread::sleep(Duration::from_millis(100));
        let go = Arc::new(Barrier::new(2));
        let send = |body: String| {
            let go = go.clone();
            std::thread::spawn(move || {
                go.wait();
                soap::post(port, DEVICE, "admin", ADMIN_PASSWORD, &body)
            })
        };
        let http = send(format!(
            "<tds:SetNetworkProtocols><tds:NetworkProtocols><tt:Name>HTTP</tt:Name><tt:Enabled>true</tt:Enabled><tt:Port>{new_port}</tt:Port></tds:NetworkProtocols></tds:SetNetworkProtocols>"
        ));
        let rtsp = send(format!(
            "<tds:SetNetworkProtocols><tds:NetworkProtocols><tt:Name>RTSP</tt:Name><tt:Enabled>{rtsp_on}</tt:Enabled></tds:NetworkProtocols></tds:SetNetworkProtocols>"
        ));
        let (http, rtsp) = (http.join().unwrap(), rtsp.join().unwrap());
        assert_eq!(http.0, 200, "round {round}: {http:?}");
        assert_eq!(rtsp.0, 200, "round {round}: {rtsp:?}");
        stop_media.store(true, std::sync::atomic::Ordering::Relaxed);
        // Its last request may meet the restart (the connection closes under it): only its
        // load matters here, not its answers.
        let _ = media.join();
        // The daemon restarts on the new port.
        nvt.wait_for("restarting", START);
        port = nvt.http_port();
        assert_eq!(port, new_port, "round {round}: HTTP moved");
        nvt.wait_for("nvt running", START);
        let (_, protocols) = soap::post(
            port,
            DEVICE,
            "admin",
            ADMIN_PASSWORD,
            "<tds:GetNetworkProtocols/>",
        );
        let doc = nvt::xml::parse(protocols.as_bytes()).unwrap();
        let tt = "http://www.onvif.org/ver10/schema";
        let body = doc
            .child("http://www.w3.org/2003/05/soap-envelope", "Body")
            .and_then(|b| b.children.first())
            .unwrap_or_else(|| panic!("{protocols}"));
        let entry = |name: &str| {
            body.children
                .iter()
                .find(|p| p.child(tt, "Name").is_some_and(|n| n.text == name))
                .unwrap_or_else(|| panic!("no {name} in {protocols}"))
        };
        assert_eq!(
            entry("HTTP").child(tt, "Port").unwrap().text,
            new_port.to_string(),
            "round {round}: {protocols}"
        );
        assert_eq!(
            entry("RTSP").child(tt, "Enabled").unwrap().text,
            rtsp_on.to_string(),
            "round {round}: the RTSP change was kept too: {protocols}"
        );
    }
    nvt.stop();
    let saved =
        nvt::settings::parse(&std::fs::read(state.path().join("settings.json")).unwrap()).unwrap();
    assert_eq!(saved.network.protocols.http_port, Some(port));
    assert_eq!(saved.network.protocols.rtsp_enabled, (ROUNDS - 1) % 2 == 1);
}

//! The Events service through the real binary over loopback: Home Assistant's event loop with
//! its own client library (onvif-zeep-async, conformance/onvif-zeep/ha_events.py), and raw SOAP
//! for what HA does not exercise: push delivery to a local HTTP listener, expiry, the pull
//! point cap, 64 subscribers, faults, slow consumers.
//!
//! Motion comes from the simulator's schedule (`motion_period_ms`/`motion_on_ms`, see
//! sdk-sys/README.md "Motion schedule"): the object enters at `Init + k * period` and leaves at
//! `+ on`. The detector analyses frames at `Init + j * 200 ms` and the default debounce holds a
//! change 200 ms, so a change is stamped (UtcTime = capture time of the frame that completed it)
//! 400 ms after its schedule edge. Latencies below are from the edge to PullMessages' return.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nvt::xml::Element;
use support::{Daemon, soap};

const PASSWORD: &str = "events-secret";
const ENV: &str = "http://www.w3.org/2003/05/soap-envelope";
const TEV: &str = "http://www.onvif.org/ver10/events/wsdl";
const WSNT: &str = "http://docs.oasis-open.org/wsn/b-2";
const WSA: &str = "http://www.w3.org/2005/08/addressing";
const TT: &str = "http://www.onvif.org/ver10/schema";
const CONCRETE_SET: &str = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet";
const PERIOD: f64 = 3.0;
const ON: f64 = 1.0;
const SCHEDULE: &str = "motion_period_ms=3000;motion_on_ms=1000";

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// A daemon with `edit` applied to default settings, and the times bracketing SDK init.
struct Camera {
    daemon: Daemon,
    port: u16,
    _state: tempfile::TempDir,
    /// Before spawning, and when "camera ready" (logged after NVT_SYS_Init) was seen.
    spawned: f64,
    ready: f64,
}

fn start(edit: impl FnOnce(&mut nvt::settings::Settings)) -> Camera {
    let state = support::temp_state();
    let mut s = nvt::settings::Settings::default();
    edit(&mut s);
    std::fs::write(
        state.path().join("settings.json"),
        serde_json::to_vec_pretty(&s).unwrap(),
    )
    .unwrap();
    let spawned = now_s();
    let mut daemon = Daemon::start(
        state.path(),
        &["--sdk-options", SCHEDULE],
        &[("NVT_ADMIN_PASSWORD", PASSWORD)],
    );
    daemon.wait_for("camera ready", Duration::from_secs(60));
    let ready = now_s();
    let port = daemon.http_port();
    Camera {
        daemon,
        port,
        _state: state,
        spawned,
        ready,
    }
}

impl Drop for Camera {
    fn drop(&mut self) {
        self.daemon.signal(nix::sys::signal::Signal::SIGTERM);
        let _ = self.daemon.wait_exit(Duration::from_secs(20));
    }
}

// ---- SOAP through support::soap: WS-UsernameToken PasswordDigest, Connection: close ----

/// POSTs `body` (the Body's content) to `url`; returns (HTTP status, parsed envelope).
fn soap(url: &str, body: &str, auth: bool) -> (u16, Element) {
    let (status, text) = soap_text(url, body, auth.then_some(("admin", PASSWORD)));
    (
        status,
        nvt::xml::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}: {text}")),
    )
}

/// [`soap`] as `user` (name, password).
fn soap_as(url: &str, body: &str, user: (&str, &str)) -> (u16, Element) {
    let (status, text) = soap_text(url, body, Some(user));
    (
        status,
        nvt::xml::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}: {text}")),
    )
}

/// POSTs `body` with a UsernameToken of `user` (or none); returns (HTTP status, the response
/// body as sent).
fn soap_text(url: &str, body: &str, user: Option<(&str, &str)>) -> (u16, String) {
    soap_text_from(None, url, body, user)
}

/// [`soap_text`] from the loopback address `from` (127.0.0.1 when `None`): the camera gives
/// one address a bounded share of its HTTP connections, so tests standing for many NVRs
/// connect from many addresses, as those NVRs would.
fn soap_text_from(
    from: Option<std::net::Ipv4Addr>,
    url: &str,
    body: &str,
    user: Option<(&str, &str)>,
) -> (u16, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let header = user
        .map(|(u, p)| soap::username_token(u, p, true))
        .unwrap_or_default();
    let to = host.parse().unwrap();
    let r = soap::post_envelope(to, from, path, None, &soap::envelope(&header, body));
    (r.status, r.body().to_owned())
}

fn body(env: &Element) -> &Element {
    &env.child(ENV, "Body").unwrap().children[0]
}

/// (subcodes, detail element local name) of a fault envelope.
fn fault(env: &Element) -> (Vec<String>, Option<String>) {
    let f = body(env);
    assert_eq!(f.name, "Fault", "not a fault: {f:?}");
    let mut codes = Vec::new();
    let mut c = f.child(ENV, "Code").unwrap();
    codes.push(c.child(ENV, "Value").unwrap().text.clone());
    while let Some(sub) = c.child(ENV, "Subcode") {
        codes.push(sub.child(ENV, "Value").unwrap().text.clone());
        c = sub;
    }
    let detail = f
        .child(ENV, "Detail")
        .and_then(|d| d.children.first())
        .map(|d| d.name.clone());
    (codes, detail)
}

fn events_url(cam: &Camera) -> String {
    format!("http://127.0.0.1:{}/onvif/events_service", cam.port)
}

fn create_pull_point(cam: &Camera, extra: &str) -> (u16, Element) {
    soap(
        &events_url(cam),
        &format!("<tev:CreatePullPointSubscription>{extra}</tev:CreatePullPointSubscription>"),
        true,
    )
}

fn topic_filter(expr: &str) -> String {
    format!(
        r#"<tev:Filter><wsnt:TopicExpression Dialect="{CONCRETE_SET}">{expr}</wsnt:TopicExpression></tev:Filter>"#
    )
}

fn address(env: &Element) -> String {
    body(env)
        .child(body(env).ns.as_deref().unwrap(), "SubscriptionReference")
        .unwrap()
        .child(WSA, "Address")
        .unwrap()
        .text
        .clone()
}

/// A motion message: (topic, Data values, PropertyOperation, UtcTime).
#[derive(Clone, Debug, PartialEq)]
struct Msg {
    topic: String,
    source: Vec<(String, String)>,
    data: Vec<(String, String)>,
    op: String,
    utc: String,
}

fn messages(container: &Element) -> Vec<Msg> {
    container
        .children_named(WSNT, "NotificationMessage")
        .map(|nm| {
            let m = nm
                .child(WSNT, "Message")
                .unwrap()
                .child(TT, "Message")
                .unwrap();
            let items = |part| {
                m.child(TT, part)
                    .map(|p| {
                        p.children
                            .iter()
                            .map(|i| {
                                (
                                    i.attr("Name").unwrap().to_owned(),
                                    i.attr("Value").unwrap().to_owned(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            };
            Msg {
                topic: nm.child(WSNT, "Topic").unwrap().text.clone(),
                source: items("Source"),
                data: items("Data"),
                op: m.attr("PropertyOperation").unwrap_or("").to_owned(),
                utc: m.attr("UtcTime").unwrap().to_owned(),
            }
        })
        .collect()
}

fn pull(url: &str, timeout: &str, limit: &str) -> (u16, Element) {
    soap(
        url,
        &format!(
            "<tev:PullMessages><tev:Timeout>{timeout}</tev:Timeout><tev:MessageLimit>{limit}</tev:MessageLimit></tev:PullMessages>"
        ),
        true,
    )
}

/// A topic filter for pull points that must stay quiet: LastReboot changes never, so after
/// its Initialized message nothing ends a waiting pull early.
fn quiet() -> String {
    topic_filter("tns1:Monitoring/OperatingTime/LastReboot")
}

/// Leaves a PullMessages waiting on `url` (a [`quiet`] pull point) for up to `secs`, in a
/// thread, once the Initialized message is drained; the thread returns its HTTP status.
fn hold_pull(
    url: &str,
    user: (&'static str, &'static str),
    secs: u32,
) -> std::thread::JoinHandle<u16> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let pull_as = |timeout: &str| {
            soap_as(
                &url,
                &format!(
                    "<tev:PullMessages><tev:Timeout>{timeout}</tev:Timeout><tev:MessageLimit>10</tev:MessageLimit></tev:PullMessages>"
                ),
                user,
            )
        };
        let (st, env) = pull_as("PT0S");
        assert_eq!(st, 200, "{env:?}");
        pull_as(&format!("PT{secs}S")).0
    })
}

fn utc_s(s: &str) -> f64 {
    // 2026-11-22T08:00:00.123Z
    nvt::xml::xsd::parse_datetime(s).unwrap() as f64 / 1000.0
}

/// Edge of the schedule a Changed motion message belongs to: from its stamp (400 ms after
/// the edge, see the module doc), checked against the init instant the daemon run allows.
fn edge(cam: &Camera, state: bool, utc: f64) -> f64 {
    let edge = utc - 0.4;
    let init = edge - if state { 0.0 } else { ON };
    let k = ((init - cam.spawned) / PERIOD).floor();
    let init = init - k * PERIOD;
    assert!(
        init >= cam.spawned - 0.25 && init <= cam.ready + 0.25,
        "stamp {utc} (state {state}) is off the schedule: init would be {init}, run started {} ready {}",
        cam.spawned,
        cam.ready
    );
    edge
}

#[test]
fn home_assistant_event_loop_gets_motion_within_a_second_of_the_schedule() {
    let cam = start(|_| {});
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/onvif-zeep/ha_events.py");
    let out = Command::new(support::python::zeep())
        .arg(&script)
        .args(["127.0.0.1", &cam.port.to_string(), "admin", PASSWORD, "10"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.lines().last() == Some("OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut latencies = Vec::new();
    let mut changes: std::collections::BTreeMap<String, Vec<bool>> = Default::default();
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["op"] != "Changed" {
            continue;
        }
        let state = v["state"].as_bool().unwrap();
        let e = edge(&cam, state, v["utc"].as_f64().unwrap());
        let latency = v["recv"].as_f64().unwrap() - e;
        latencies.push(latency);
        changes
            .entry(v["topic"].as_str().unwrap().into())
            .or_default()
            .push(state);
    }
    // Both topics, alternating states (no flood), at least two of each in 10 s of a 3 s cycle.
    assert_eq!(changes.len(), 2, "{changes:?}");
    for (topic, states) in &changes {
        assert!(
            states.windows(2).all(|w| w[0] != w[1]),
            "{topic}: {states:?}"
        );
        assert!(
            states.iter().filter(|s| **s).count() >= 2,
            "{topic}: {states:?}"
        );
        assert!(
            states.iter().filter(|s| !**s).count() >= 2,
            "{topic}: {states:?}"
        );
    }
    latencies.sort_by(f64::total_cmp);
    eprintln!(
        "edge -> PullMessages return: {} changes, min {:.3} s, median {:.3} s, max {:.3} s",
        latencies.len(),
        latencies[0],
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
    // The issue's requirement: within 1 s of the schedule.
    assert!(latencies.iter().all(|l| *l < 1.0), "{latencies:?}");
}

/// A local HTTP consumer: records every POST body with its arrival time; `stall` makes it
/// accept connections and never answer (a slow consumer).
struct Listener {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<(f64, String)>>>,
}

fn listener(stall: bool) -> Listener {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut conn) = conn else { return };
            let g = g.clone();
            std::thread::spawn(move || {
                if stall {
                    std::thread::sleep(Duration::from_secs(120));
                    return;
                }
                let mut r = BufReader::new(conn.try_clone().unwrap());
                loop {
                    let mut len = 0;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap();
                        }
                    }
                    let mut b = vec![0; len];
                    r.read_exact(&mut b).unwrap();
                    g.lock()
                        .unwrap()
                        .push((now_s(), String::from_utf8(b).unwrap()));
                    let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                }
            });
        }
    });
    Listener { addr, got }
}

fn subscribe(cam: &Camera, consumer: &str, extra: &str) -> (u16, Element) {
    soap(
        &events_url(cam),
        &format!(
            "<wsnt:Subscribe><wsnt:ConsumerReference><wsa:Address>{consumer}</wsa:Address></wsnt:ConsumerReference>{extra}<wsnt:InitialTerminationTime>PT60S</wsnt:InitialTerminationTime></wsnt:Subscribe>"
        ),
        true,
    )
}

#[test]
fn push_delivers_to_a_local_listener_and_a_slow_consumer_delays_nobody() {
    // Tests allow loopback consumers; the default refuses them (see the faults test).
    let cam = start(|s| s.events.allow_private_push_targets = true);
    let fast = listener(false);
    let slow = listener(true);
    let (st, env) = subscribe(&cam, &format!("http://{}/slow", slow.addr), "");
    assert_eq!(st, 200, "{env:?}");
    // A pull point that is never pulled: its queue fills, nobody waits for it.
    let (st, _) = create_pull_point(&cam, "");
    assert_eq!(st, 200);
    let (st, env) = subscribe(
        &cam,
        &format!("http://{}/notify", fast.addr),
        &format!(
            r#"<wsnt:Filter><wsnt:TopicExpression Dialect="{CONCRETE_SET}">tns1:VideoSource/MotionAlarm</wsnt:TopicExpression></wsnt:Filter>"#
        ),
    );
    assert_eq!(st, 200, "{env:?}");
    let manager = address(&env);
    assert!(manager.contains("/onvif/subscription/"), "{manager}");
    std::thread::sleep(Duration::from_secs(8));

    let got = fast.got.lock().unwrap().clone();
    let mut states = Vec::new();
    let mut latencies = Vec::new();
    for (at, b) in &got {
        let env = nvt::xml::parse(b.as_bytes()).unwrap();
        let notify = body(&env);
        assert!(notify.is(WSNT, "Notify"), "{b}");
        for m in messages(notify) {
            assert_eq!(m.topic, "tns1:VideoSource/MotionAlarm", "the filter holds");
            assert_eq!(m.source, vec![("Source".to_owned(), "vs0".to_owned())]);
            if m.op == "Changed" {
                let state = m.data[0].1 == "true";
                latencies.push(at - edge(&cam, state, utc_s(&m.utc)));
                states.push(state);
            }
        }
        let sref = notify
            .child(WSNT, "NotificationMessage")
            .unwrap()
            .child(WSNT, "SubscriptionReference");
        assert_eq!(sref.unwrap().child(WSA, "Address").unwrap().text, manager);
    }
    assert!(
        states.len() >= 4 && states.windows(2).all(|w| w[0] != w[1]),
        "{states:?}"
    );
    eprintln!("push: edge -> Notify received: {latencies:?}");
    // The stalled consumer and the unpulled queue delay nobody.
    assert!(latencies.iter().all(|l| *l < 1.0), "{latencies:?}");

    // Renew, then Unsubscribe: no Notify after it.
    let (st, env) = soap(
        &manager,
        "<wsnt:Renew><wsnt:TerminationTime>PT120S</wsnt:TerminationTime></wsnt:Renew>",
        true,
    );
    assert_eq!(st, 200, "{env:?}");
    let (st, _) = soap(&manager, "<wsnt:Unsubscribe/>", true);
    assert_eq!(st, 200);
    let n = fast.got.lock().unwrap().len();
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        fast.got.lock().unwrap().len(),
        n,
        "Notify after Unsubscribe"
    );
    let (st, env) = soap(&manager, "<wsnt:Unsubscribe/>", true);
    assert_eq!(
        (st, fault(&env).1.as_deref()),
        (400, Some("ResourceUnknownFault"))
    );
}

#[test]
fn expiry_frees_subscriptions_and_the_cap_answers_subscribe_creation_failed() {
    let cam = start(|s| s.events.max_pull_points = 2);
    let (st, rel) = create_pull_point(
        &cam,
        &format!(
            "{}<tev:InitialTerminationTime>PT2S</tev:InitialTerminationTime>",
            quiet()
        ),
    );
    assert_eq!(st, 200, "{rel:?}");
    let at = nvt::xml::xsd::format_datetime(((now_s() + 3.0) * 1000.0) as i64);
    let (st, abs) = create_pull_point(
        &cam,
        &format!(
            "{}<tev:InitialTerminationTime>{at}</tev:InitialTerminationTime>",
            quiet()
        ),
    );
    assert_eq!(st, 200, "{abs:?}");
    let b = body(&abs);
    let term = utc_s(&b.child(WSNT, "TerminationTime").unwrap().text);
    let cur = utc_s(&b.child(WSNT, "CurrentTime").unwrap().text);
    assert!((1.0..=4.0).contains(&(term - cur)), "{cur} {term}");
    assert!(
        b.child(WSNT, "TerminationTime")
            .unwrap()
            .text
            .ends_with('Z')
    );
    let (rel, abs) = (address(&rel), address(&abs));
    assert_ne!(rel, abs, "a unique address per subscription");

    // Full, and both are being pulled: the third is refused with the WS-BaseNotification
    // fault (an idle one would be reclaimed, see the next tests).
    let pulls: Vec<_> = [&rel, &abs]
        .into_iter()
        .map(|a| hold_pull(a, ("admin", PASSWORD), 1))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let (st, env) = create_pull_point(&cam, "");
    assert_eq!(st, 500);
    let (codes, detail) = fault(&env);
    assert_eq!(codes, ["env:Receiver", "ter:Action"]);
    assert_eq!(detail.as_deref(), Some("SubscribeCreationFailedFault"));
    for p in pulls {
        assert_eq!(p.join().unwrap(), 200);
    }

    // Both pull before they expire...
    for a in [&rel, &abs] {
        let (st, env) = pull(a, "PT0S", "10");
        assert_eq!(st, 200, "{env:?}");
    }
    // ...and are gone after: their pulls fault and their slots are free again.
    std::thread::sleep(Duration::from_millis(4500));
    for a in [&rel, &abs] {
        let (st, env) = pull(a, "PT0S", "10");
        assert_eq!(
            (st, fault(&env).1.as_deref()),
            (400, Some("ResourceUnknownFault"))
        );
    }
    for _ in 0..2 {
        assert_eq!(create_pull_point(&cam, "").0, 200);
    }
}

#[test]
fn sixty_four_subscribers_all_get_every_motion_change() {
    const N: usize = 64;
    let cam = start(|s| s.events.max_pull_points = N as u32);
    let mut addrs: Vec<String> = (0..N)
        .map(|_| {
            let (st, env) = create_pull_point(&cam, &topic_filter("tns1:RuleEngine//."));
            assert_eq!(st, 200, "{env:?}");
            address(&env)
        })
        .collect();
    // The table is full: a 65th from the same user recycles its least recently used, the
    // first (none is being pulled).
    let (st, env) = create_pull_point(&cam, &topic_filter("tns1:RuleEngine//."));
    assert_eq!(st, 200, "{env:?}");
    let (st, _) = pull(&addrs[0], "PT0S", "1");
    assert_eq!(st, 400, "the first was reclaimed");
    addrs[0] = address(&env);
    // Compare the changes stamped inside a window every subscriber covers whole: after the
    // last one was created, and well before the pulling stops.
    let window = (now_s() + 0.1, now_s() + 8.0 - 1.5);
    let until = Instant::now() + Duration::from_secs(8);
    // Every subscriber pulls from an address of its own, as 64 NVRs would: one address
    // gets a bounded share of the HTTP connections (docs/security.md).
    let threads: Vec<_> = addrs
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            std::thread::spawn(move || {
                let mut got = Vec::new();
                while Instant::now() < until {
                    let (st, text) = soap_text_from(
                        Some(std::net::Ipv4Addr::new(127, 0, 2, i as u8 + 1)),
                        &a,
                        "<tev:PullMessages><tev:Timeout>PT2S</tev:Timeout><tev:MessageLimit>100</tev:MessageLimit></tev:PullMessages>",
                        Some(("admin", PASSWORD)),
                    );
                    let env = nvt::xml::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}: {text}"));
                    assert_eq!(st, 200, "{env:?}");
                    got.extend(
                        messages(body(&env))
                            .into_iter()
                            .filter(|m| m.op == "Changed"),
                    );
                }
                got
            })
        })
        .collect();
    let all: Vec<Vec<Msg>> = threads
        .into_iter()
        .map(|t| {
            let got = t.join().unwrap();
            got.into_iter()
                .filter(|m| (window.0..window.1).contains(&utc_s(&m.utc)))
                .collect()
        })
        .collect();
    let reference = &all[0];
    let states: Vec<&str> = reference.iter().map(|m| m.data[0].1.as_str()).collect();
    assert!(
        states.len() >= 3 && states.windows(2).all(|w| w[0] != w[1]),
        "{states:?}"
    );
    assert!(
        reference
            .iter()
            .all(|m| m.topic == "tns1:RuleEngine/CellMotionDetector/Motion")
    );
    // Every subscriber saw the same changes, with the same stamps.
    for (i, got) in all.iter().enumerate() {
        assert_eq!(got, reference, "subscriber {i}");
    }
}

#[test]
fn event_properties_describe_what_is_sent_and_bad_requests_fault() {
    let cam = start(|_| {});
    let url = events_url(&cam);

    // Capabilities: GetServiceCapabilities is PRE_AUTH; subscriptions need a user.
    let (st, env) = soap(&url, "<tev:GetServiceCapabilities/>", false);
    assert_eq!(st, 200);
    let caps = body(&env).child(TEV, "Capabilities").unwrap();
    assert_eq!(caps.attr("MaxPullPoints"), Some("16"));
    assert_eq!(caps.attr("MaxNotificationProducers"), Some("16"));
    assert_eq!(create_pull_point_anon(&cam), 401);

    // GetEventProperties lists exactly the topics produced, with the items they carry.
    let (st, env) = soap(&url, "<tev:GetEventProperties/>", true);
    assert_eq!(st, 200);
    let set = body(&env)
        .child("http://docs.oasis-open.org/wsn/t-1", "TopicSet")
        .unwrap();
    let mut described = std::collections::BTreeMap::new();
    fn walk(
        e: &Element,
        path: String,
        out: &mut std::collections::BTreeMap<String, (Vec<String>, Vec<String>)>,
    ) {
        let path = if path.is_empty() {
            format!("tns1:{}", e.name)
        } else {
            format!("{path}/{}", e.name)
        };
        if let Some(d) = e.child(TT, "MessageDescription") {
            let names = |part| {
                d.child(TT, part)
                    .map(|p| {
                        p.children
                            .iter()
                            .map(|i| i.attr("Name").unwrap().to_owned())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            out.insert(path.clone(), (names("Source"), names("Data")));
        }
        for c in e.children.iter().filter(|c| c.name != "MessageDescription") {
            walk(c, path.clone(), out);
        }
    }
    for root in &set.children {
        walk(root, String::new(), &mut described);
    }
    let (_, env) = create_pull_point(&cam, "");
    let pp = address(&env);
    let (_, env) = pull(&pp, "PT1S", "100");
    let sent = messages(body(&env));
    for m in &sent {
        let (src, data) = described
            .get(&m.topic)
            .unwrap_or_else(|| panic!("{} not described", m.topic));
        let names =
            |v: &Vec<(String, String)>| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(
            (&names(&m.source), &names(&m.data)),
            (src, data),
            "{}",
            m.topic
        );
        assert_eq!(m.op, "Initialized");
    }
    let sent_topics: std::collections::BTreeSet<_> = sent.iter().map(|m| m.topic.clone()).collect();
    for t in [
        "tns1:VideoSource/MotionAlarm",
        "tns1:RuleEngine/CellMotionDetector/Motion",
        "tns1:Monitoring/OperatingTime/LastReboot",
        "tns1:Device/Trigger/DigitalInput",
        "tns1:Device/Trigger/Relay",
    ] {
        assert!(
            sent_topics.contains(t),
            "{t} not initialized: {sent_topics:?}"
        );
        assert!(described.contains_key(t));
    }
    // Described, not initialized: no properties (tests/onvif_events_media.rs sends them).
    for t in [
        "tns1:Monitoring/ProcessorUsage",
        "tns1:Media/ProfileChanged",
        "tns1:Media/ConfigurationChanged",
        // Initialized once the first picture statistics are in (tests/onvif_tamper.rs).
        "tns1:VideoSource/ImageTooDark/ImagingService",
        "tns1:VideoSource/ImageTooBright/ImagingService",
        "tns1:VideoSource/ImageTooBlurry/ImagingService",
        "tns1:VideoSource/GlobalSceneChange/ImagingService",
        // Not a property (tests/onvif_sound.rs).
        "tns1:AudioAnalytics/Audio/DetectedSound",
    ] {
        assert!(described.contains_key(t), "{t} not described");
    }
    assert_eq!(described.len(), 13, "{described:?}");

    // A huge MessageLimit is cut, never refused; SetSynchronizationPoint re-sends states.
    let (st, env) = soap(&pp, "<tev:SetSynchronizationPoint/>", true);
    assert_eq!(st, 200, "{env:?}");
    let (st, env) = pull(&pp, "PT600S", "99999999999");
    assert_eq!(st, 200, "{env:?}");
    assert!(messages(body(&env)).iter().all(|m| m.op == "Initialized"));
    // Bad Timeout: PullMessagesFaultResponse with the device's maxima.
    let (st, env) = pull(&pp, "soon", "10");
    assert_eq!(
        (st, fault(&env).1.as_deref()),
        (400, Some("PullMessagesFaultResponse"))
    );

    // Bad termination times.
    for bad in ["PT0S", "-PT10S", "tomorrow", "2001-01-01T00:00:00Z"] {
        let (st, env) = create_pull_point(
            &cam,
            &format!("<tev:InitialTerminationTime>{bad}</tev:InitialTerminationTime>"),
        );
        assert_eq!(st, 400, "{bad}");
        let (codes, detail) = fault(&env);
        assert_eq!(codes, ["env:Sender", "ter:InvalidArgVal"], "{bad}");
        assert_eq!(
            detail.as_deref(),
            Some("UnacceptableInitialTerminationTimeFault"),
            "{bad}"
        );
    }
    let (st, env) = soap(
        &pp,
        "<wsnt:Renew><wsnt:TerminationTime>-PT1S</wsnt:TerminationTime></wsnt:Renew>",
        true,
    );
    assert_eq!(
        (st, fault(&env).1.as_deref()),
        (400, Some("UnacceptableTerminationTimeFault"))
    );

    // Filters: unknown topics, bad expressions, unknown dialects, message content filters.
    for (filter, want) in [
        (topic_filter("tns1:Device/HardwareFailure/StorageFailure"), "TopicNotSupportedFault"),
        (topic_filter("tns1:VideoSource/"), "InvalidTopicExpressionFault"),
        (topic_filter("nope:VideoSource"), "InvalidTopicExpressionFault"),
        (
            r#"<tev:Filter><wsnt:TopicExpression Dialect="urn:x">tns1:VideoSource</wsnt:TopicExpression></tev:Filter>"#.into(),
            "TopicExpressionDialectUnknownFault",
        ),
        (
            r#"<tev:Filter><wsnt:MessageContent Dialect="http://www.w3.org/TR/1999/REC-xpath-19991116">boolean(//tt:SimpleItem)</wsnt:MessageContent></tev:Filter>"#.into(),
            "InvalidMessageContentExpressionFault",
        ),
    ] {
        let (st, env) = create_pull_point(&cam, &filter);
        assert_eq!((st, fault(&env).1.as_deref()), (400, Some(want)), "{filter}");
    }
    // A prefix declared on the element itself resolves.
    let (st, env) = create_pull_point(
        &cam,
        &format!(
            r#"<tev:Filter><wsnt:TopicExpression xmlns:o="http://www.onvif.org/ver10/topics" Dialect="{CONCRETE_SET}">o:VideoSource/MotionAlarm</wsnt:TopicExpression></tev:Filter>"#
        ),
    );
    assert_eq!(st, 200, "{env:?}");

    // SSRF: push consumers on loopback or link-local are refused by default.
    for target in [
        "http://127.0.0.1:9/x",
        "http://169.254.169.254/latest",
        "http://[::1]:9/",
        "https://example.com/",
    ] {
        let (st, env) = subscribe(&cam, target, "");
        assert_eq!(
            (st, fault(&env).1.as_deref()),
            (400, Some("SubscribeCreationFailedFault")),
            "{target}"
        );
    }
    // An unknown subscription address.
    let (st, env) = pull(
        &format!("http://127.0.0.1:{}/onvif/subscription/nope", cam.port),
        "PT0S",
        "1",
    );
    assert_eq!(
        (st, fault(&env).1.as_deref()),
        (400, Some("ResourceUnknownFault"))
    );
}

fn create_pull_point_anon(cam: &Camera) -> u16 {
    soap(
        &events_url(cam),
        "<tev:CreatePullPointSubscription/>",
        false,
    )
    .0
}

const ITEM_FILTER: &str = "http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter";

/// A Filter with a MessageContent in the ItemFilter dialect (`tt` declared on it) and an
/// optional TopicExpression; `filter_attrs` go on the Filter element (namespace declarations).
fn content_filter(element: &str, expr: &str, topic: Option<&str>, filter_attrs: &str) -> String {
    let topic = topic
        .map(|t| {
            format!(r#"<wsnt:TopicExpression Dialect="{CONCRETE_SET}">{t}</wsnt:TopicExpression>"#)
        })
        .unwrap_or_default();
    format!(
        r#"<{element} {filter_attrs}>{topic}<wsnt:MessageContent Dialect="{ITEM_FILTER}" xmlns:tt="{TT}">{expr}</wsnt:MessageContent></{element}>"#
    )
}

#[test]
fn message_content_filters_deliver_only_matching_messages() {
    let cam = start(|s| s.events.allow_private_push_targets = true);
    let url = events_url(&cam);

    // GetEventProperties advertises the mandatory dialect (ONVIF Core s.9.4.4).
    let (st, env) = soap(&url, "<tev:GetEventProperties/>", true);
    assert_eq!(st, 200);
    let dialects: Vec<_> = body(&env)
        .children_named(TEV, "MessageContentFilterDialect")
        .map(|d| d.text.trim().to_owned())
        .collect();
    assert_eq!(dialects, [ITEM_FILTER]);

    // Pull points, all created now and read after the same window of motion changes.
    let pp = |expr: &str, topic: Option<&str>, attrs: &str| {
        let (st, env) = create_pull_point(&cam, &content_filter("tev:Filter", expr, topic, attrs));
        assert_eq!(st, 200, "{expr}: {env:?}");
        address(&env)
    };
    let (_, env) = create_pull_point(&cam, "");
    let all = address(&env);
    let is_motion = pp(r#"boolean(//tt:SimpleItem[@Name="IsMotion"])"#, None, "");
    let motion_on = pp(
        r#"boolean(//tt:SimpleItem[@Name="IsMotion" and @Value="true"])"#,
        None,
        "",
    );
    // Any prefix bound to the ONVIF schema, here on the Filter element.
    let source = pp(
        r#"boolean(//o:SimpleItem[@Name="Source" and @Value="vs0"])"#,
        None,
        &format!(r#"xmlns:o="{TT}""#),
    );
    let vsc0_off = pp(
        r#"boolean(//tt:SimpleItem[@Name="VideoSourceConfigurationToken" and @Value="vsc0"]) and not(boolean(//tt:SimpleItem[@Name="IsMotion" and @Value="true"]))"#,
        Some("tns1:RuleEngine//."),
        "",
    );
    let no_token = pp(
        r#"boolean(//tt:SimpleItem[@Name="VideoSourceConfigurationToken" and @Value="vsc9"])"#,
        None,
        "",
    );
    // The topic and the content must both match: MotionAlarm has no IsMotion item.
    let disjoint = pp(
        r#"boolean(//tt:SimpleItem[@Name="IsMotion"])"#,
        Some("tns1:VideoSource/MotionAlarm"),
        "",
    );
    // Push, with a prefix bound on the MessageContent's parent.
    let consumer = listener(false);
    let (st, env) = subscribe(
        &cam,
        &format!("http://{}/notify", consumer.addr),
        &content_filter(
            "wsnt:Filter",
            r#"boolean(//tt:SimpleItem[@Name="State" and @Value="true"]) or boolean(//tt:SimpleItem[@Name="Rule" and @Value="nope"])"#,
            None,
            "",
        ),
    );
    assert_eq!(st, 200, "{env:?}");

    // Two periods of the schedule: at least two on and two off edges.
    std::thread::sleep(Duration::from_secs(7));
    let drain = |a: &str| {
        let (st, env) = pull(a, "PT0S", "256");
        assert_eq!(st, 200, "{env:?}");
        messages(body(&env))
    };
    let cell = "tns1:RuleEngine/CellMotionDetector/Motion";
    let alarm = "tns1:VideoSource/MotionAlarm";
    let data = |m: &Msg, n: &str| m.data.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());

    let everything = drain(&all);
    let changed: Vec<_> = everything
        .iter()
        .filter(|m| m.topic == cell && m.op == "Changed")
        .collect();
    assert!(
        changed.len() >= 3,
        "motion changed meanwhile: {everything:?}"
    );

    let got = drain(&is_motion);
    assert!(got.iter().all(|m| m.topic == cell), "{got:?}");
    // Each subscription's Initialized state is stamped when that subscription is made (the
    // two may be a millisecond apart); a Changed message is one event, the same time for all.
    let same_event = |m: &Msg| {
        let utc = if m.op == "Changed" {
            m.utc.as_str()
        } else {
            ""
        };
        (
            m.topic.clone(),
            m.source.clone(),
            m.data.clone(),
            m.op.clone(),
            utc.to_owned(),
        )
    };
    let want: Vec<_> = everything
        .iter()
        .filter(|m| m.topic == cell)
        .map(same_event)
        .collect();
    assert_eq!(
        got.iter().map(same_event).collect::<Vec<_>>(),
        want,
        "every cell motion message, in order"
    );

    let got = drain(&motion_on);
    assert!(!got.is_empty());
    assert!(
        got.iter()
            .all(|m| data(m, "IsMotion").as_deref() == Some("true")),
        "{got:?}"
    );

    let got = drain(&source);
    assert!(got.iter().any(|m| m.op == "Changed"), "{got:?}");
    assert!(
        got.iter()
            // MotionAlarm and the tamper topics (tests/onvif_tamper.rs) carry `Source`.
            .all(
                |m| (m.topic == alarm || m.topic.ends_with("/ImagingService"))
                    && m.source == [("Source".to_owned(), "vs0".to_owned())]
            ),
        "{got:?}"
    );

    let got = drain(&vsc0_off);
    assert!(got.iter().any(|m| m.op == "Changed"), "{got:?}");
    assert!(
        got.iter()
            .all(|m| m.topic == cell && data(m, "IsMotion").as_deref() == Some("false")),
        "{got:?}"
    );

    assert_eq!(drain(&no_token), [], "nothing has token vsc9");
    assert_eq!(drain(&disjoint), []);

    // SetSynchronizationPoint's re-sent states are filtered too.
    for (a, n) in [(&is_motion, 1), (&no_token, 0), (&disjoint, 0)] {
        let (st, env) = soap(a, "<tev:SetSynchronizationPoint/>", true);
        assert_eq!(st, 200, "{env:?}");
        let got = drain(a);
        assert_eq!(got.len(), n, "{got:?}");
        assert!(got.iter().all(|m| m.topic == cell && m.op == "Initialized"));
    }

    // Push: only MotionAlarm messages with State true reached the consumer.
    let mut pushed = Vec::new();
    for (_, b) in consumer.got.lock().unwrap().iter() {
        let env = nvt::xml::parse(b.as_bytes()).unwrap();
        pushed.extend(messages(body(&env)));
    }
    assert!(pushed.iter().any(|m| m.op == "Changed"), "{pushed:?}");
    assert!(
        pushed
            .iter()
            .all(|m| m.topic == alarm && data(m, "State").as_deref() == Some("true")),
        "{pushed:?}"
    );

    // Expressions outside the dialect, or naming items this device never sends, fault.
    let deep = format!(
        "{}boolean(//tt:SimpleItem[@Name=\"IsMotion\"]){}",
        "not(".repeat(40),
        ")".repeat(40)
    );
    for bad in [
        r#"boolean(//tt:SimpleItem[@Name="xyz" and @Value="xyz"])"#,
        r#"boolean(//tt:SimpleItem[@Name="IsMotion"]"#,
        r#"boolean(//tt:SimpleItem[@Name="IsMotion"]) | true()"#,
        r#"boolean(//tt:SimpleItem[contains(@Value, "x")])"#,
        r#"boolean(//tt:ElementItem[@Name="IsMotion"])"#,
        r#"boolean(//q:SimpleItem[@Name="IsMotion"])"#,
        &deep,
        "",
    ] {
        for (st, env) in [
            create_pull_point(&cam, &content_filter("tev:Filter", bad, None, "")),
            subscribe(
                &cam,
                &format!("http://{}/notify", consumer.addr),
                &content_filter("wsnt:Filter", bad, None, ""),
            ),
        ] {
            assert_eq!(st, 400, "{bad}");
            let (codes, detail) = fault(&env);
            assert_eq!(codes, ["env:Sender", "ter:InvalidArgVal"], "{bad}");
            assert_eq!(
                detail.as_deref(),
                Some("InvalidMessageContentExpressionFault"),
                "{bad}"
            );
        }
    }
    // A prefix bound to another namespace is not the ONVIF schema.
    let (st, env) = create_pull_point(
        &cam,
        &format!(
            r#"<tev:Filter><wsnt:MessageContent Dialect="{ITEM_FILTER}" xmlns:tt="urn:not-onvif">boolean(//tt:SimpleItem[@Name="IsMotion"])</wsnt:MessageContent></tev:Filter>"#
        ),
    );
    assert_eq!(
        (st, fault(&env).1.as_deref()),
        (400, Some("InvalidMessageContentExpressionFault"))
    );
}

// ---- every fault detail against the WS-BaseNotification / WSRF / event.wsdl schemas ----

/// Validates the Detail element of each fault response (name, HTTP body) with lxml against
/// the schemas vendored in wsdl/ (conformance/onvif-zeep/validate_details.py; lxml comes with
/// onvif-zeep-async in target/zeep-venv). Returns the script's verdict per name.
fn validate_details(faults: &[(String, String)]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    for (i, (name, body)) in faults.iter().enumerate() {
        std::fs::write(dir.path().join(format!("{i:02}-{name}.xml")), body).unwrap();
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(support::python::zeep())
        .arg(root.join("conformance/onvif-zeep/validate_details.py"))
        .arg(root.join("wsdl"))
        .arg(dir.path())
        .output()
        .expect("run validate_details.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "validate_details.py failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("validate_details.py printed {stdout:?}: {e}"))
}

/// Issue 13: UnacceptableTerminationTimeFault and UnacceptableInitialTerminationTimeFault
/// lacked the wsnt:MinimumTime b-2.xsd requires (and InvalidFilterFault its UnknownFilter).
/// Every fault the event service sends is made here, and each detail must be valid against
/// its schema: b-2.xsd (wsnt), r-2.xsd (wsrf-r), event.wsdl's types (tev).
#[test]
fn every_fault_detail_is_valid_against_its_schema() {
    let cam = start(|s| {
        s.events.max_pull_points = 1;
        s.events.allow_private_push_targets = true;
    });
    let url = events_url(&cam);
    let admin = Some(("admin", PASSWORD));
    let mut faults: Vec<(String, String)> = Vec::new();
    let mut expect = |name: &str, (status, body): (u16, String)| {
        assert!(
            matches!(status, 400 | 500) && body.contains(&format!(":{name}")),
            "{name}: HTTP {status}: {body}"
        );
        faults.push((name.to_owned(), body));
    };
    let create = |extra: &str| {
        soap_text(
            &url,
            &format!("<tev:CreatePullPointSubscription>{extra}</tev:CreatePullPointSubscription>"),
            admin,
        )
    };
    let push = |consumer: &str, extra: &str| {
        soap_text(
            &url,
            &format!(
                "<wsnt:Subscribe><wsnt:ConsumerReference><wsa:Address>{consumer}</wsa:Address></wsnt:ConsumerReference>{extra}</wsnt:Subscribe>"
            ),
            admin,
        )
    };
    let itt = |t: &str| format!("<tev:InitialTerminationTime>{t}</tev:InitialTerminationTime>");
    for bad in ["PT0S", "tomorrow", "2001-01-01T00:00:00Z"] {
        expect("UnacceptableInitialTerminationTimeFault", create(&itt(bad)));
    }
    expect(
        "UnacceptableInitialTerminationTimeFault",
        push(
            "http://127.0.0.1:9/hook",
            "<wsnt:InitialTerminationTime>-PT5S</wsnt:InitialTerminationTime>",
        ),
    );
    expect(
        "SubscribeCreationFailedFault",
        push("ftp://127.0.0.1/hook", ""),
    );
    let filters = [
        (
            topic_filter("tns1:Device/HardwareFailure/StorageFailure"),
            "TopicNotSupportedFault",
        ),
        (topic_filter("tns1:VideoSource/"), "InvalidTopicExpressionFault"),
        (
            r#"<tev:Filter><wsnt:TopicExpression Dialect="urn:x">tns1:VideoSource</wsnt:TopicExpression></tev:Filter>"#.into(),
            "TopicExpressionDialectUnknownFault",
        ),
        (
            r#"<tev:Filter><wsnt:MessageContent Dialect="urn:x">boolean(//tt:SimpleItem)</wsnt:MessageContent></tev:Filter>"#.into(),
            "InvalidMessageContentExpressionFault",
        ),
        (
            r#"<tev:Filter><wsnt:ProducerProperties Dialect="http://www.w3.org/TR/1999/REC-xpath-19991116">boolean(//x)</wsnt:ProducerProperties></tev:Filter>"#.into(),
            "InvalidProducerPropertiesExpressionFault",
        ),
        (
            r#"<tev:Filter><v:Vendor xmlns:v="urn:vendor">x</v:Vendor></tev:Filter>"#.into(),
            "InvalidFilterFault",
        ),
        (
            r#"<tev:Filter><Bare xmlns="">x</Bare></tev:Filter>"#.into(),
            "InvalidFilterFault",
        ),
        (
            format!(
                "<tev:Filter>{}</tev:Filter>",
                r#"<wsnt:TopicExpression Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:VideoSource//.</wsnt:TopicExpression>"#.repeat(9)
            ),
            "SubscribeCreationFailedFault",
        ),
    ];
    for (filter, name) in &filters {
        expect(name, create(filter));
    }
    let unknown = format!("http://127.0.0.1:{}/onvif/subscription/nope", cam.port);
    expect(
        "ResourceUnknownFault",
        soap_text(
            &unknown,
            "<tev:PullMessages><tev:Timeout>PT0S</tev:Timeout><tev:MessageLimit>1</tev:MessageLimit></tev:PullMessages>",
            admin,
        ),
    );
    expect(
        "ResourceUnknownFault",
        soap_text(&unknown, "<wsnt:Unsubscribe/>", admin),
    );
    // The one pull point: a bad Renew and a bad Timeout.
    let (st, env) = create_pull_point(&cam, &quiet());
    assert_eq!(st, 200, "{env:?}");
    let pp = address(&env);
    for bad in ["-PT1S", "never"] {
        expect(
            "UnacceptableTerminationTimeFault",
            soap_text(
                &pp,
                &format!(
                    "<wsnt:Renew><wsnt:TerminationTime>{bad}</wsnt:TerminationTime></wsnt:Renew>"
                ),
                admin,
            ),
        );
    }
    expect(
        "PullMessagesFaultResponse",
        soap_text(
            &pp,
            "<tev:PullMessages><tev:Timeout>soon</tev:Timeout><tev:MessageLimit>1</tev:MessageLimit></tev:PullMessages>",
            admin,
        ),
    );
    // The table full, its one pull point being pulled: refused (env:Receiver).
    let held = hold_pull(&pp, ("admin", PASSWORD), 2);
    std::thread::sleep(Duration::from_millis(300));
    expect("SubscribeCreationFailedFault", create(""));
    assert_eq!(held.join().unwrap(), 200);

    let verdicts = validate_details(&faults);
    let mut invalid = Vec::new();
    for (i, (name, _)) in faults.iter().enumerate() {
        let v = &verdicts[format!("{i:02}-{name}.xml")];
        eprintln!("{name}: {v}");
        if v["valid"] != true {
            invalid.push(format!("{name}: {v}"));
        }
    }
    assert!(
        invalid.is_empty(),
        "schema-invalid fault details:\n{}",
        invalid.join("\n")
    );
    // Every detail was seen by the validator.
    assert_eq!(verdicts.as_object().unwrap().len(), faults.len());
}

// ---- the subscription tables: reclaimed when full, shared fairly between users ----

const VIEWER: (&str, &str) = ("viewer", "viewer-secret");
const NVR: (&str, &str) = ("nvr", "nvr-secret1");

/// A camera with an administrator (`admin`/PASSWORD) and two Users, `viewer` and `nvr`.
fn start_with_users(edit: impl FnOnce(&mut nvt::settings::Settings)) -> Camera {
    start(|s| {
        for (name, password, level) in [
            ("admin", PASSWORD, nvt::auth::UserLevel::Administrator),
            (VIEWER.0, VIEWER.1, nvt::auth::UserLevel::User),
            (NVR.0, NVR.1, nvt::auth::UserLevel::User),
        ] {
            s.users.push(nvt::settings::User {
                username: name.into(),
                password: password.into(),
                level,
            });
        }
        edit(s);
    })
}

fn create_as(cam: &Camera, user: (&str, &str)) -> (u16, Element) {
    soap_as(&events_url(cam), "<tev:CreatePullPointSubscription/>", user)
}

fn pull_status(url: &str, user: (&str, &str)) -> u16 {
    soap_as(
        url,
        "<tev:PullMessages><tev:Timeout>PT0S</tev:Timeout><tev:MessageLimit>1</tev:MessageLimit></tev:PullMessages>",
        user,
    )
    .0
}

/// Issue 13: a client that loops creating pull points without unsubscribing held all 16 for
/// their lifetime, and was then refused. Now, with the table full, its least recently used
/// pull point is reclaimed: the loop goes on, always holding the 16 most recent (a pull
/// point it pulled counts as recent).
#[test]
fn a_client_looping_on_create_pull_point_recycles_its_least_recently_used() {
    let cam = start(|_| {});
    let mut addrs = Vec::new();
    for i in 0..24 {
        let (st, env) = create_pull_point(&cam, "");
        assert_eq!(st, 200, "create {i}: {env:?}");
        addrs.push(address(&env));
        if i == 15 {
            // The table is full. Pulled now, the first becomes the most recently used: the
            // second is the least recently used.
            assert_eq!(pull(&addrs[0], "PT0S", "1").0, 200);
        }
    }
    let alive: Vec<bool> = addrs
        .iter()
        .map(|a| pull(a, "PT0S", "1").0 == 200)
        .collect();
    eprintln!("alive after 24 creates: {alive:?}");
    // 24 created, 16 kept: the first (pulled after its creation), and the 15 most recent.
    let mut want = vec![false; 24];
    want[0] = true;
    want[9..].iter_mut().for_each(|w| *w = true);
    assert_eq!(alive, want);
}

/// Issue 14: one User holding all 16 pull points (each with a pull waiting) made the
/// administrator's CreatePullPointSubscription fail; the 16 push subscriptions were the
/// same kind of pool. Now the administrator and another User each get one, taken from the
/// biggest holder, and the hog cannot take them back.
#[test]
fn one_user_cannot_hold_every_subscription() {
    let cam = start_with_users(|s| s.events.allow_private_push_targets = true);
    // The viewer takes every pull point and keeps a pull waiting on each.
    let create_quiet = format!(
        "<tev:CreatePullPointSubscription>{}</tev:CreatePullPointSubscription>",
        quiet()
    );
    let hog: Vec<String> = (0..16)
        .map(|i| {
            let (st, env) = soap_as(&events_url(&cam), &create_quiet, VIEWER);
            assert_eq!(st, 200, "viewer create {i}: {env:?}");
            address(&env)
        })
        .collect();
    let pulls: Vec<_> = hog.iter().map(|a| hold_pull(a, VIEWER, 50)).collect();
    std::thread::sleep(Duration::from_millis(500));
    // Full, every one in use: the viewer itself is refused...
    let (st, env) = create_as(&cam, VIEWER);
    assert_eq!(
        (st, fault(&env).1.as_deref()),
        (500, Some("SubscribeCreationFailedFault"))
    );
    // ...the administrator and the NVR account are not.
    let (st, env) = create_pull_point(&cam, "");
    assert_eq!(st, 200, "administrator refused: {env:?}");
    let admin_pp = address(&env);
    let (st, env) = create_as(&cam, NVR);
    assert_eq!(st, 200, "second user refused: {env:?}");
    let nvr_pp = address(&env);
    // The viewer asks again: it holds 14, the most, so only its own could go, and all of its
    // own are in use: refused; the others' pull points stay.
    let (st, _) = create_as(&cam, VIEWER);
    assert_eq!(st, 500);
    assert_eq!(pull_status(&admin_pp, ("admin", PASSWORD)), 200);
    assert_eq!(pull_status(&nvr_pp, NVR), 200);
    let kept: Vec<&String> = hog
        .iter()
        .filter(|a| pull_status(a, VIEWER) == 200)
        .collect();
    assert_eq!(kept.len(), 14, "one reclaimed for each of the two others");
    // Unsubscribed, the viewer's waiting pulls return (the reclaimed two did already).
    for a in kept {
        assert_eq!(soap_as(a, "<wsnt:Unsubscribe/>", VIEWER).0, 200);
    }
    for p in pulls {
        assert_eq!(p.join().unwrap(), 200);
    }

    // Push: the viewer fills the 16 push slots; the administrator still subscribes.
    let consumer = listener(false);
    let hook = format!("http://{}/hook", consumer.addr);
    let subscribe_as = |user: (&str, &str)| {
        soap_as(
            &events_url(&cam),
            &format!(
                "<wsnt:Subscribe><wsnt:ConsumerReference><wsa:Address>{hook}</wsa:Address></wsnt:ConsumerReference><wsnt:InitialTerminationTime>PT60S</wsnt:InitialTerminationTime></wsnt:Subscribe>"
            ),
            user,
        )
    };
    for i in 0..16 {
        let (st, env) = subscribe_as(VIEWER);
        assert_eq!(st, 200, "viewer subscribe {i}: {env:?}");
    }
    let (st, env) = subscribe(&cam, &hook, "");
    assert_eq!(st, 200, "administrator's Subscribe refused: {env:?}");
    let (st, env) = subscribe_as(NVR);
    assert_eq!(st, 200, "second user's Subscribe refused: {env:?}");
}

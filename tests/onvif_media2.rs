//! The Media2 service (ver20, `tr2`) of the real `nvt` binary over raw SOAP, read side
//! (issue 18 track M1): listed by GetServices with its capabilities (not by GetCapabilities,
//! which has no Media2 category), the same profiles and configurations as Media 1 (one
//! model, two views), GetProfiles' Type filter, the token filters and their faults, the
//! options, encoder instances, every GetStreamUri protocol (played by ffprobe where the
//! loopback allows), the snapshot URI serving a JPEG, and the access classes.

mod support;

use std::process::Command;
use std::time::Duration;

use nix::sys::signal::Signal;
use nvt::xml::Element;
use support::{Daemon, soap};

const TT: &str = "http://www.onvif.org/ver10/schema";
const TR2: &str = "http://www.onvif.org/ver20/media/wsdl";
const TRT: &str = "http://www.onvif.org/ver10/media/wsdl";
const TDS: &str = "http://www.onvif.org/ver10/device/wsdl";
const ENV: &str = "http://www.w3.org/2003/05/soap-envelope";
const MEDIA2: &str = "/onvif/media2_service";
const PASSWORD: &str = "media2-secret";
const ADMIN: Option<(&str, &str)> = Some(("admin", PASSWORD));

fn start(state: &std::path::Path) -> (Daemon, u16) {
    Daemon::start_admin(state, PASSWORD, &[])
}

fn stop(mut nvt: Daemon) {
    nvt.signal(Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(20)).success());
}

/// A Media2 request body: `<tr2:{op}>{inner}</tr2:{op}>` with its namespace declared (the
/// tests' envelope does not declare `tr2`).
fn tr2(op: &str, inner: &str) -> String {
    format!(r#"<tr2:{op} xmlns:tr2="{TR2}">{inner}</tr2:{op}>"#)
}

fn body_of(xml: &str) -> Element {
    let doc = nvt::xml::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{e:?}: {xml}"));
    doc.child(ENV, "Body").expect("Body").clone()
}

/// A Media2 call as the administrator that must succeed: the response element.
fn ok(port: u16, op: &str, inner: &str) -> Element {
    let r = soap::call(port, MEDIA2, ADMIN, &tr2(op, inner));
    assert_eq!(r.status, 200, "{op} {inner}\n{}", r.raw);
    let body = body_of(r.body());
    body.child(TR2, &format!("{op}Response"))
        .unwrap_or_else(|| panic!("no {op}Response: {}", r.raw))
        .clone()
}

/// A Media2 call that must fault with `code` and `subcodes`.
fn fault(port: u16, op: &str, inner: &str, code: &str, subcodes: &[&str]) {
    let r = soap::call(port, MEDIA2, ADMIN, &tr2(op, inner));
    let want: Vec<String> = std::iter::once(format!("env:{code}"))
        .chain(subcodes.iter().map(|s| format!("ter:{s}")))
        .collect();
    assert_eq!(soap::subcodes(r.body()), want, "{op} {inner}\n{}", r.raw);
}

/// A Media 1 call as the administrator that must succeed: the response element.
fn media1(port: u16, body: &str) -> Element {
    let r = soap::call(port, soap::MEDIA, ADMIN, body);
    assert_eq!(r.status, 200, "{body}\n{}", r.raw);
    body_of(r.body()).children[0].clone()
}

fn token(e: &Element) -> String {
    e.attr("token").expect("token").to_owned()
}

/// The tokens of the `ns:name` children of `e`.
fn tokens(e: &Element, ns: &str, name: &str) -> Vec<String> {
    e.children_named(ns, name).map(token).collect()
}

fn text<'a>(e: &'a Element, ns: &str, name: &str) -> &'a str {
    &e.child(ns, name)
        .unwrap_or_else(|| panic!("no {name} in {e:?}"))
        .text
}

/// One profile of a Media2 GetProfiles answer.
#[derive(Debug)]
struct Listed {
    token: String,
    /// (configuration element's name, its token), in the answer's order.
    held: Vec<(String, String)>,
    /// The `Configurations` element, if any.
    set: Option<Element>,
}

/// The Media2 profiles GetProfiles lists for `types`.
fn profiles(port: u16, types: &[&str]) -> Vec<Listed> {
    let inner: String = types
        .iter()
        .map(|t| format!("<tr2:Type>{t}</tr2:Type>"))
        .collect();
    let r = ok(port, "GetProfiles", &inner);
    r.children_named(TR2, "Profiles")
        .map(|p| {
            let set = p.child(TR2, "Configurations").cloned();
            let held = set
                .iter()
                .flat_map(|s| s.children.iter())
                .map(|c| (c.name.clone(), token(c)))
                .collect();
            Listed {
                token: token(p),
                held,
                set,
            }
        })
        .collect()
}

#[test]
fn media2_shows_media1s_profiles_and_configurations() {
    let state = support::temp_state();
    let (nvt, port) = start(state.path());

    // Listed by GetServices with its capabilities, as GetServiceCapabilities answers them
    // (MEDIA2-7-1-2), which is PRE_AUTH.
    let services = soap::call(
        port,
        soap::DEVICE,
        ADMIN,
        "<tds:GetServices><tds:IncludeCapability>true</tds:IncludeCapability></tds:GetServices>",
    );
    assert_eq!(services.status, 200, "{}", services.raw);
    let listed = body_of(services.body());
    let entry = listed
        .child(TDS, "GetServicesResponse")
        .unwrap()
        .children_named(TDS, "Service")
        .find(|s| text(s, TDS, "Namespace") == TR2)
        .unwrap_or_else(|| panic!("no ver20 media in {}", services.raw))
        .clone();
    assert_eq!(
        text(&entry, TDS, "XAddr"),
        format!("http://127.0.0.1:{port}{MEDIA2}")
    );
    let in_services = entry
        .child(TDS, "Capabilities")
        .and_then(|c| c.child(TR2, "Capabilities"))
        .expect("tr2:Capabilities in GetServices")
        .clone();
    let anonymous = soap::call(port, MEDIA2, None, &tr2("GetServiceCapabilities", ""));
    assert_eq!(anonymous.status, 200, "{}", anonymous.raw);
    let direct = body_of(anonymous.body())
        .child(TR2, "GetServiceCapabilitiesResponse")
        .and_then(|r| r.child(TR2, "Capabilities"))
        .expect("Capabilities")
        .clone();
    assert_eq!(in_services, direct);
    let profile_caps = direct.child(TR2, "ProfileCapabilities").unwrap();
    // The simulator's pattern scene has a PTZ head: the PTZ service is there; its board a
    // microphone and a speaker (issue 19).
    assert_eq!(
        profile_caps.attr("ConfigurationsSupported"),
        Some(
            "VideoSource VideoEncoder AudioSource AudioEncoder Metadata PTZ AudioOutput AudioDecoder"
        )
    );
    assert_eq!(profile_caps.attr("MaximumNumberOfProfiles"), Some("16"));
    let streaming = direct.child(TR2, "StreamingCapabilities").unwrap();
    for (a, v) in [
        ("RTSPStreaming", "true"),
        ("RTPMulticast", "true"),
        ("RTP_RTSP_TCP", "true"),
        ("SecureRTSPStreaming", "false"),
    ] {
        assert_eq!(streaming.attr(a), Some(v), "{a}");
    }
    assert_eq!(direct.attr("SnapshotUri"), Some("true"));

    // GetCapabilities has no Media2 category: it names Media 1 only.
    let caps = soap::call(
        port,
        soap::DEVICE,
        ADMIN,
        "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>",
    );
    assert!(
        caps.status == 200
            && caps.body().contains("/onvif/media_service</tt:XAddr>")
            && !caps.body().contains(MEDIA2),
        "{}",
        caps.raw
    );

    // The same profiles as Media 1; without a Type, no configurations (Media2 spec,
    // GetProfiles).
    let m1 = media1(port, "<trt:GetProfiles/>");
    let m1_profiles: Vec<&Element> = m1.children_named(TRT, "Profiles").collect();
    let bare = profiles(port, &[]);
    assert_eq!(
        bare.iter().map(|p| p.token.clone()).collect::<Vec<_>>(),
        m1_profiles.iter().map(|p| token(p)).collect::<Vec<_>>()
    );
    assert!(bare.iter().all(|p| p.set.is_none()), "{bare:?}");
    let fixed = ok(port, "GetProfiles", "");
    for p in fixed.children_named(TR2, "Profiles") {
        let same = m1_profiles.iter().find(|m| token(m) == token(p)).unwrap();
        assert_eq!(p.attr("fixed"), same.attr("fixed"));
        assert_eq!(text(p, TR2, "Name"), text(same, TT, "Name"));
    }

    // All: every configuration, with Media 1's tokens.
    let all = profiles(port, &["All"]);
    for Listed {
        token: profile,
        held,
        ..
    } in &all
    {
        let m = m1_profiles.iter().find(|m| &token(m) == profile).unwrap();
        let of = |name: &str| m.child(TT, name).map(token);
        // Media 1 shows the audio output and decoder in the profile's Extension.
        let ext = |name: &str| {
            m.child(TT, "Extension")
                .and_then(|e| e.child(TT, name))
                .map(token)
        };
        let expect: Vec<(String, String)> = [
            ("VideoSource", of("VideoSourceConfiguration")),
            ("VideoEncoder", of("VideoEncoderConfiguration")),
            ("PTZ", of("PTZConfiguration")),
            ("Metadata", of("MetadataConfiguration")),
            ("AudioOutput", ext("AudioOutputConfiguration")),
            ("AudioDecoder", ext("AudioDecoderConfiguration")),
        ]
        .into_iter()
        .filter_map(|(n, t)| Some((n.to_owned(), t?)))
        .collect();
        assert_eq!(held, &expect, "{profile}");
        // No metadata configuration until a client adds one (docs/rtsp.md, "Tracks"); the
        // simulator's speaker is talk-ready on main (docs/settings.md, "Audio").
        let want = if profile == "main" { 5 } else { 3 };
        assert_eq!(
            held.len(),
            want,
            "main and sub hold all but metadata, main the speaker too: {held:?}"
        );
    }
    // The encoder in Media 2's shape.
    let main_set = all[0].set.as_ref().unwrap();
    let enc = main_set.child(TR2, "VideoEncoder").unwrap();
    assert_eq!(text(enc, TT, "Encoding"), "H264");
    assert!(enc.attr("GovLength").is_some() && enc.attr("Profile").is_some());
    // Only the asked type (and a list in one value).
    let only = profiles(port, &["VideoEncoder"]);
    assert!(
        only.iter()
            .all(|p| p.held.len() == 1 && p.held[0].0 == "VideoEncoder"),
        "{only:?}"
    );
    let two = profiles(port, &["VideoSource PTZ"]);
    assert!(
        two.iter().all(|p| p
            .held
            .iter()
            .map(|h| h.0.as_str())
            .eq(["VideoSource", "PTZ"])),
        "{two:?}"
    );
    // By token; a token that is none.
    let sub = ok(
        port,
        "GetProfiles",
        "<tr2:Token>sub</tr2:Token><tr2:Type>All</tr2:Type>",
    );
    assert_eq!(tokens(&sub, TR2, "Profiles"), ["sub"]);
    fault(
        port,
        "GetProfiles",
        "<tr2:Token>nope</tr2:Token>",
        "Sender",
        &["InvalidArgVal", "NoProfile"],
    );

    // Configurations: all, by configuration token, by profile (every one is compatible),
    // and the two faults; the tokens are Media 1's.
    for (op, m1_op) in [
        (
            "GetVideoSourceConfigurations",
            "GetVideoSourceConfigurations",
        ),
        (
            "GetVideoEncoderConfigurations",
            "GetVideoEncoderConfigurations",
        ),
        ("GetMetadataConfigurations", "GetMetadataConfigurations"),
    ] {
        let all = tokens(&ok(port, op, ""), TR2, "Configurations");
        let m1_all = tokens(
            &media1(port, &format!("<trt:{m1_op}/>")),
            TRT,
            "Configurations",
        );
        assert_eq!(all, m1_all, "{op}");
        let last = all.last().unwrap();
        let one = ok(
            port,
            op,
            &format!("<tr2:ConfigurationToken>{last}</tr2:ConfigurationToken>"),
        );
        assert_eq!(
            &tokens(&one, TR2, "Configurations"),
            std::slice::from_ref(last),
            "{op}"
        );
        let by_profile = ok(port, op, "<tr2:ProfileToken>main</tr2:ProfileToken>");
        assert_eq!(tokens(&by_profile, TR2, "Configurations"), all, "{op}");
        fault(
            port,
            op,
            "<tr2:ConfigurationToken>nope</tr2:ConfigurationToken>",
            "Sender",
            &["InvalidArgVal", "NoConfig"],
        );
        fault(
            port,
            op,
            "<tr2:ProfileToken>nope</tr2:ProfileToken>",
            "Sender",
            &["InvalidArgVal", "NoProfile"],
        );
    }
    // UseCount as Media 1 counts it.
    let vec2 = ok(port, "GetVideoEncoderConfigurations", "");
    let vec1 = media1(port, "<trt:GetVideoEncoderConfigurations/>");
    let counts = |e: &Element, ns: &str| -> Vec<String> {
        e.children_named(ns, "Configurations")
            .map(|c| text(c, TT, "UseCount").to_owned())
            .collect()
    };
    assert_eq!(counts(&vec2, TR2), counts(&vec1, TRT));

    // A change through Media 1 shows in Media 2: a created profile, then its encoder.
    media1(
        port,
        "<trt:CreateProfile><trt:Name>m1made</trt:Name><trt:Token>m1made</trt:Token></trt:CreateProfile>",
    );
    let created = profiles(port, &["All"]);
    let made = created
        .iter()
        .find(|p| p.token == "m1made")
        .expect("created");
    assert!(made.held.is_empty(), "{made:?}");
    fault(
        port,
        "GetStreamUri",
        "<tr2:Protocol>RTSP</tr2:Protocol><tr2:ProfileToken>m1made</tr2:ProfileToken>",
        "Receiver",
        &["Action", "IncompleteConfiguration"],
    );
    media1(
        port,
        "<trt:AddVideoEncoderConfiguration><trt:ProfileToken>m1made</trt:ProfileToken><trt:ConfigurationToken>venc_sub</trt:ConfigurationToken></trt:AddVideoEncoderConfiguration>",
    );
    let after = profiles(port, &["VideoEncoder"]);
    let made = after.iter().find(|p| p.token == "m1made").expect("created");
    assert_eq!(
        made.held,
        [("VideoEncoder".to_owned(), "venc_sub".to_owned())]
    );
    stop(nvt);
}

#[test]
fn options_and_encoder_instances_follow_the_caps() {
    let state = support::temp_state();
    let (nvt, port) = start(state.path());

    let r = ok(port, "GetVideoEncoderConfigurationOptions", "");
    let options: Vec<&Element> = r.children_named(TR2, "Options").collect();
    assert_eq!(options.len(), 1, "one entry per encoding: H.264 only");
    let o = options[0];
    assert_eq!(text(o, TT, "Encoding"), "H264");
    // MEDIA2-2-3-5: GovLengthRange exactly two ascending values, FrameRatesSupported
    // highest first.
    let gov: Vec<i64> = (o.attr("GovLengthRange").unwrap().split_whitespace())
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(gov.len() == 2 && gov[0] <= gov[1], "{gov:?}");
    let fps: Vec<f64> = (o.attr("FrameRatesSupported").unwrap().split_whitespace())
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(fps.windows(2).all(|w| w[0] > w[1]), "{fps:?}");
    // The same caps Media 1's options render.
    let m1 = media1(port, "<trt:GetVideoEncoderConfigurationOptions/>");
    let h264 = m1
        .child(TRT, "Options")
        .and_then(|o| o.child(TT, "H264"))
        .expect("Media 1 H264 options");
    let range = |e: &Element, name: &str| -> (f64, f64) {
        let r = e.child(TT, name).unwrap_or_else(|| panic!("{name}"));
        (
            text(r, TT, "Min").parse().unwrap(),
            text(r, TT, "Max").parse().unwrap(),
        )
    };
    let m1_fps = range(h264, "FrameRateRange");
    assert_eq!((fps[fps.len() - 1], fps[0]), m1_fps);
    let m1_gov = range(h264, "GovLengthRange");
    assert_eq!((gov[0] as f64, gov[1] as f64), m1_gov);
    let m1_sizes: Vec<(String, String)> = h264
        .children_named(TT, "ResolutionsAvailable")
        .map(|r| (text(r, TT, "Width").into(), text(r, TT, "Height").into()))
        .collect();
    let sizes: Vec<(String, String)> = o
        .children_named(TT, "ResolutionsAvailable")
        .map(|r| (text(r, TT, "Width").into(), text(r, TT, "Height").into()))
        .collect();
    assert_eq!(sizes, m1_sizes);
    let m1_bitrate = m1
        .child(TRT, "Options")
        .and_then(|o| o.child(TT, "Extension"))
        .and_then(|e| e.child(TT, "H264"))
        .map(|h| range(h, "BitrateRange"))
        .expect("Media 1 bitrate range");
    assert_eq!(range(o, "BitrateRange"), m1_bitrate);
    // By encoder and by profile: the same (one sensor); the faults.
    for inner in [
        "<tr2:ConfigurationToken>venc_sub</tr2:ConfigurationToken>",
        "<tr2:ProfileToken>main</tr2:ProfileToken>",
    ] {
        let again = ok(port, "GetVideoEncoderConfigurationOptions", inner);
        assert_eq!(again.children_named(TR2, "Options").count(), 1, "{inner}");
    }
    for op in [
        "GetVideoEncoderConfigurationOptions",
        "GetVideoSourceConfigurationOptions",
        "GetMetadataConfigurationOptions",
    ] {
        fault(
            port,
            op,
            "<tr2:ConfigurationToken>nope</tr2:ConfigurationToken>",
            "Sender",
            &["InvalidArgVal", "NoConfig"],
        );
        fault(
            port,
            op,
            "<tr2:ProfileToken>nope</tr2:ProfileToken>",
            "Sender",
            &["InvalidArgVal", "NoProfile"],
        );
    }
    let vso = ok(port, "GetVideoSourceConfigurationOptions", "");
    let vso = vso.child(TR2, "Options").expect("Options");
    assert_eq!(
        vso.children_named(TT, "VideoSourceTokensAvailable")
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>(),
        ["vs0"]
    );
    let meta = ok(port, "GetMetadataConfigurationOptions", "");
    let ptz_status = meta
        .child(TR2, "Options")
        .and_then(|o| o.child(TT, "PTZStatusFilterOptions"))
        .expect("PTZStatusFilterOptions");
    assert_eq!(text(ptz_status, TT, "PanTiltStatusSupported"), "false");

    // Encoder instances: one always-on channel per encoder configuration (main, sub).
    let encoders = tokens(
        &ok(port, "GetVideoEncoderConfigurations", ""),
        TR2,
        "Configurations",
    )
    .len();
    let info = ok(
        port,
        "GetVideoEncoderInstances",
        "<tr2:ConfigurationToken>vsc0</tr2:ConfigurationToken>",
    );
    let info = info.child(TR2, "Info").expect("Info");
    assert_eq!(text(info, TR2, "Total"), encoders.to_string());
    let codec = info.child(TR2, "Codec").expect("Codec");
    assert_eq!(text(codec, TR2, "Encoding"), "H264");
    assert_eq!(text(codec, TR2, "Number"), encoders.to_string());
    fault(
        port,
        "GetVideoEncoderInstances",
        "<tr2:ConfigurationToken>nope</tr2:ConfigurationToken>",
        "Sender",
        &["InvalidArgVal", "NoConfig"],
    );
    stop(nvt);
}

fn stream_uri(port: u16, protocol: &str, profile: &str) -> String {
    let r = ok(
        port,
        "GetStreamUri",
        &format!(
            "<tr2:Protocol>{protocol}</tr2:Protocol><tr2:ProfileToken>{profile}</tr2:ProfileToken>"
        ),
    );
    let uri = text(&r, TR2, "Uri").to_owned();
    assert!(uri.len() <= 128, "Media2: at most 128 octets: {uri}");
    assert!(!uri.contains('@'), "never credentials: {uri}");
    uri
}

/// ffprobe of an RTSP URI with the administrator's credentials: `codec,profile,width,height`
/// or the error output.
fn ffprobe(uri: &str, transport: &str) -> Result<String, String> {
    let uri = uri.replacen("rtsp://", &format!("rtsp://admin:{PASSWORD}@"), 1);
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-rtsp_transport", transport])
        .args(["-rw_timeout", "15000000", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=codec_name,width,height,profile"])
        .args(["-of", "csv=p=0"])
        .arg(&uri)
        .output()
        .expect("run ffprobe");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if out.status.success() && !text.is_empty() {
        Ok(text)
    } else {
        Err(format!("{text}{}", String::from_utf8_lossy(&out.stderr)))
    }
}

#[test]
fn every_stream_uri_plays_and_the_snapshot_is_a_jpeg() {
    let state = support::temp_state();
    let (nvt, port) = start(state.path());

    // Media 1's URI: one for every transport (docs/media.md).
    let m1 = media1(
        port,
        "<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>main</trt:ProfileToken></trt:GetStreamUri>",
    );
    let m1_uri = text(m1.child(TRT, "MediaUri").unwrap(), TT, "Uri").to_owned();
    for (protocol, transport) in [("RtspUnicast", "udp"), ("RTSP", "tcp")] {
        let uri = stream_uri(port, protocol, "main");
        assert_eq!(uri, m1_uri, "{protocol}");
        assert_eq!(
            ffprobe(&uri, transport).as_deref(),
            Ok("h264,Main,1280,720"),
            "{protocol} over {transport}"
        );
    }
    // RtspOverHttp: "a URI that uses the same port as the web service" (Media2 spec,
    // GetStreamUri). The web server hands the tunnel's halves to the RTSP server; ffmpeg
    // tunnels to that port when told to (`-rtsp_transport http` on an rtsp:// URL).
    let over_http = stream_uri(port, "RtspOverHttp", "main");
    assert_eq!(over_http, format!("http://127.0.0.1:{port}/main"));
    assert_eq!(
        ffprobe(&over_http.replacen("http://", "rtsp://", 1), "http").as_deref(),
        Ok("h264,Main,1280,720"),
        "RtspOverHttp through the web port"
    );
    // The RTSP port's tunnel (what Media 1's URI offers) is still there.
    assert_eq!(
        ffprobe(&m1_uri, "http").as_deref(),
        Ok("h264,Main,1280,720"),
        "the tunnel on the RTSP port"
    );
    // RtspMulticast: the stream's multicast URL, whose DESCRIBE names the encoder
    // configuration's group (receiving it needs a multicast route, which a test host may
    // lack: tests/onvif_media.rs plays multicast in two network namespaces).
    let multicast = stream_uri(port, "RtspMulticast", "main");
    assert_eq!(multicast, format!("{m1_uri}/multicast"));
    let venc = ok(
        port,
        "GetVideoEncoderConfigurations",
        "<tr2:ProfileToken>main</tr2:ProfileToken><tr2:ConfigurationToken>venc_main</tr2:ConfigurationToken>",
    );
    let group = (venc.child(TR2, "Configurations"))
        .and_then(|c| c.child(TT, "Multicast"))
        .and_then(|m| m.child(TT, "Address"))
        .map(|a| text(a, TT, "IPv4Address").to_owned())
        .expect("venc_main's multicast group");
    let out = Command::new("ffprobe")
        .args(["-v", "debug", "-rtsp_transport", "udp_multicast"])
        .args([
            "-rw_timeout",
            "5000000",
            "-show_entries",
            "stream=codec_name",
        ])
        .arg(multicast.replacen("rtsp://", &format!("rtsp://admin:{PASSWORD}@"), 1))
        .output()
        .expect("run ffprobe");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains(&format!("c=IN IP4 {group}/")),
        "the multicast URL's SDP names {group}: {log:.3000}"
    );
    let sub = stream_uri(port, "RTSP", "sub");
    assert!(
        ffprobe(&sub, "tcp").is_ok_and(|s| s.starts_with("h264,Main,640,360")),
        "{sub}"
    );
    // No TLS: RTSPS is refused, as is a protocol the enumeration does not have.
    for protocol in ["RtspsUnicast", "RtspsMulticast", "RTP-Unicast"] {
        fault(
            port,
            "GetStreamUri",
            &format!(
                "<tr2:Protocol>{protocol}</tr2:Protocol><tr2:ProfileToken>main</tr2:ProfileToken>"
            ),
            "Sender",
            &["InvalidArgVal", "InvalidStreamSetup"],
        );
    }
    fault(
        port,
        "GetStreamUri",
        "<tr2:Protocol>RTSP</tr2:Protocol><tr2:ProfileToken>nope</tr2:ProfileToken>",
        "Sender",
        &["InvalidArgVal", "NoProfile"],
    );

    // The snapshot URI serves a JPEG (HTTP Digest, as Media 1's).
    let snap = ok(
        port,
        "GetSnapshotUri",
        "<tr2:ProfileToken>main</tr2:ProfileToken>",
    );
    let uri = text(&snap, TR2, "Uri");
    assert_eq!(uri, format!("http://127.0.0.1:{port}/snapshot/main"));
    let dir = tempfile::tempdir().unwrap();
    let jpeg = dir.path().join("snap.jpg");
    let out = Command::new("curl")
        .args(["-sS", "-f", "--max-time", "20", "--digest", "-u"])
        .arg(format!("admin:{PASSWORD}"))
        .arg("-o")
        .arg(&jpeg)
        .arg(uri)
        .output()
        .expect("run curl");
    assert!(out.status.success(), "curl: {out:?}");
    let bytes = std::fs::read(&jpeg).unwrap();
    assert!(
        bytes.starts_with(&[0xFF, 0xD8]) && bytes.ends_with(&[0xFF, 0xD9]),
        "not a JPEG: {} bytes",
        bytes.len()
    );
    fault(
        port,
        "GetSnapshotUri",
        "<tr2:ProfileToken>nope</tr2:ProfileToken>",
        "Sender",
        &["InvalidArgVal", "NoProfile"],
    );
    stop(nvt);
}

#[test]
fn access_classes_of_the_media2_operations() {
    let state = support::temp_state();
    let (nvt, port) = start(state.path());
    let r = soap::call(
        port,
        soap::DEVICE,
        ADMIN,
        "<tds:CreateUsers><tds:User><tt:Username>viewer</tt:Username><tt:Password>viewer-pass</tt:Password><tt:UserLevel>User</tt:UserLevel></tds:User></tds:CreateUsers>",
    );
    assert_eq!(r.status, 200, "{}", r.raw);
    let viewer = Some(("viewer", "viewer-pass"));
    // READ_MEDIA: a User may, nobody anonymous.
    let read = [
        tr2("GetProfiles", "<tr2:Type>All</tr2:Type>"),
        tr2("GetVideoSourceConfigurations", ""),
        tr2("GetVideoEncoderConfigurations", ""),
        tr2("GetMetadataConfigurations", ""),
        tr2("GetVideoSourceConfigurationOptions", ""),
        tr2("GetVideoEncoderConfigurationOptions", ""),
        tr2("GetMetadataConfigurationOptions", ""),
        tr2(
            "GetVideoEncoderInstances",
            "<tr2:ConfigurationToken>vsc0</tr2:ConfigurationToken>",
        ),
        tr2(
            "GetStreamUri",
            "<tr2:Protocol>RTSP</tr2:Protocol><tr2:ProfileToken>main</tr2:ProfileToken>",
        ),
        tr2(
            "GetSnapshotUri",
            "<tr2:ProfileToken>main</tr2:ProfileToken>",
        ),
    ];
    for op in &read {
        let r = soap::call(port, MEDIA2, None, op);
        assert_eq!(r.status, 401, "anonymous {op}: {}", r.raw);
        let r = soap::call(port, MEDIA2, viewer, op);
        assert_eq!(r.status, 200, "viewer {op}: {}", r.raw);
    }
    // PRE_AUTH.
    let r = soap::call(port, MEDIA2, None, &tr2("GetServiceCapabilities", ""));
    assert_eq!(r.status, 200, "{}", r.raw);
    // ACTUATE: not a User's, whatever the operation does.
    let r = soap::call(
        port,
        MEDIA2,
        viewer,
        &tr2("DeleteProfile", "<tr2:Token>main</tr2:Token>"),
    );
    assert!(
        r.status == 400 && r.raw.contains("ter:NotAuthorized"),
        "{}",
        r.raw
    );
    stop(nvt);
}

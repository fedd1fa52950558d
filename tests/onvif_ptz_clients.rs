//! The PTZ service of the real `nvt` binary driven as the real clients drive it (issue 17
//! step 12): Frigate's init, autotracker and UI (conformance/onvif-zeep/frigate_ptz.py) and
//! Home Assistant's setup and `onvif.ptz` action in every mode (ha_ptz.py), both through
//! onvif-zeep-async; and the request shapes of agsh/onvif (the Node library behind
//! node-red-contrib-onvif and Shinobi), written here as raw SOAP since no Node is installed.
//! Each checks where the head ends up, the move states and the faults, not just that the
//! calls were answered.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use nix::sys::signal::Signal;
use nvt::xml::Element;
use support::{Daemon, soap};

const PASSWORD: &str = "ptz-clients-secret";
const TT: &str = "http://www.onvif.org/ver10/schema";
const TPTZ: &str = "http://www.onvif.org/ver20/ptz/wsdl";
const TRT: &str = "http://www.onvif.org/ver10/media/wsdl";
const TDS: &str = "http://www.onvif.org/ver10/device/wsdl";
const FOV: &str = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationSpaceFov";

/// The simulator's head (sdk-sys/src/sim/ptz.rs): pan +-170 degrees, so a generic pan
/// position of 1 is 170 degrees; a 60-degree view at 1x.
const PAN_HALF: f32 = 170.0;

fn stop(mut nvt: Daemon) {
    nvt.signal(Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(20)).success());
}

/// Runs `conformance/onvif-zeep/SCRIPT` against a fresh nvt; it must print OK, then a JSON
/// object on its last line, which is returned.
fn run_client(script: &str) -> serde_json::Value {
    let py = support::python::zeep();
    let state = support::temp_state();
    let mut nvt = Daemon::start(state.path(), &[], &[("NVT_ADMIN_PASSWORD", PASSWORD)]);
    let port = nvt.http_port();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("conformance/onvif-zeep")
        .join(script);
    let out = Command::new(&py)
        .arg(&path)
        .args(["127.0.0.1", &port.to_string(), "admin", PASSWORD])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && stdout.contains("OK"),
        "{script}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{script}: {stdout}");
    stop(nvt);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {last}"))
}

fn f64_at(v: &serde_json::Value, path: &[&str]) -> f64 {
    let mut v = v;
    for k in path {
        v = &v[k];
    }
    v.as_f64().unwrap_or_else(|| panic!("{path:?} in {v}"))
}

/// Frigate's `_init_onvif` finds every feature its autotracker needs, and each autotracker
/// move is over when its tight GetStatus loop sees IDLE: the script checks the position read
/// right after the loop (a head that said IDLE before it had moved fails there).
#[test]
fn frigate_init_autotracker_moves_presets_and_ui() {
    let out = run_client("frigate_ptz.py");
    let features: Vec<&str> = out["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    for want in ["pt", "zoom", "pt-r", "zoom-r", "zoom-a", "pt-r-fov"] {
        assert!(features.contains(&want), "{want}: {features:?}");
    }
    // The loop saw MOVING first, then IDLE, within Frigate's 10 s.
    for mv in ["move_1x", "zoom_absolute", "move_5x", "goto_preset"] {
        let polls = f64_at(&out, &[mv, "polls"]);
        let secs = f64_at(&out, &[mv, "seconds"]);
        assert!(polls >= 2.0 && secs < 10.0, "{mv}: {polls} polls, {secs} s");
    }
    // What zeep sends for `Position={"Zoom": z}, Speed={"Zoom": s}` (bare floats).
    let body = out["zoom_absolute_body"].as_str().unwrap();
    assert!(
        body.contains(r#"<ns0:Position><ns1:Zoom xmlns:ns1="http://www.onvif.org/ver10/schema" x="0.5"/></ns0:Position>"#)
            && body.contains(r#"x="1"/></ns0:Speed>"#),
        "{body}"
    );
}

/// Home Assistant's setup sees continuous, relative and absolute PTZ on both profiles with
/// the user's preset; its continuous zoom, which it never stops, ends at DefaultPTZTimeout;
/// a zoom of -0.1 (ZOOM_OUT as an absolute position) is InvalidPosition.
#[test]
fn home_assistant_onvif_ptz_action_in_every_mode() {
    let out = run_client("ha_ptz.py");
    let idle = f64_at(&out, &["continuous", "zoom_idle_after_s"]);
    assert!((4.8..6.5).contains(&idle), "zoom idle after {idle} s");
    assert_eq!(
        out["zoom_out_fault"]["subcodes"],
        serde_json::json!(["InvalidArgVal", "InvalidPosition"])
    );
    assert!(f64_at(&out, &["stop_idle_s"]) < 1.0, "{out}");
}

// ---- agsh/onvif (lib/ptz.js, lib/cam.js), as raw SOAP ----

/// agsh's `_envelopeHeader`/`_envelopeFooter` (lib/cam.js): an unprefixed wsse:Security with
/// s:mustUnderstand, a PasswordDigest over a nonce that is a decimal number's text, a Created
/// with milliseconds (JavaScript's toISOString), the body declaring xsi and xsd.
fn agsh_envelope(body: &str) -> String {
    let nonce = (rand::random::<u64>() % 10_000_000_000 + 1).to_string();
    let ms = soap::now_ms();
    let created = format!(
        "{}.{:03}Z",
        nvt::xml::xsd::format_datetime(ms - ms % 1000).trim_end_matches('Z'),
        ms % 1000
    );
    let digest = nvt::auth::wsse::password_digest(nonce.as_bytes(), &created, PASSWORD);
    let nonce = base64::engine::general_purpose::STANDARD.encode(nonce);
    format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header><Security s:mustUnderstand="1" xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><UsernameToken><Username>admin</Username><Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">{digest}</Password><Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">{nonce}</Nonce><Created xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">{created}</Created></UsernameToken></Security></s:Header><s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">{body}</s:Body></s:Envelope>"#
    )
}

/// One agsh request to `path`; returns the response's Body (it must be a 200).
fn agsh(port: u16, path: &str, body: &str) -> Element {
    let to = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let r = soap::post_envelope(to, None, path, None, &agsh_envelope(body));
    assert_eq!(r.status, 200, "{body}\n{}", r.raw);
    let doc = nvt::xml::parse(r.body().as_bytes()).unwrap_or_else(|e| panic!("{e:?}: {}", r.raw));
    doc.child(soap::ENV, "Body").expect("Body").clone()
}

/// A PTZ request in agsh's shape: the operation in the default namespace.
fn ptz_op(op: &str, inner: &str) -> String {
    format!(r#"<{op} xmlns="{TPTZ}"><ProfileToken>main</ProfileToken>{inner}</{op}>"#)
}

/// lib/ptz.js `_panTiltZoomVectors`: PanTilt when x and y are given, Zoom when zoom is,
/// numbers as JavaScript prints them, each vector declaring the schema namespace.
fn vectors(pan_tilt: Option<(&str, &str)>, zoom: Option<&str>, xyspace: Option<&str>) -> String {
    let space = xyspace
        .map(|s| format!(r#" space="{s}""#))
        .unwrap_or_default();
    let pt = pan_tilt
        .map(|(x, y)| format!(r#"<PanTilt x="{x}" y="{y}"{space} xmlns="{TT}"/>"#))
        .unwrap_or_default();
    let z = zoom
        .map(|z| format!(r#"<Zoom x="{z}" xmlns="{TT}"/>"#))
        .unwrap_or_default();
    pt + &z
}

/// What agsh's getStatus callback makes of the answer: position x, y, zoom (0 when absent),
/// the two move states, and whether utcTime was there.
#[derive(Debug)]
struct AgshStatus {
    x: f32,
    y: f32,
    zoom: f32,
    pan_tilt: String,
    zoom_state: String,
}

fn get_status(port: u16, path: &str) -> AgshStatus {
    let b = agsh(port, path, &ptz_op("GetStatus", ""));
    let st = b
        .child(TPTZ, "GetStatusResponse")
        .and_then(|r| r.child(TPTZ, "PTZStatus"))
        .expect("PTZStatus");
    assert!(st.child(TT, "UtcTime").is_some(), "utcTime");
    let pos = st.child(TT, "Position");
    let attr = |group: &str, a: &str| {
        pos.and_then(|p| p.child(TT, group))
            .and_then(|v| v.attr(a))
            .map_or(0.0, |v| v.parse::<f32>().unwrap())
    };
    let ms = st.child(TT, "MoveStatus").expect("moveStatus");
    let state = |g: &str| ms.child(TT, g).map(|e| e.text.clone()).unwrap_or_default();
    AgshStatus {
        x: attr("PanTilt", "x"),
        y: attr("PanTilt", "y"),
        zoom: attr("Zoom", "x"),
        pan_tilt: state("PanTilt"),
        zoom_state: state("Zoom"),
    }
}

fn wait_idle(port: u16, path: &str) -> (AgshStatus, Duration) {
    let t0 = Instant::now();
    loop {
        let s = get_status(port, path);
        if s.pan_tilt == "IDLE" && s.zoom_state == "IDLE" {
            return (s, t0.elapsed());
        }
        assert!(t0.elapsed() < Duration::from_secs(15), "never idle: {s:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn at(s: &AgshStatus, x: f32, y: f32, zoom: f32) {
    let close = |a: f32, b: f32| (a - b).abs() < 0.002;
    assert!(
        close(s.x, x) && close(s.y, y) && close(s.zoom, zoom),
        "{s:?}, wanted {x} {y} {zoom}"
    );
}

/// The text of `{TT}name` children's first entry of each Spaces list.
fn first_space_uris(options: &Element) -> Vec<(String, String)> {
    let spaces = options
        .child(TPTZ, "GetConfigurationOptionsResponse")
        .and_then(|r| r.child(TPTZ, "PTZConfigurationOptions"))
        .and_then(|o| o.child(TT, "Spaces"))
        .expect("spaces");
    let mut seen = Vec::new();
    for c in &spaces.children {
        if seen.iter().any(|(n, _): &(String, String)| *n == c.name) {
            continue;
        }
        let uri = c
            .child(TT, "URI")
            .map(|u| u.text.clone())
            .unwrap_or_default();
        seen.push((c.name.clone(), uri));
    }
    seen
}

#[test]
fn agsh_onvif_request_shapes() {
    let state = support::temp_state();
    let mut nvt = Daemon::start(state.path(), &[], &[("NVT_ADMIN_PASSWORD", PASSWORD)]);
    let port = nvt.http_port();

    // cam.js connect: GetCapabilities(All) gives the PTZ XAddr agsh uses from then on.
    let caps = agsh(
        port,
        soap::DEVICE,
        &format!(r#"<GetCapabilities xmlns="{TDS}"><Category>All</Category></GetCapabilities>"#),
    );
    let xaddr = caps
        .child(TDS, "GetCapabilitiesResponse")
        .and_then(|r| r.child(TDS, "Capabilities"))
        .and_then(|c| c.child(TT, "PTZ"))
        .and_then(|p| p.child(TT, "XAddr"))
        .map(|x| x.text.clone())
        .expect("PTZ in GetCapabilities");
    let path = xaddr
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        .expect("a path in the XAddr");
    assert_eq!(path, soap::PTZ);
    let path = path.as_str();
    let profiles = agsh(
        port,
        soap::MEDIA,
        &format!(r#"<GetProfiles xmlns="{TRT}"/>"#),
    );
    let main = profiles
        .child(TRT, "GetProfilesResponse")
        .and_then(|r| {
            r.children_named(TRT, "Profiles")
                .find(|p| p.attr("token") == Some("main"))
        })
        .expect("main profile");
    let config = main
        .child(TT, "PTZConfiguration")
        .and_then(|c| c.attr("token"))
        .expect("PTZConfiguration token");

    // getNodes, getConfigurations: what agsh reads must be there.
    let nodes = agsh(port, path, &format!(r#"<GetNodes xmlns="{TPTZ}" />"#));
    assert!(
        nodes
            .child(TPTZ, "GetNodesResponse")
            .and_then(|r| r.child(TPTZ, "PTZNode"))
            .and_then(|n| n.attr("token"))
            .is_some(),
        "PTZNode token"
    );
    let configs = agsh(
        port,
        path,
        &format!(r#"<GetConfigurations xmlns="{TPTZ}"></GetConfigurations>"#),
    );
    let c = configs
        .child(TPTZ, "GetConfigurationsResponse")
        .and_then(|r| r.child(TPTZ, "PTZConfiguration"))
        .expect("PTZConfiguration");
    assert_eq!(c.attr("token"), Some(config));
    for (group, axes) in [
        ("PanTiltLimits", &["XRange", "YRange"][..]),
        ("ZoomLimits", &["XRange"]),
    ] {
        let range = c.child(TT, group).and_then(|l| l.child(TT, "Range"));
        for axis in axes {
            let r = range.and_then(|r| r.child(TT, axis));
            assert!(
                r.and_then(|r| r.child(TT, "Min")).is_some()
                    && r.and_then(|r| r.child(TT, "Max")).is_some(),
                "{group}.Range.{axis}"
            );
        }
    }
    let speed = c.child(TT, "DefaultPTZSpeed").expect("defaultPTZSpeed");
    assert!(
        speed
            .child(TT, "PanTilt")
            .and_then(|p| p.attr("y"))
            .is_some()
    );
    assert!(speed.child(TT, "Zoom").and_then(|z| z.attr("x")).is_some());

    // getConfigurationOptions: PTZTimeout Min/Max are read unconditionally, and entry [0] of
    // each Spaces list is "the" space: the generic ones, not the FOV translation.
    let options = agsh(
        port,
        path,
        &format!(
            r#"<GetConfigurationOptions xmlns="{TPTZ}"><ConfigurationToken>{config}</ConfigurationToken></GetConfigurationOptions>"#
        ),
    );
    let timeout = options
        .child(TPTZ, "GetConfigurationOptionsResponse")
        .and_then(|r| r.child(TPTZ, "PTZConfigurationOptions"))
        .and_then(|o| o.child(TT, "PTZTimeout"))
        .expect("PTZTimeout");
    assert!(timeout.child(TT, "Min").is_some() && timeout.child(TT, "Max").is_some());
    let first = first_space_uris(&options);
    let generic = "http://www.onvif.org/ver10/tptz/";
    for (list, uri) in [
        (
            "AbsolutePanTiltPositionSpace",
            "PanTiltSpaces/PositionGenericSpace",
        ),
        (
            "AbsoluteZoomPositionSpace",
            "ZoomSpaces/PositionGenericSpace",
        ),
        (
            "RelativePanTiltTranslationSpace",
            "PanTiltSpaces/TranslationGenericSpace",
        ),
        (
            "RelativeZoomTranslationSpace",
            "ZoomSpaces/TranslationGenericSpace",
        ),
        (
            "ContinuousPanTiltVelocitySpace",
            "PanTiltSpaces/VelocityGenericSpace",
        ),
        (
            "ContinuousZoomVelocitySpace",
            "ZoomSpaces/VelocityGenericSpace",
        ),
        ("PanTiltSpeedSpace", "PanTiltSpaces/GenericSpeedSpace"),
        ("ZoomSpeedSpace", "ZoomSpaces/ZoomGenericSpeedSpace"),
    ] {
        let got = first
            .iter()
            .find(|(n, _)| n == list)
            .map(|(_, u)| u.as_str());
        assert_eq!(
            got,
            Some(format!("{generic}{uri}").as_str()),
            "{list}: {first:?}"
        );
    }

    let s = get_status(port, path);
    at(&s, 0.0, 0.0, 0.0);

    // absoluteMove always sends PanTilt x,y and Zoom x ("forcibly set undefined move
    // parameters to zero"): {x, y, zoom, speed} goes there; {x} alone also zooms out to 0.
    let r = agsh(
        port,
        path,
        &ptz_op(
            "AbsoluteMove",
            &format!(
                "<Position>{}</Position><Speed>{}</Speed>",
                vectors(Some(("-0.5", "0.25")), Some("0.25"), None),
                vectors(Some(("1", "1")), Some("1"), None)
            ),
        ),
    );
    assert!(r.child(TPTZ, "AbsoluteMoveResponse").is_some());
    at(&wait_idle(port, path).0, -0.5, 0.25, 0.25);
    agsh(
        port,
        path,
        &ptz_op(
            "AbsoluteMove",
            &format!(
                "<Position>{}</Position>",
                vectors(Some(("0.3", "0")), Some("0"), None)
            ),
        ),
    );
    at(&wait_idle(port, path).0, 0.3, 0.0, 0.0);

    // relativeMove {x: 0.1, speed: {x: 0.5, y: 0.5}}: Zoom x="0" rides along, Speed has no
    // Zoom. In the generic translation space 0.1 is 0.1 of the position space.
    agsh(
        port,
        path,
        &ptz_op(
            "RelativeMove",
            &format!(
                "<Translation>{}</Translation><Speed>{}</Speed>",
                vectors(Some(("0.1", "0")), Some("0"), None),
                vectors(Some(("0.5", "0.5")), None, None)
            ),
        ),
    );
    at(&wait_idle(port, path).0, 0.4, 0.0, 0.0);
    // With xyspace (the FOV space): x = 1 is half the 60-degree view at 1x.
    agsh(
        port,
        path,
        &ptz_op(
            "RelativeMove",
            &format!(
                "<Translation>{}</Translation>",
                vectors(Some(("-1", "0")), Some("0"), Some(FOV))
            ),
        ),
    );
    at(&wait_idle(port, path).0, 0.4 - 30.0 / PAN_HALF, 0.0, 0.0);
    // JavaScript prints small numbers with an exponent: a valid xs:float.
    agsh(
        port,
        path,
        &ptz_op(
            "RelativeMove",
            &format!(
                "<Translation>{}</Translation>",
                vectors(Some(("1e-7", "-2.5e-8")), Some("0"), None)
            ),
        ),
    );
    let (s, _) = wait_idle(port, path);
    at(&s, 0.4 - 30.0 / PAN_HALF, 0.0, 0.0);
    let here = s.x;

    // continuousMove {x: 0.25, timeout: 500}: Zoom x="0" too, Timeout "PT" + 500/1000 + "S".
    let t0 = Instant::now();
    agsh(
        port,
        path,
        &ptz_op(
            "ContinuousMove",
            &format!(
                "<Velocity>{}</Velocity><Timeout>PT0.5S</Timeout>",
                vectors(Some(("0.25", "0")), Some("0"), None)
            ),
        ),
    );
    let s = get_status(port, path);
    assert_eq!(
        (s.pan_tilt.as_str(), s.zoom_state.as_str()),
        ("MOVING", "IDLE"),
        "{s:?}"
    );
    let (s, _) = wait_idle(port, path);
    let stopped = t0.elapsed();
    // 30 deg/s for 0.5 s (the ramps at both ends cancel out): 15 degrees.
    let turned = (s.x - here) * PAN_HALF;
    assert!(
        stopped >= Duration::from_millis(500) && stopped < Duration::from_millis(1500),
        "idle after {stopped:?}"
    );
    assert!((12.0..18.0).contains(&turned), "{turned} degrees");

    // continuousMove {zoom: 0.5, onlySendZoom: true, timeout: 1500}: Zoom alone, PT1.5S.
    let t0 = Instant::now();
    agsh(
        port,
        path,
        &ptz_op(
            "ContinuousMove",
            &format!(
                "<Velocity>{}</Velocity><Timeout>PT1.5S</Timeout>",
                vectors(None, Some("0.5"), None)
            ),
        ),
    );
    let s = get_status(port, path);
    assert_eq!(
        (s.pan_tilt.as_str(), s.zoom_state.as_str()),
        ("IDLE", "MOVING"),
        "{s:?}"
    );
    let (zoomed, _) = wait_idle(port, path);
    let stopped = t0.elapsed();
    assert!(
        stopped >= Duration::from_millis(1500) && stopped < Duration::from_millis(2500),
        "idle after {stopped:?}"
    );
    // 2.5x per second for 1.5 s of the 9x range.
    assert!((zoomed.zoom - 3.75 / 9.0).abs() < 0.03, "{zoomed:?}");

    // stop {panTilt: true}: <PanTilt>true</PanTilt> only, ending a move without a Timeout.
    agsh(
        port,
        path,
        &ptz_op(
            "ContinuousMove",
            &format!(
                "<Velocity>{}</Velocity>",
                vectors(Some(("-0.5", "0")), Some("0"), None)
            ),
        ),
    );
    std::thread::sleep(Duration::from_millis(300));
    let t0 = Instant::now();
    agsh(port, path, &ptz_op("Stop", "<PanTilt>true</PanTilt>"));
    let (s, _) = wait_idle(port, path);
    assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
    assert!(s.x < zoomed.x, "{s:?}");
    // stop() with no flags stops both groups.
    let before = s;
    agsh(
        port,
        path,
        &ptz_op(
            "ContinuousMove",
            &format!(
                "<Velocity>{}</Velocity>",
                vectors(Some(("0", "0.3")), Some("-0.3"), None)
            ),
        ),
    );
    std::thread::sleep(Duration::from_millis(200));
    agsh(port, path, &ptz_op("Stop", ""));
    let (stopped_at, took) = wait_idle(port, path);
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert!(
        stopped_at.y > before.y && stopped_at.zoom < before.zoom,
        "{before:?} {stopped_at:?}"
    );

    // setPreset {presetName} (no token) answers the new token; getPresets maps name -> token.
    let r = agsh(
        port,
        path,
        &ptz_op("SetPreset", "<PresetName>door</PresetName>"),
    );
    let token = r
        .child(TPTZ, "SetPresetResponse")
        .and_then(|r| r.child(TPTZ, "PresetToken"))
        .map(|t| t.text.clone())
        .expect("PresetToken");
    // setPreset {presetName, presetToken} of that preset elsewhere: the preset moves along.
    agsh(
        port,
        path,
        &ptz_op(
            "AbsoluteMove",
            &format!(
                "<Position>{}</Position>",
                vectors(Some(("0.6", "-0.4")), Some("0.1"), None)
            ),
        ),
    );
    let (door, _) = wait_idle(port, path);
    let r = agsh(
        port,
        path,
        &ptz_op(
            "SetPreset",
            &format!("<PresetName>door</PresetName><PresetToken>{token}</PresetToken>"),
        ),
    );
    assert_eq!(
        r.child(TPTZ, "SetPresetResponse")
            .and_then(|r| r.child(TPTZ, "PresetToken"))
            .map(|t| t.text.as_str()),
        Some(token.as_str())
    );
    let presets = agsh(port, path, &ptz_op("GetPresets", ""));
    let listed: Vec<(String, String)> = presets
        .child(TPTZ, "GetPresetsResponse")
        .map(|r| {
            r.children_named(TPTZ, "Preset")
                .map(|p| {
                    (
                        p.child(TT, "Name")
                            .map(|n| n.text.clone())
                            .unwrap_or_default(),
                        p.attr("token").unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(listed, vec![("door".to_owned(), token.clone())]);
    // gotoPreset {preset, speed: {x, y, zoom}}, from elsewhere.
    agsh(
        port,
        path,
        &ptz_op(
            "AbsoluteMove",
            &format!(
                "<Position>{}</Position>",
                vectors(Some(("0", "0")), Some("0"), None)
            ),
        ),
    );
    at(&wait_idle(port, path).0, 0.0, 0.0, 0.0);
    agsh(
        port,
        path,
        &ptz_op(
            "GotoPreset",
            &format!(
                "<PresetToken>{token}</PresetToken><Speed>{}</Speed>",
                vectors(Some(("1", "1")), Some("1"), None)
            ),
        ),
    );
    at(&wait_idle(port, path).0, door.x, door.y, door.zoom);
    agsh(
        port,
        path,
        &ptz_op(
            "RemovePreset",
            &format!("<PresetToken>{token}</PresetToken>"),
        ),
    );
    let presets = agsh(port, path, &ptz_op("GetPresets", ""));
    assert!(
        presets
            .child(TPTZ, "GetPresetsResponse")
            .is_some_and(|r| r.child(TPTZ, "Preset").is_none()),
        "removed"
    );

    // gotoHomePosition {speed: {x, y}} (Speed without Zoom): the factory home; then
    // setHomePosition here and gotoHomePosition {} comes back to it.
    agsh(
        port,
        path,
        &ptz_op(
            "GotoHomePosition",
            &format!(
                "<Speed>{}</Speed>",
                vectors(Some(("0.5", "0.5")), None, None)
            ),
        ),
    );
    at(&wait_idle(port, path).0, 0.0, 0.0, 0.0);
    agsh(
        port,
        path,
        &ptz_op(
            "AbsoluteMove",
            &format!(
                "<Position>{}</Position>",
                vectors(Some(("-0.2", "0.2")), Some("0.2"), None)
            ),
        ),
    );
    wait_idle(port, path);
    agsh(port, path, &ptz_op("SetHomePosition", ""));
    agsh(
        port,
        path,
        &ptz_op(
            "AbsoluteMove",
            &format!(
                "<Position>{}</Position>",
                vectors(Some(("0", "0")), Some("0"), None)
            ),
        ),
    );
    wait_idle(port, path);
    agsh(port, path, &ptz_op("GotoHomePosition", ""));
    at(&wait_idle(port, path).0, -0.2, 0.2, 0.2);
    stop(nvt);
}

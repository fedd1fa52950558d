//! The PTZ service of the real `nvt` binary on the simulator's motorised head, over raw SOAP
//! (the clients' own sequences, through onvif-zeep-async, are in `onvif_ptz_clients.rs`):
//! listing (GetServices, GetCapabilities), nodes, configurations and options, every kind of
//! move reaching the position GetStatus then reports (MOVING, then IDLE), the continuous
//! move's Timeout, every fault subcode the PTZ spec names, access classes, and presets, home
//! and SetConfiguration surviving a restart.

mod support;

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use nvt::xml::Element;
use support::{Daemon, soap};

const TT: &str = "http://www.onvif.org/ver10/schema";
const TPTZ: &str = "http://www.onvif.org/ver20/ptz/wsdl";
const ENV: &str = "http://www.w3.org/2003/05/soap-envelope";
const PASSWORD: &str = "ptz-secret";
const ADMIN: Option<(&str, &str)> = Some(("admin", PASSWORD));

fn start(state: &std::path::Path) -> (Daemon, u16) {
    let mut nvt = Daemon::start(state, &[], &[("NVT_ADMIN_PASSWORD", PASSWORD)]);
    let port = nvt.http_port();
    (nvt, port)
}

fn stop(mut nvt: Daemon) {
    nvt.signal(Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(20)).success());
}

/// A PTZ call as the administrator that must succeed; returns the response body.
fn ok(port: u16, body: &str) -> String {
    let r = soap::call(port, soap::PTZ, ADMIN, body);
    assert_eq!(r.status, 200, "{body}\n{}", r.raw);
    r.body().to_owned()
}

/// A PTZ call that must fault with `subcodes` (after the SOAP code).
fn fault(port: u16, body: &str, code: &str, subcodes: &[&str]) {
    let r = soap::call(port, soap::PTZ, ADMIN, body);
    let got = soap::subcodes(r.body());
    let want: Vec<String> = std::iter::once(format!("env:{code}"))
        .chain(subcodes.iter().map(|s| format!("ter:{s}")))
        .collect();
    assert_eq!(got, want, "{body}\n{}", r.raw);
}

fn body_of(xml: &str) -> Element {
    let doc = nvt::xml::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{e:?}: {xml}"));
    doc.child(ENV, "Body").expect("Body").clone()
}

/// GetStatus of the main profile: (pan, tilt, zoom) in the generic spaces and the two move
/// states.
#[derive(Debug)]
struct Status {
    pan: f32,
    tilt: f32,
    zoom: f32,
    pan_tilt: String,
    zoom_state: String,
}

fn status(port: u16) -> Status {
    let b = body_of(&ok(
        port,
        "<tptz:GetStatus><tptz:ProfileToken>main</tptz:ProfileToken></tptz:GetStatus>",
    ));
    let st = b
        .child(TPTZ, "GetStatusResponse")
        .and_then(|r| r.child(TPTZ, "PTZStatus"))
        .expect("PTZStatus");
    assert!(st.child(TT, "UtcTime").is_some(), "UtcTime is required");
    let pos = st.child(TT, "Position").expect("Position");
    let pt = pos.child(TT, "PanTilt").expect("PanTilt");
    let f = |e: &Element, a: &str| e.attr(a).unwrap().parse::<f32>().unwrap();
    let ms = st.child(TT, "MoveStatus").expect("MoveStatus");
    Status {
        pan: f(pt, "x"),
        tilt: f(pt, "y"),
        zoom: f(pos.child(TT, "Zoom").expect("Zoom"), "x"),
        pan_tilt: ms.child(TT, "PanTilt").unwrap().text.clone(),
        zoom_state: ms.child(TT, "Zoom").unwrap().text.clone(),
    }
}

/// Polls GetStatus until both groups are IDLE; returns the status and how long it took.
fn wait_idle(port: u16) -> (Status, Duration) {
    let t0 = Instant::now();
    loop {
        let s = status(port);
        if s.pan_tilt == "IDLE" && s.zoom_state == "IDLE" {
            return (s, t0.elapsed());
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "never idle: {s:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() < 0.002
}

fn absolute(pan: f32, tilt: f32, zoom: f32) -> String {
    format!(
        "<tptz:AbsoluteMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Position><tt:PanTilt x=\"{pan}\" y=\"{tilt}\"/><tt:Zoom x=\"{zoom}\"/></tptz:Position></tptz:AbsoluteMove>"
    )
}

/// An AbsoluteMove of pan/tilt in the spherical position space in degrees.
fn degrees(pan: f32, tilt: f32) -> String {
    format!(
        "<tptz:AbsoluteMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Position><tt:PanTilt x=\"{pan}\" y=\"{tilt}\" space=\"http://www.onvif.org/ver10/tptz/PanTiltSpaces/SphericalPositionSpaceDegrees\"/></tptz:Position></tptz:AbsoluteMove>"
    )
}

fn home(port: u16) {
    ok(port, &absolute(0.0, 0.0, 0.0));
    wait_idle(port);
}

#[test]
fn ptz_is_listed_with_its_node_configuration_and_options() {
    let state = support::temp_state();
    let (nvt, port) = start(state.path());

    let services = soap::call(
        port,
        soap::DEVICE,
        ADMIN,
        "<tds:GetServices><tds:IncludeCapability>true</tds:IncludeCapability></tds:GetServices>",
    );
    let b = services.body();
    assert!(
        b.contains("<tds:Namespace>http://www.onvif.org/ver20/ptz/wsdl</tds:Namespace>")
            && b.contains("/onvif/ptz_service")
            && b.contains("MoveStatus=\"true\""),
        "{b}"
    );
    let caps = soap::call(
        port,
        soap::DEVICE,
        ADMIN,
        "<tds:GetCapabilities><tds:Category>PTZ</tds:Category></tds:GetCapabilities>",
    );
    assert!(
        caps.status == 200 && caps.body().contains("/onvif/ptz_service</tt:XAddr>"),
        "{}",
        caps.raw
    );

    // GetServiceCapabilities is PRE_AUTH; everything else needs a user.
    let r = soap::call(port, soap::PTZ, None, "<tptz:GetServiceCapabilities/>");
    assert!(
        r.status == 200
            && r.body().contains("MoveStatus=\"true\"")
            && r.body().contains("StatusPosition=\"true\""),
        "{}",
        r.raw
    );
    let r = soap::call(port, soap::PTZ, None, "<tptz:GetNodes/>");
    assert_eq!(r.status, 401, "{}", r.raw);

    let nodes = ok(port, "<tptz:GetNodes/>");
    for needle in [
        "token=\"ptz_node_0\"",
        "FixedHomePosition=\"false\"",
        "<tt:MaximumNumberOfPresets>100</tt:MaximumNumberOfPresets>",
        "<tt:HomeSupported>true</tt:HomeSupported>",
        "PanTiltSpaces/TranslationSpaceFov",
        "ZoomSpaces/VelocityGenericSpace",
    ] {
        assert!(nodes.contains(needle), "{needle}: {nodes}");
    }
    let node = ok(
        port,
        "<tptz:GetNode><tptz:NodeToken>ptz_node_0</tptz:NodeToken></tptz:GetNode>",
    );
    assert!(node.contains("token=\"ptz_node_0\""), "{node}");
    fault(
        port,
        "<tptz:GetNode><tptz:NodeToken>nope</tptz:NodeToken></tptz:GetNode>",
        "Sender",
        &["InvalidArgVal", "NoEntity"],
    );

    let configs = ok(port, "<tptz:GetConfigurations/>");
    for needle in [
        "token=\"ptz_0\"",
        "<tt:NodeToken>ptz_node_0</tt:NodeToken>",
        "<tt:DefaultContinuousPanTiltVelocitySpace>http://www.onvif.org/ver10/tptz/PanTiltSpaces/VelocityGenericSpace</tt:DefaultContinuousPanTiltVelocitySpace>",
        "<tt:DefaultPTZTimeout>PT5S</tt:DefaultPTZTimeout>",
    ] {
        assert!(configs.contains(needle), "{needle}: {configs}");
    }
    // The fixed profiles (main and sub) use it.
    assert!(
        configs.contains("<tt:UseCount>2</tt:UseCount>"),
        "{configs}"
    );
    let options = ok(
        port,
        "<tptz:GetConfigurationOptions><tptz:ConfigurationToken>ptz_0</tptz:ConfigurationToken></tptz:GetConfigurationOptions>",
    );
    assert!(
        options.contains("<tt:Min>PT0.1S</tt:Min><tt:Max>PT120S</tt:Max>"),
        "{options}"
    );
    for bad in [
        "<tptz:GetConfiguration><tptz:PTZConfigurationToken>nope</tptz:PTZConfigurationToken></tptz:GetConfiguration>",
        "<tptz:GetConfigurationOptions><tptz:ConfigurationToken>nope</tptz:ConfigurationToken></tptz:GetConfigurationOptions>",
    ] {
        fault(port, bad, "Sender", &["InvalidArgVal", "NoConfig"]);
    }
    let compatible = ok(
        port,
        "<tptz:GetCompatibleConfigurations><tptz:ProfileToken>main</tptz:ProfileToken></tptz:GetCompatibleConfigurations>",
    );
    assert!(compatible.contains("token=\"ptz_0\""), "{compatible}");
    // Not offered: the generator's rule.
    fault(
        port,
        "<tptz:SendAuxiliaryCommand><tptz:ProfileToken>main</tptz:ProfileToken><tptz:AuxiliaryData>tt:Wiper|On</tptz:AuxiliaryData></tptz:SendAuxiliaryCommand>",
        "Receiver",
        &["ActionNotSupported"],
    );
    stop(nvt);
}

#[test]
fn moves_reach_their_positions_and_status_reports_moving_then_idle() {
    let state = support::temp_state();
    let (nvt, port) = start(state.path());
    let s = status(port);
    assert!(
        close(s.pan, 0.0) && close(s.tilt, 0.0) && close(s.zoom, 0.0),
        "{s:?}"
    );

    // Absolute: a quarter turn right, up, 5.5x. At finite speed the head is MOVING first.
    let t0 = Instant::now();
    ok(port, &absolute(0.5, 0.5, 0.5));
    let moving = status(port);
    assert_eq!(moving.pan_tilt, "MOVING", "{moving:?} {:?}", t0.elapsed());
    let (s, took) = wait_idle(port);
    assert!(
        close(s.pan, 0.5) && close(s.tilt, 0.5) && close(s.zoom, 0.5),
        "{s:?}"
    );
    eprintln!("absolute move of 85 degrees: idle after {took:?}");

    // Absolute in degrees (Profile T): the simulated head pans +-170 and tilts +-45 degrees,
    // so -85 / 22.5 degrees is -0.5 / 0.5 of the generic space GetStatus reports in; the
    // zoom stays where it was.
    ok(port, &degrees(-85.0, 22.5));
    let (s, _) = wait_idle(port);
    assert!(
        close(s.pan, -0.5) && close(s.tilt, 0.5) && close(s.zoom, 0.5),
        "{s:?}"
    );
    ok(port, &absolute(0.5, 0.5, 0.5));
    wait_idle(port);

    // Relative, generic: 0.2 of the position space (the span is 2) to the left, zoom back.
    ok(
        port,
        "<tptz:RelativeMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Translation><tt:PanTilt x=\"-0.2\" y=\"0\"/><tt:Zoom x=\"-0.5\"/></tptz:Translation></tptz:RelativeMove>",
    );
    let (s, _) = wait_idle(port);
    assert!(
        close(s.pan, 0.3) && close(s.tilt, 0.5) && close(s.zoom, 0.0),
        "{s:?}"
    );

    // Relative past the end stop moves along the border (s.5.3.2).
    ok(
        port,
        "<tptz:RelativeMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Translation><tt:PanTilt x=\"1\" y=\"0\"/></tptz:Translation></tptz:RelativeMove>",
    );
    let (s, _) = wait_idle(port);
    assert!(close(s.pan, 1.0), "{s:?}");

    // FOV: x = 1 moves half the view (30 degrees at 1x) = 30/170 of the half range.
    home(port);
    ok(
        port,
        "<tptz:RelativeMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Translation><tt:PanTilt x=\"1\" y=\"0\" space=\"http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationSpaceFov\"/></tptz:Translation></tptz:RelativeMove>",
    );
    let (s, _) = wait_idle(port);
    assert!(close(s.pan, 30.0 / 170.0), "{s:?}");

    // Continuous with a Timeout: it stops by itself (no Stop sent).
    home(port);
    let t0 = Instant::now();
    ok(
        port,
        "<tptz:ContinuousMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Velocity><tt:PanTilt x=\"0.1\" y=\"0\"/></tptz:Velocity><tptz:Timeout>PT1S</tptz:Timeout></tptz:ContinuousMove>",
    );
    assert_eq!(status(port).pan_tilt, "MOVING");
    let (s, took) = wait_idle(port);
    let elapsed = t0.elapsed();
    assert!(s.pan > 0.0, "{s:?}");
    assert!(
        elapsed >= Duration::from_millis(1000) && took < Duration::from_secs(10),
        "stopped after {elapsed:?}"
    );

    // Continuous without a Timeout, then Stop of the zoom only: pan/tilt keeps moving.
    ok(
        port,
        "<tptz:ContinuousMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Velocity><tt:PanTilt x=\"-0.2\" y=\"0\"/><tt:Zoom x=\"0.5\"/></tptz:Velocity></tptz:ContinuousMove>",
    );
    std::thread::sleep(Duration::from_millis(300));
    ok(
        port,
        "<tptz:Stop><tptz:ProfileToken>main</tptz:ProfileToken><tptz:PanTilt>false</tptz:PanTilt><tptz:Zoom>true</tptz:Zoom></tptz:Stop>",
    );
    std::thread::sleep(Duration::from_millis(600));
    let s = status(port);
    assert_eq!(
        (s.pan_tilt.as_str(), s.zoom_state.as_str()),
        ("MOVING", "IDLE"),
        "{s:?}"
    );
    ok(
        port,
        "<tptz:Stop><tptz:ProfileToken>main</tptz:ProfileToken></tptz:Stop>",
    );
    let (s, _) = wait_idle(port);
    assert!(s.pan < 0.1, "{s:?}");
    // A zero velocity stops too (s.5.3.3).
    ok(
        port,
        "<tptz:ContinuousMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Velocity><tt:PanTilt x=\"0.5\" y=\"0\"/></tptz:Velocity></tptz:ContinuousMove>",
    );
    ok(
        port,
        "<tptz:ContinuousMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Velocity><tt:PanTilt x=\"0\" y=\"0\"/></tptz:Velocity></tptz:ContinuousMove>",
    );
    wait_idle(port);

    // Faults, each with the subcode the PTZ spec gives.
    let invalid = [
        (absolute(1.5, 0.0, 0.0), "InvalidPosition"),
        (absolute(0.0, 0.0, -0.1), "InvalidPosition"),
        (
            "<tptz:RelativeMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Translation><tt:PanTilt x=\"2\" y=\"0\"/></tptz:Translation></tptz:RelativeMove>".into(),
            "InvalidTranslation",
        ),
        (
            "<tptz:ContinuousMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Velocity><tt:PanTilt x=\"1.5\" y=\"0\"/></tptz:Velocity></tptz:ContinuousMove>".into(),
            "InvalidVelocity",
        ),
        (
            "<tptz:ContinuousMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Velocity><tt:PanTilt x=\"0.5\" y=\"0\"/></tptz:Velocity><tptz:Timeout>PT1H</tptz:Timeout></tptz:ContinuousMove>".into(),
            "TimeoutNotSupported",
        ),
        (
            "<tptz:AbsoluteMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Position><tt:PanTilt x=\"0\" y=\"0\" space=\"http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationGenericSpace\"/></tptz:Position></tptz:AbsoluteMove>".into(),
            "SpaceNotSupported",
        ),
        (degrees(0.0, -50.0), "InvalidPosition"),
        (
            "<tptz:AbsoluteMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Position><tt:Zoom x=\"0.5\"/></tptz:Position><tptz:Speed><tt:Zoom x=\"2\"/></tptz:Speed></tptz:AbsoluteMove>".into(),
            "InvalidSpeed",
        ),
        (absolute(0.0, 0.0, 0.0).replace(">main<", ">nope<"), "NoProfile"),
    ];
    for (body, subcode) in invalid {
        fault(port, &body, "Sender", &["InvalidArgVal", subcode]);
    }
    // A faulted move moved nothing.
    let s = status(port);
    assert_eq!(s.pan_tilt, "IDLE", "{s:?}");

    // A profile without a PTZ configuration.
    let r = soap::call(
        port,
        soap::MEDIA,
        ADMIN,
        "<trt:CreateProfile><trt:Name>bare</trt:Name><trt:Token>bare</trt:Token></trt:CreateProfile>",
    );
    assert_eq!(r.status, 200, "{}", r.raw);
    fault(
        port,
        "<tptz:GetStatus><tptz:ProfileToken>bare</tptz:ProfileToken></tptz:GetStatus>",
        "Sender",
        &["InvalidArgVal", "NoPTZProfile"],
    );
    stop(nvt);
}

#[test]
fn access_classes_of_the_ptz_operations() {
    let state = support::temp_state();
    let (nvt, port) = start(state.path());
    let r = soap::call(
        port,
        soap::DEVICE,
        ADMIN,
        "<tds:CreateUsers><tds:User><tt:Username>viewer</tt:Username><tt:Password>viewer-pass</tt:Password><tt:UserLevel>User</tt:UserLevel></tds:User><tds:User><tt:Username>operator</tt:Username><tt:Password>operator-pass</tt:Password><tt:UserLevel>Operator</tt:UserLevel></tds:User></tds:CreateUsers>",
    );
    assert_eq!(r.status, 200, "{}", r.raw);
    let viewer = Some(("viewer", "viewer-pass"));
    let operator = Some(("operator", "operator-pass"));
    let read = "<tptz:GetStatus><tptz:ProfileToken>main</tptz:ProfileToken></tptz:GetStatus>";
    let actuate = [
        absolute(0.1, 0.0, 0.0),
        "<tptz:Stop><tptz:ProfileToken>main</tptz:ProfileToken></tptz:Stop>".into(),
        "<tptz:SetPreset><tptz:ProfileToken>main</tptz:ProfileToken></tptz:SetPreset>".into(),
    ];
    assert_eq!(soap::call(port, soap::PTZ, viewer, read).status, 200);
    for op in &actuate {
        let r = soap::call(port, soap::PTZ, viewer, op);
        assert!(
            r.status == 400 && r.raw.contains("ter:NotAuthorized"),
            "{op}: {}",
            r.raw
        );
    }
    // Stop first: SetPreset is refused while the head moves.
    for op in [&actuate[0], &actuate[1]] {
        let r = soap::call(port, soap::PTZ, operator, op);
        assert_eq!(r.status, 200, "{op}: {}", r.raw);
    }
    wait_idle(port);
    let r = soap::call(port, soap::PTZ, operator, &actuate[2]);
    assert_eq!(r.status, 200, "{}", r.raw);
    stop(nvt);
}

fn presets(port: u16) -> Vec<(String, String, f32)> {
    let b = body_of(&ok(
        port,
        "<tptz:GetPresets><tptz:ProfileToken>main</tptz:ProfileToken></tptz:GetPresets>",
    ));
    let r = b.child(TPTZ, "GetPresetsResponse").expect("response");
    r.children_named(TPTZ, "Preset")
        .map(|p| {
            let pan = p
                .child(TT, "PTZPosition")
                .and_then(|v| v.child(TT, "PanTilt"))
                .and_then(|v| v.attr("x"))
                .unwrap()
                .parse()
                .unwrap();
            (
                p.attr("token").unwrap().to_owned(),
                p.child(TT, "Name").unwrap().text.clone(),
                pan,
            )
        })
        .collect()
}

#[test]
fn presets_home_and_configuration_persist_across_a_restart() {
    let state = support::temp_state();
    let (nvt, port) = start(state.path());
    assert!(presets(port).is_empty());

    // SetPreset while the head moves: Receiver/Action/MovingPTZ (s.5.5.1).
    ok(port, &absolute(0.5, 0.0, 0.0));
    fault(
        port,
        "<tptz:SetPreset><tptz:ProfileToken>main</tptz:ProfileToken><tptz:PresetName>home</tptz:PresetName></tptz:SetPreset>",
        "Receiver",
        &["Action", "MovingPTZ"],
    );
    wait_idle(port);
    let r = ok(
        port,
        "<tptz:SetPreset><tptz:ProfileToken>main</tptz:ProfileToken><tptz:PresetName>home</tptz:PresetName></tptz:SetPreset>",
    );
    assert!(r.contains("<tptz:PresetToken>1</tptz:PresetToken>"), "{r}");
    // Names are unique (Frigate looks presets up by lower-cased name).
    fault(
        port,
        "<tptz:SetPreset><tptz:ProfileToken>main</tptz:ProfileToken><tptz:PresetName>HOME</tptz:PresetName></tptz:SetPreset>",
        "Sender",
        &["InvalidArgVal", "PresetExist"],
    );
    ok(port, &absolute(-0.5, 0.0, 0.0));
    wait_idle(port);
    let r = ok(
        port,
        "<tptz:SetPreset><tptz:ProfileToken>main</tptz:ProfileToken></tptz:SetPreset>",
    );
    assert!(r.contains("<tptz:PresetToken>2</tptz:PresetToken>"), "{r}");
    let p = presets(port);
    assert_eq!(p.len(), 2, "{p:?}");
    assert_eq!((p[0].0.as_str(), p[0].1.as_str()), ("1", "home"));
    assert!(close(p[0].2, 0.5) && close(p[1].2, -0.5), "{p:?}");
    assert_eq!(p[1].1, "Preset 2");

    ok(
        port,
        "<tptz:GotoPreset><tptz:ProfileToken>main</tptz:ProfileToken><tptz:PresetToken>1</tptz:PresetToken></tptz:GotoPreset>",
    );
    let (s, _) = wait_idle(port);
    assert!(close(s.pan, 0.5), "{s:?}");
    for body in [
        "<tptz:GotoPreset><tptz:ProfileToken>main</tptz:ProfileToken><tptz:PresetToken>9</tptz:PresetToken></tptz:GotoPreset>",
        "<tptz:RemovePreset><tptz:ProfileToken>main</tptz:ProfileToken><tptz:PresetToken>9</tptz:PresetToken></tptz:RemovePreset>",
        "<tptz:SetPreset><tptz:ProfileToken>main</tptz:ProfileToken><tptz:PresetToken>9</tptz:PresetToken></tptz:SetPreset>",
    ] {
        fault(port, body, "Sender", &["InvalidArgVal", "NoToken"]);
    }
    ok(
        port,
        "<tptz:RemovePreset><tptz:ProfileToken>main</tptz:ProfileToken><tptz:PresetToken>2</tptz:PresetToken></tptz:RemovePreset>",
    );

    // Home: the factory home first, then the one SetHomePosition stores.
    ok(
        port,
        "<tptz:GotoHomePosition><tptz:ProfileToken>main</tptz:ProfileToken></tptz:GotoHomePosition>",
    );
    let (s, _) = wait_idle(port);
    assert!(close(s.pan, 0.0) && close(s.zoom, 0.0), "{s:?}");
    ok(port, &absolute(-0.25, 0.25, 0.0));
    wait_idle(port);
    ok(
        port,
        "<tptz:SetHomePosition><tptz:ProfileToken>main</tptz:ProfileToken></tptz:SetHomePosition>",
    );

    // SetConfiguration: DefaultPTZTimeout and the name are stored; the node is not the
    // client's to change.
    let config = "<tptz:SetConfiguration><tptz:PTZConfiguration token=\"ptz_0\"><tt:Name>Dome</tt:Name><tt:UseCount>2</tt:UseCount><tt:NodeToken>ptz_node_0</tt:NodeToken><tt:DefaultPTZTimeout>PT2.5S</tt:DefaultPTZTimeout></tptz:PTZConfiguration><tptz:ForcePersistence>true</tptz:ForcePersistence></tptz:SetConfiguration>";
    ok(port, config);
    fault(
        port,
        &config.replace(">ptz_node_0<", ">other<"),
        "Sender",
        &["InvalidArgVal", "ConfigModify"],
    );
    fault(
        port,
        &config.replace("PT2.5S", "PT1H"),
        "Sender",
        &["InvalidArgVal", "ConfigModify"],
    );
    fault(
        port,
        &config.replace("token=\"ptz_0\"", "token=\"nope\""),
        "Sender",
        &["InvalidArgVal", "NoConfig"],
    );
    // Limits in any absolute space of the node (the ONVIF test specification's Annex A.9
    // restates them in degrees): its whole range is accepted; nvt has no soft limits, so a
    // narrower range, or a space the node lacks, is refused (never stored and ignored).
    let limits = |uri: &str, x: (f32, f32), y: (f32, f32)| {
        config.replace(
            "</tt:DefaultPTZTimeout>",
            &format!(
                "</tt:DefaultPTZTimeout><tt:PanTiltLimits><tt:Range><tt:URI>http://www.onvif.org/ver10/tptz/PanTiltSpaces/{uri}</tt:URI><tt:XRange><tt:Min>{}</tt:Min><tt:Max>{}</tt:Max></tt:XRange><tt:YRange><tt:Min>{}</tt:Min><tt:Max>{}</tt:Max></tt:YRange></tt:Range></tt:PanTiltLimits>",
                x.0, x.1, y.0, y.1
            ),
        )
    };
    ok(
        port,
        &limits("PositionGenericSpace", (-1.0, 1.0), (-1.0, 1.0)),
    );
    ok(
        port,
        &limits(
            "SphericalPositionSpaceDegrees",
            (-170.0, 170.0),
            (-45.0, 45.0),
        ),
    );
    for refused in [
        limits("SphericalPositionSpaceDegrees", (-1.0, 1.0), (-1.0, 1.0)),
        limits("PositionGenericSpace", (-0.5, 0.5), (-1.0, 1.0)),
        limits("VelocityGenericSpace", (-1.0, 1.0), (-1.0, 1.0)),
    ] {
        fault(port, &refused, "Sender", &["InvalidArgVal", "ConfigModify"]);
    }
    // The default pan/tilt spaces where the node offers two (MEDIA2-4-1-2 picks the
    // non-generic ones): degrees for absolute moves, the FOV for relative ones; a space the
    // node does not offer for that use is refused.
    let spaces = config.replace(
        "<tt:DefaultPTZTimeout>",
        "<tt:DefaultAbsolutePantTiltPositionSpace>http://www.onvif.org/ver10/tptz/PanTiltSpaces/SphericalPositionSpaceDegrees</tt:DefaultAbsolutePantTiltPositionSpace><tt:DefaultRelativePanTiltTranslationSpace>http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationSpaceFov</tt:DefaultRelativePanTiltTranslationSpace><tt:DefaultPTZTimeout>",
    );
    fault(
        port,
        &spaces.replace("TranslationSpaceFov", "PositionGenericSpace"),
        "Sender",
        &["InvalidArgVal", "ConfigModify"],
    );
    ok(port, &spaces);
    stop(nvt);

    // After a restart: the preset, the home and the configuration are as set.
    let (nvt, port) = start(state.path());
    let p = presets(port);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].1, "home");
    let c = ok(
        port,
        "<tptz:GetConfiguration><tptz:PTZConfigurationToken>ptz_0</tptz:PTZConfigurationToken></tptz:GetConfiguration>",
    );
    assert!(
        c.contains("<tt:Name>Dome</tt:Name>")
            && c.contains("<tt:DefaultPTZTimeout>PT2.5S</tt:DefaultPTZTimeout>")
            && c.contains("<tt:DefaultAbsolutePantTiltPositionSpace>http://www.onvif.org/ver10/tptz/PanTiltSpaces/SphericalPositionSpaceDegrees<")
            && c.contains("<tt:DefaultRelativePanTiltTranslationSpace>http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationSpaceFov<"),
        "{c}"
    );
    // A move naming no space is now in degrees: 42.5 degrees of the +-170 pan is 0.25.
    ok(
        port,
        "<tptz:AbsoluteMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Position><tt:PanTilt x=\"42.5\" y=\"0\"/></tptz:Position></tptz:AbsoluteMove>",
    );
    let (s, _) = wait_idle(port);
    assert!(close(s.pan, 0.25) && close(s.tilt, 0.0), "{s:?}");
    ok(
        port,
        "<tptz:GotoHomePosition><tptz:ProfileToken>main</tptz:ProfileToken></tptz:GotoHomePosition>",
    );
    let (s, _) = wait_idle(port);
    assert!(close(s.pan, -0.25) && close(s.tilt, 0.25), "{s:?}");
    stop(nvt);
}

/// A camera whose SDK reports no head (the simulator replaying a clip has none) lists no PTZ
/// service, its profiles carry no PTZ configuration, and PTZ requests are refused.
#[test]
fn a_camera_without_a_head_offers_no_ptz() {
    let state = support::temp_state();
    let clip = support::path_str(&support::data_dir().join("baseline-640x360-25fps.h264"));
    let mut nvt = Daemon::start(
        state.path(),
        &["--replay", &clip],
        &[("NVT_ADMIN_PASSWORD", PASSWORD)],
    );
    let port = nvt.http_port();
    let services = soap::call(
        port,
        soap::DEVICE,
        ADMIN,
        "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>",
    );
    assert_eq!(services.status, 200, "{}", services.raw);
    // (The envelope declares the tptz prefix whatever the body holds: look at the entries.)
    assert!(
        !services
            .body()
            .contains("<tds:Namespace>http://www.onvif.org/ver20/ptz/wsdl</tds:Namespace>"),
        "{}",
        services.raw
    );
    let caps = soap::call(
        port,
        soap::DEVICE,
        ADMIN,
        "<tds:GetCapabilities><tds:Category>PTZ</tds:Category></tds:GetCapabilities>",
    );
    assert_eq!(
        soap::subcodes(caps.body()),
        [
            "env:Receiver",
            "ter:ActionNotSupported",
            "ter:NoSuchService"
        ],
        "{}",
        caps.raw
    );
    let profiles = soap::call(port, soap::MEDIA, ADMIN, "<trt:GetProfiles/>");
    assert!(
        profiles.status == 200 && !profiles.body().contains("PTZConfiguration"),
        "{}",
        profiles.raw
    );
    let r = soap::call(port, soap::PTZ, ADMIN, "<tptz:GetNodes/>");
    assert!(r.status >= 400, "{}", r.raw);
    eprintln!(
        "PTZ request without a PTZ service: {}",
        r.raw.lines().next().unwrap_or("")
    );
    stop(nvt);
}

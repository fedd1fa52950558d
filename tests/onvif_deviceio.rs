//! DeviceIO (doc/DeviceIo.xml) and the Device relay operations (Core s.8.5) on the real
//! binary over the simulator's board (2 relays, 1 input toggling every
//! `gpio_input_period_ms`): what is listed, relays driven through both services (seen in the
//! SDK's own log of the relay level, `nvt-sdk: relay N closed|opened`, and as
//! `tns1:Device/Trigger/Relay` events), a monostable relay returning to idle after its
//! DelayTime, the input's scheduled changes as `tns1:Device/Trigger/DigitalInput` events
//! with its IdleState honoured, settings across a restart, the spec's faults, access
//! classes, a board without GPIO (`gpio=off`), and Home Assistant's client library
//! (onvif-zeep-async) reading and driving the relays.

mod support;

use std::time::{Duration, Instant};

use nvt::xml::{self, Element};
use support::{Daemon, soap};

const PASSWORD: &str = "deviceio-Secret1";
const PATH: &str = "/onvif/deviceio_service";
const TT: &str = "http://www.onvif.org/ver10/schema";
const TDS: &str = "http://www.onvif.org/ver10/device/wsdl";
const TMD: &str = "http://www.onvif.org/ver10/deviceIO/wsdl";
const WSNT: &str = "http://docs.oasis-open.org/wsn/b-2";
const WSA: &str = "http://www.w3.org/2005/08/addressing";
const CONCRETE_SET: &str = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet";
/// The simulated input's period: short, so the test sees it change.
const INPUT_PERIOD_MS: u64 = 1500;
/// How long an expected event may take on the loaded test machine.
const EVENT: Duration = Duration::from_secs(20);

/// A body in the DeviceIO namespace: `xmlns:tmd` declared on its first element (the test
/// envelope does not declare it).
fn tmd(body: &str) -> String {
    let end = body[1..].find([' ', '/', '>']).unwrap() + 1;
    format!(r#"{} xmlns:tmd="{TMD}"{}"#, &body[..end], &body[end..])
}

/// A call as admin that must succeed; its response element.
fn ok_at(port: u16, path: &str, body: &str) -> Element {
    let (status, text) = soap::post(port, path, "admin", PASSWORD, body);
    assert_eq!(status, 200, "{body}: {text}");
    response(&text)
}

fn response(text: &str) -> Element {
    let doc = xml::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e:?}: {text}"));
    doc.child(soap::ENV, "Body")
        .and_then(|b| b.children.first())
        .cloned()
        .unwrap_or_else(|| panic!("no response in {text}"))
}

/// A call as admin that must fail; its fault subcodes after the code.
fn fault_at(port: u16, path: &str, body: &str) -> Vec<String> {
    let (status, text) = soap::post(port, path, "admin", PASSWORD, body);
    assert_ne!(status, 200, "{body}: {text}");
    soap::subcodes(&text)
}

fn text_of(e: &Element, ns: &str, name: &str) -> String {
    e.child(ns, name)
        .map(|c| c.text.clone())
        .unwrap_or_else(|| panic!("no {name} in {e:?}"))
}

/// GetRelayOutputs at `path` (DeviceIO or Device): (token, mode, delay, idle state).
fn relays(port: u16, path: &str) -> Vec<(String, String, String, String)> {
    let r = ok_at(port, path, "<tds:GetRelayOutputs/>");
    let ns = r.ns.clone().unwrap();
    r.children_named(&ns, "RelayOutputs")
        .map(|o| {
            let p = o.child(TT, "Properties").unwrap();
            (
                o.attr("token").unwrap().to_owned(),
                text_of(p, TT, "Mode"),
                text_of(p, TT, "DelayTime"),
                text_of(p, TT, "IdleState"),
            )
        })
        .collect()
}

fn inputs(port: u16) -> Vec<(String, String)> {
    let r = ok_at(port, PATH, &tmd("<tmd:GetDigitalInputs/>"));
    r.children_named(TMD, "DigitalInputs")
        .map(|d| {
            (
                d.attr("token").unwrap().to_owned(),
                d.attr("IdleState").unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn set_state(token: &str, state: &str) -> String {
    format!(
        "<tds:SetRelayOutputState><tds:RelayOutputToken>{token}</tds:RelayOutputToken><tds:LogicalState>{state}</tds:LogicalState></tds:SetRelayOutputState>"
    )
}

fn relay_settings(token: &str, mode: &str, delay: &str, idle: &str) -> String {
    tmd(&format!(
        r#"<tmd:SetRelayOutputSettings><tmd:RelayOutput token="{token}"><tt:Properties><tt:Mode>{mode}</tt:Mode><tt:DelayTime>{delay}</tt:DelayTime><tt:IdleState>{idle}</tt:IdleState></tt:Properties></tmd:RelayOutput></tmd:SetRelayOutputSettings>"#
    ))
}

fn input_idle(token: &str, idle: &str) -> String {
    tmd(&format!(
        r#"<tmd:SetDigitalInputConfigurations><tmd:DigitalInputs token="{token}" IdleState="{idle}"/></tmd:SetDigitalInputConfigurations>"#
    ))
}

/// A pull point on `topic` (ConcreteSet); its path.
fn pull_point(port: u16, topic: &str) -> String {
    let r = ok_at(
        port,
        soap::EVENTS,
        &format!(
            r#"<tev:CreatePullPointSubscription><tev:Filter><wsnt:TopicExpression Dialect="{CONCRETE_SET}">{topic}</wsnt:TopicExpression></tev:Filter><tev:InitialTerminationTime>PT600S</tev:InitialTerminationTime></tev:CreatePullPointSubscription>"#
        ),
    );
    let tev = r.ns.clone().unwrap();
    let address = r
        .child(&tev, "SubscriptionReference")
        .and_then(|s| s.child(WSA, "Address"))
        .map(|a| a.text.clone())
        .unwrap();
    address[address.find("/onvif/").unwrap()..].to_owned()
}

/// One event: (topic, Source value, Data value, PropertyOperation).
type Event = (String, String, String, String);

/// The messages waiting at `path` (or the first to come within `timeout`, an xs:duration).
fn pull(port: u16, path: &str, timeout: &str) -> Vec<Event> {
    let r = ok_at(
        port,
        path,
        &format!(
            "<tev:PullMessages><tev:Timeout>{timeout}</tev:Timeout><tev:MessageLimit>50</tev:MessageLimit></tev:PullMessages>"
        ),
    );
    r.children_named(WSNT, "NotificationMessage")
        .map(|nm| {
            let m = nm
                .child(WSNT, "Message")
                .and_then(|m| m.child(TT, "Message"))
                .unwrap();
            let item = |part: &str, name: &str| {
                let item = m
                    .child(TT, part)
                    .and_then(|p| p.child(TT, "SimpleItem"))
                    .unwrap();
                assert_eq!(item.attr("Name"), Some(name), "{m:?}");
                item.attr("Value").unwrap().to_owned()
            };
            let (source, data) = if nm.child(WSNT, "Topic").unwrap().text.ends_with("Relay") {
                (item("Source", "RelayToken"), item("Data", "LogicalState"))
            } else {
                (item("Source", "InputToken"), item("Data", "LogicalState"))
            };
            (
                nm.child(WSNT, "Topic").unwrap().text.clone(),
                source,
                data,
                m.attr("PropertyOperation").unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// Pulls until an event of `source` comes; returns it and how long it took.
fn next_of(port: u16, path: &str, source: &str) -> (Event, Duration) {
    let start = Instant::now();
    while start.elapsed() < EVENT {
        if let Some(e) = pull(port, path, "PT5S").into_iter().find(|e| e.1 == source) {
            return (e, start.elapsed());
        }
    }
    panic!("no event of {source} within {EVENT:?}")
}

fn relay_event(token: &str, state: &str, op: &str) -> Event {
    (
        "tns1:Device/Trigger/Relay".into(),
        token.into(),
        state.into(),
        op.into(),
    )
}

#[test]
fn relays_and_inputs_through_deviceio_and_device() {
    let state = support::temp_state();
    let period = format!("gpio_input_period_ms={INPUT_PERIOD_MS}");
    let args = ["--sdk-options", period.as_str()];
    let (mut nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &args);

    // Listed: GetServices, GetCapabilities (IO counts, Extension/DeviceIO), the service's
    // own capabilities, and the video sources Media lists.
    let services = ok_at(
        port,
        soap::DEVICE,
        "<tds:GetServices><tds:IncludeCapability>true</tds:IncludeCapability></tds:GetServices>",
    );
    let dio = services
        .children_named(TDS, "Service")
        .find(|s| text_of(s, TDS, "Namespace") == TMD)
        .expect("DeviceIO in GetServices");
    assert!(text_of(dio, TDS, "XAddr").ends_with(PATH));
    let caps = ok_at(
        port,
        soap::DEVICE,
        "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>",
    );
    let caps = caps.child(TDS, "Capabilities").unwrap();
    let io = caps
        .child(TT, "Device")
        .and_then(|d| d.child(TT, "IO"))
        .unwrap();
    assert_eq!(
        (
            text_of(io, TT, "InputConnectors"),
            text_of(io, TT, "RelayOutputs")
        ),
        ("1".into(), "2".into())
    );
    let ext = caps
        .child(TT, "Extension")
        .and_then(|e| e.child(TT, "DeviceIO"))
        .expect("Extension/DeviceIO");
    assert!(text_of(ext, TT, "XAddr").ends_with(PATH));
    assert_eq!(text_of(ext, TT, "RelayOutputs"), "2");
    let sc = ok_at(port, PATH, &tmd("<tmd:GetServiceCapabilities/>"));
    let c = sc.child(TMD, "Capabilities").unwrap();
    assert_eq!(
        (
            c.attr("RelayOutputs"),
            c.attr("DigitalInputs"),
            c.attr("DigitalInputOptions")
        ),
        (Some("2"), Some("1"), Some("true"))
    );
    let vs = ok_at(port, PATH, &tmd("<tmd:GetVideoSources/>"));
    let media = ok_at(port, soap::MEDIA, "<trt:GetVideoSources/>");
    let media_tokens: Vec<String> = media
        .children
        .iter()
        .map(|v| v.attr("token").unwrap().to_owned())
        .collect();
    let dio_tokens: Vec<String> = vs
        .children_named(TMD, "Token")
        .map(|t| t.text.clone())
        .collect();
    assert_eq!(dio_tokens, media_tokens);
    assert_eq!(dio_tokens, ["vs0"]);

    let defaults = vec![
        (
            "relay0".into(),
            "Bistable".into(),
            "PT1S".into(),
            "open".into(),
        ),
        (
            "relay1".into(),
            "Bistable".into(),
            "PT1S".into(),
            "open".into(),
        ),
    ];
    assert_eq!(relays(port, PATH), defaults);
    assert_eq!(
        relays(port, soap::DEVICE),
        defaults,
        "Device lists the same"
    );
    let options = ok_at(
        port,
        PATH,
        &tmd(
            "<tmd:GetRelayOutputOptions><tmd:RelayOutputToken>relay1</tmd:RelayOutputToken></tmd:GetRelayOutputOptions>",
        ),
    );
    let o: Vec<&Element> = options.children_named(TMD, "RelayOutputOptions").collect();
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].attr("token"), Some("relay1"));
    let modes: Vec<String> = o[0]
        .children_named(TMD, "Mode")
        .map(|m| m.text.clone())
        .collect();
    assert_eq!(modes, ["Monostable", "Bistable"]);
    assert_eq!(text_of(o[0], TMD, "DelayTimes"), "0.1 3600");
    assert_eq!(inputs(port), [("input0".to_owned(), "open".to_owned())]);

    // Relays: a pull point first learns both states, then each change.
    let relay_pp = pull_point(port, "tns1:Device/Trigger/Relay");
    let mut initial = pull(port, &relay_pp, "PT5S");
    initial.sort();
    assert_eq!(
        initial,
        [
            relay_event("relay0", "inactive", "Initialized"),
            relay_event("relay1", "inactive", "Initialized"),
        ]
    );
    ok_at(port, PATH, &set_state("relay0", "active"));
    nvt.wait_for("nvt-sdk: relay 0 closed", EVENT);
    assert_eq!(
        next_of(port, &relay_pp, "relay0").0,
        relay_event("relay0", "active", "Changed")
    );
    // The Device service drives the same relay.
    ok_at(port, soap::DEVICE, &set_state("relay0", "inactive"));
    nvt.wait_for("nvt-sdk: relay 0 opened", EVENT);
    assert_eq!(
        next_of(port, &relay_pp, "relay0").0,
        relay_event("relay0", "inactive", "Changed")
    );

    // relay1 monostable, idle closed: inactive now means closed (the logical state stays).
    ok_at(
        port,
        PATH,
        &relay_settings("relay1", "Monostable", "PT0.8S", "closed"),
    );
    nvt.wait_for("nvt-sdk: relay 1 closed", EVENT);
    ok_at(port, PATH, &set_state("relay1", "active"));
    nvt.wait_for("nvt-sdk: relay 1 opened", EVENT);
    let set = Instant::now();
    assert_eq!(
        next_of(port, &relay_pp, "relay1").0,
        relay_event("relay1", "active", "Changed")
    );
    nvt.wait_for("nvt-sdk: relay 1 closed", EVENT);
    let back = set.elapsed();
    assert!(
        back >= Duration::from_millis(700),
        "back to idle after its DelayTime of 0.8 s, not {back:?}"
    );
    assert_eq!(
        next_of(port, &relay_pp, "relay1").0,
        relay_event("relay1", "inactive", "Changed")
    );
    eprintln!("monostable relay back to idle {back:?} after SetRelayOutputState (DelayTime 0.8 s)");
    // The Device service's SetRelayOutputSettings is the same change.
    ok_at(
        port,
        soap::DEVICE,
        "<tds:SetRelayOutputSettings><tds:RelayOutputToken>relay0</tds:RelayOutputToken><tds:Properties><tt:Mode>Bistable</tt:Mode><tt:DelayTime>PT0S</tt:DelayTime><tt:IdleState>open</tt:IdleState></tds:Properties></tds:SetRelayOutputSettings>",
    );

    // Faults, with the spec's subcodes; nothing changes.
    let relay_token = ["env:Sender", "ter:InvalidArgVal", "ter:RelayToken"];
    assert_eq!(
        fault_at(port, PATH, &set_state("OnvifTest123", "active")),
        relay_token
    );
    assert_eq!(
        fault_at(port, soap::DEVICE, &set_state("relay2", "active")),
        relay_token
    );
    assert_eq!(
        fault_at(
            port,
            PATH,
            &relay_settings("OnvifTest123", "Bistable", "PT1S", "open")
        ),
        relay_token
    );
    for delay in ["PT0S", "PT2H", "P1M", "soon"] {
        assert_eq!(
            fault_at(
                port,
                PATH,
                &relay_settings("relay0", "Monostable", delay, "open")
            ),
            ["env:Sender", "ter:InvalidArgVal", "ter:ModeError"],
            "{delay}"
        );
    }
    assert_eq!(
        fault_at(port, PATH, &input_idle("input9", "closed")),
        ["env:Sender", "ter:InvalidArgVal", "ter:NoConfig"]
    );

    // The input: its scheduled changes as events, LogicalState = away from IdleState.
    let input_pp = pull_point(port, "tns1:Device/Trigger/DigitalInput");
    let (first, _) = next_of(port, &input_pp, "input0");
    assert_eq!(first.3, "Initialized");
    let (second, took) = next_of(port, &input_pp, "input0");
    assert_eq!(second.3, "Changed");
    assert_ne!(second.2, first.2, "the level changed");
    assert!(
        took < Duration::from_millis(INPUT_PERIOD_MS + 3000),
        "{took:?}"
    );
    let (third, _) = next_of(port, &input_pp, "input0");
    assert_eq!(third.2, first.2, "and back");
    // Inverted: the same level now reads the other way at once.
    ok_at(port, PATH, &input_idle("input0", "closed"));
    let (inverted, took) = next_of(port, &input_pp, "input0");
    assert_eq!(inverted.3, "Changed");
    assert_ne!(inverted.2, third.2);
    assert!(
        took < Duration::from_millis(INPUT_PERIOD_MS),
        "at once, not at the next edge"
    );

    // Settings persist across a restart; relays start at their idle level.
    let expected = vec![
        (
            "relay0".into(),
            "Bistable".into(),
            "PT1S".into(),
            "open".into(),
        ),
        (
            "relay1".into(),
            "Monostable".into(),
            "PT0.8S".into(),
            "closed".into(),
        ),
    ];
    assert_eq!(relays(port, PATH), expected);
    nvt.stop();
    let mut nvt = Daemon::start(state.path(), &args, &[]);
    // At start, before serving: relay1 (idle closed) closed.
    nvt.wait_for("nvt-sdk: relay 1 closed", EVENT);
    let port = nvt.http_port();
    nvt.wait_running();
    assert_eq!(relays(port, PATH), expected);
    assert_eq!(inputs(port), [("input0".to_owned(), "closed".to_owned())]);
    nvt.stop();
}

#[test]
fn access_classes_are_the_specs() {
    let state = support::temp_state();
    let (mut nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &[]);
    ok_at(
        port,
        soap::DEVICE,
        "<tds:CreateUsers><tds:User><tt:Username>viewer</tt:Username><tt:Password>viewer-Secret1</tt:Password><tt:UserLevel>User</tt:UserLevel></tds:User></tds:CreateUsers>",
    );
    let anonymous = |path: &str, body: &str| soap::call(port, path, None, body).status;
    let user = |path: &str, body: &str| soap::post(port, path, "viewer", "viewer-Secret1", body);
    // PRE_AUTH
    assert_eq!(anonymous(PATH, &tmd("<tmd:GetServiceCapabilities/>")), 200);
    assert_eq!(anonymous(PATH, &tmd("<tmd:GetRelayOutputOptions/>")), 200);
    // READ_MEDIA and READ_SYSTEM: a user, not anonymous.
    for (path, body) in [
        (PATH, "<tds:GetRelayOutputs/>".to_owned()),
        (soap::DEVICE, "<tds:GetRelayOutputs/>".to_owned()),
        (PATH, tmd("<tmd:GetVideoSources/>")),
        (PATH, tmd("<tmd:GetAudioSources/>")),
        (PATH, tmd("<tmd:GetDigitalInputs/>")),
        (PATH, tmd("<tmd:GetDigitalInputConfigurationOptions/>")),
    ] {
        assert_eq!(anonymous(path, &body), 401, "{body}");
        assert_eq!(user(path, &body).0, 200, "{body}");
    }
    // ACTUATE: an operator or administrator, not a user.
    for (path, body) in [
        (PATH, set_state("relay0", "active")),
        (soap::DEVICE, set_state("relay0", "active")),
        (PATH, relay_settings("relay0", "Bistable", "PT1S", "open")),
        (PATH, input_idle("input0", "open")),
    ] {
        let (status, text) = user(path, &body);
        assert_eq!(
            (status, soap::subcodes(&text).get(1).cloned()),
            (400, Some("ter:NotAuthorized".to_owned())),
            "{body}"
        );
        ok_at(port, path, &body);
    }
    nvt.stop();
}

#[test]
fn a_board_without_gpio_lists_none() {
    let state = support::temp_state();
    let (mut nvt, port) =
        Daemon::start_admin(state.path(), PASSWORD, &["--sdk-options", "gpio=off"]);
    let sc = ok_at(port, PATH, &tmd("<tmd:GetServiceCapabilities/>"));
    let c = sc.child(TMD, "Capabilities").unwrap();
    assert_eq!(
        (
            c.attr("RelayOutputs"),
            c.attr("DigitalInputs"),
            c.attr("VideoSources")
        ),
        (Some("0"), Some("0"), Some("1"))
    );
    assert!(relays(port, PATH).is_empty());
    assert!(relays(port, soap::DEVICE).is_empty());
    assert!(inputs(port).is_empty());
    let caps = ok_at(
        port,
        soap::DEVICE,
        "<tds:GetCapabilities><tds:Category>Device</tds:Category></tds:GetCapabilities>",
    );
    let io = caps
        .child(TDS, "Capabilities")
        .and_then(|c| c.child(TT, "Device"))
        .and_then(|d| d.child(TT, "IO"))
        .unwrap();
    assert_eq!(text_of(io, TT, "RelayOutputs"), "0");
    assert_eq!(
        fault_at(port, soap::DEVICE, &set_state("relay0", "active")),
        ["env:Sender", "ter:InvalidArgVal", "ter:RelayToken"]
    );
    let options = ok_at(port, PATH, &tmd("<tmd:GetRelayOutputOptions/>"));
    assert!(options.children.is_empty());
    nvt.stop();
}

/// The tokens of a DeviceIO or Media `Get*Sources`-style list (`tmd:Token`, or the
/// `token` attribute of Media's `trt:AudioSources`).
fn tokens(e: &Element) -> Vec<String> {
    e.children
        .iter()
        .map(|c| {
            c.attr("token")
                .map_or_else(|| c.text.clone(), str::to_owned)
        })
        .collect()
}

/// (AudioSources in DeviceIO GetServiceCapabilities, in Device GetCapabilities'
/// `Extension/DeviceIO`, GetAudioSources' tokens).
fn audio_sources(port: u16) -> (String, String, Vec<String>) {
    let sc = ok_at(port, PATH, &tmd("<tmd:GetServiceCapabilities/>"));
    let count = sc.child(TMD, "Capabilities").unwrap().attr("AudioSources");
    let caps = ok_at(
        port,
        soap::DEVICE,
        "<tds:GetCapabilities><tds:Category>Device</tds:Category></tds:GetCapabilities>",
    );
    let dio = caps
        .child(TDS, "Capabilities")
        .and_then(|c| c.child(TT, "Extension"))
        .and_then(|e| e.child(TT, "DeviceIO"))
        .unwrap_or_else(|| panic!("no Extension/DeviceIO in {caps:?}"));
    let listed = ok_at(port, PATH, &tmd("<tmd:GetAudioSources/>"));
    assert_eq!(listed.name, "GetAudioSourcesResponse");
    (
        count.unwrap_or_default().to_owned(),
        text_of(dio, TT, "AudioSources"),
        tokens(&listed),
    )
}

/// GetAudioSources (DeviceIo.xml: "the same tokens as the media service") lists the board's
/// microphone under Media's token, counted in GetServiceCapabilities and Device
/// GetCapabilities; a board without one (`microphone=off`) counts 0 and lists none (and
/// Media's GetAudioSources answers the Media spec's AudioNotSupported).
#[test]
fn audio_sources_are_the_microphones() {
    let state = support::temp_state();
    let (mut nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &[]);
    let (count, dio, listed) = audio_sources(port);
    assert_eq!((count.as_str(), dio.as_str()), ("1", "1"));
    assert_eq!(listed.len(), 1, "{listed:?}");
    let media = ok_at(port, soap::MEDIA, "<trt:GetAudioSources/>");
    assert_eq!(listed, tokens(&media));
    nvt.stop();

    let state = support::temp_state();
    let (mut nvt, port) =
        Daemon::start_admin(state.path(), PASSWORD, &["--sdk-options", "microphone=off"]);
    let (count, dio, listed) = audio_sources(port);
    assert_eq!((count.as_str(), dio.as_str()), ("0", "0"));
    assert!(listed.is_empty(), "{listed:?}");
    assert_eq!(
        fault_at(port, soap::MEDIA, "<trt:GetAudioSources/>"),
        [
            "env:Receiver",
            "ter:ActionNotSupported",
            "ter:AudioNotSupported"
        ]
    );
    nvt.stop();
}

/// Home Assistant's client library (onvif-zeep-async, which parses every answer against its
/// WSDL) finds DeviceIO through GetServices, lists and drives the relays through DeviceIO
/// and Device, and gets the spec's faults (conformance/onvif-zeep/deviceio.py); the relay it
/// made monostable opens and closes again on the board.
#[test]
fn home_assistants_client_library_reads_and_drives_the_relays() {
    let py = support::python::zeep();
    let state = support::temp_state();
    let (mut nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &[]);
    let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("conformance/onvif-zeep/deviceio.py");
    let out = std::process::Command::new(&py)
        .arg(&script)
        .args(["127.0.0.1", &port.to_string(), "admin", PASSWORD])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Idle closed, then active (open), then back to idle after its 0.5 s.
    for level in ["closed", "opened", "closed"] {
        nvt.wait_for(&format!("nvt-sdk: relay 1 {level}"), EVENT);
    }
    nvt.stop();
}

/// A SystemReboot while a monostable relay waits to return to idle: the daemon restarts
/// (the pending timer holds nothing of the SDK, which must exit before it starts again),
/// and the relay starts again inactive, with its settings.
#[test]
fn a_reboot_with_a_pending_relay_timer_restarts_cleanly() {
    let state = support::temp_state();
    let (mut nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &[]);
    ok_at(
        port,
        PATH,
        &relay_settings("relay0", "Monostable", "PT1H", "open"),
    );
    ok_at(port, PATH, &set_state("relay0", "active"));
    nvt.wait_for("nvt-sdk: relay 0 closed", EVENT);
    ok_at(port, soap::DEVICE, "<tds:SystemReboot/>");
    nvt.wait_for("restarting (SystemReboot)", EVENT);
    // (The simulated board restarts with the SDK, its relays open: no level change to log.)
    nvt.wait_running();
    let pp = pull_point(port, "tns1:Device/Trigger/Relay");
    assert_eq!(
        next_of(port, &pp, "relay0").0,
        relay_event("relay0", "inactive", "Initialized")
    );
    assert_eq!(
        relays(port, PATH)[0],
        (
            "relay0".to_owned(),
            "Monostable".to_owned(),
            "PT3600S".to_owned(),
            "open".to_owned()
        )
    );
    nvt.stop();
}

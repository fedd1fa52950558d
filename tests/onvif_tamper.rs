//! Tamper events on the real binary (Imaging spec "Tampering"; docs/events.md "Tamper
//! detection"): a pull point on the four tamper topics sees each raised when the simulated
//! picture really is dark (Brightness 0), white (manual exposure at its maximum), blurred
//! (the focus motor at an end stop) or turned on its mount (the simulator's `turned_file`),
//! and cleared when restored; nothing on the steady default picture, and nothing for a PTZ
//! move (asked for: not tampering); every message with the spec's Source and Data items. Home Assistant's view of the same (its parsers, through onvif-zeep-async):
//! conformance/onvif-zeep/ha_tamper.py.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use nvt::xml::{self, Element};
use support::{Daemon, soap};

const PASSWORD: &str = "tamper-events-Secret1";
const TT: &str = "http://www.onvif.org/ver10/schema";
const WSNT: &str = "http://docs.oasis-open.org/wsn/b-2";
const WSA: &str = "http://www.w3.org/2005/08/addressing";
const WSTOP: &str = "http://docs.oasis-open.org/wsn/t-1";
const CONCRETE_SET: &str = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet";

const DARK: &str = "tns1:VideoSource/ImageTooDark/ImagingService";
const BRIGHT: &str = "tns1:VideoSource/ImageTooBright/ImagingService";
const BLURRY: &str = "tns1:VideoSource/ImageTooBlurry/ImagingService";
const SCENE: &str = "tns1:VideoSource/GlobalSceneChange/ImagingService";
const TOPICS: [&str; 4] = [DARK, BRIGHT, BLURRY, SCENE];

/// A call as admin to `path` that must succeed; its response element.
fn ok_at(port: u16, path: &str, body: &str) -> Element {
    let (status, text) = soap::post(port, path, "admin", PASSWORD, body);
    assert_eq!(status, 200, "{body}: {text}");
    let doc = xml::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e:?}: {text}"));
    doc.child(soap::ENV, "Body")
        .and_then(|b| b.children.first())
        .cloned()
        .unwrap_or_else(|| panic!("no response in {text}"))
}

/// One message as pulled.
#[derive(Clone, Debug, PartialEq)]
struct Msg {
    topic: String,
    operation: Option<String>,
    /// (name, value) of the Source and of the Data items.
    source: Vec<(String, String)>,
    data: Vec<(String, String)>,
}

impl Msg {
    fn state(&self) -> bool {
        assert_eq!(
            self.source,
            [("Source".to_owned(), "vs0".to_owned())],
            "{self:?}"
        );
        assert_eq!(self.data.len(), 1, "{self:?}");
        assert_eq!(self.data[0].0, "State", "{self:?}");
        match self.data[0].1.as_str() {
            "true" => true,
            "false" => false,
            other => panic!("State {other} is no xs:boolean"),
        }
    }
}

fn items(m: &Element, part: &str) -> Vec<(String, String)> {
    m.child(TT, part)
        .map(|s| {
            s.children_named(TT, "SimpleItem")
                .map(|i| {
                    (
                        i.attr("Name").unwrap().to_owned(),
                        i.attr("Value").unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

struct PullPoint {
    port: u16,
    path: String,
}

impl PullPoint {
    /// A pull point on the four tamper topics.
    fn new(port: u16) -> PullPoint {
        let r = ok_at(
            port,
            soap::EVENTS,
            &format!(
                r#"<tev:CreatePullPointSubscription><tev:Filter><wsnt:TopicExpression Dialect="{CONCRETE_SET}">{}</wsnt:TopicExpression></tev:Filter><tev:InitialTerminationTime>PT10M</tev:InitialTerminationTime></tev:CreatePullPointSubscription>"#,
                TOPICS.join("|")
            ),
        );
        let tev = r.ns.clone().unwrap();
        let address = r
            .child(&tev, "SubscriptionReference")
            .and_then(|s| s.child(WSA, "Address"))
            .map(|a| a.text.clone())
            .unwrap_or_else(|| panic!("no address in {r:?}"));
        PullPoint {
            port,
            path: address[address.find("/onvif/").unwrap()..].to_owned(),
        }
    }

    /// PullMessages waiting up to `timeout` (an xs:duration).
    fn pull(&self, timeout: &str) -> Vec<Msg> {
        let r = ok_at(
            self.port,
            &self.path,
            &format!(
                "<tev:PullMessages><tev:Timeout>{timeout}</tev:Timeout><tev:MessageLimit>50</tev:MessageLimit></tev:PullMessages>"
            ),
        );
        r.children_named(WSNT, "NotificationMessage")
            .map(|nm| {
                let m = nm
                    .child(WSNT, "Message")
                    .and_then(|m| m.child(TT, "Message"))
                    .unwrap_or_else(|| panic!("no tt:Message in {nm:?}"));
                Msg {
                    topic: nm.child(WSNT, "Topic").unwrap().text.clone(),
                    operation: m.attr("PropertyOperation").map(str::to_owned),
                    source: items(m, "Source"),
                    data: items(m, "Data"),
                }
            })
            .collect()
    }

    /// Pulls until `topic` reports `state`, within `within`; every message on the way is
    /// returned (the last one is the awaited one), with the time it took.
    fn until(&self, topic: &str, state: bool, within: Duration) -> (Vec<Msg>, Duration) {
        let start = Instant::now();
        let mut seen = Vec::new();
        while start.elapsed() < within {
            for m in self.pull("PT1S") {
                let hit = m.topic == topic && m.state() == state;
                seen.push(m);
                if hit {
                    return (seen, start.elapsed());
                }
            }
        }
        panic!("{topic} not {state} within {within:?}; got {seen:?}");
    }
}

fn set_imaging(port: u16, settings: &str) {
    ok_at(
        port,
        soap::IMAGING,
        &format!(
            "<timg:SetImagingSettings><timg:VideoSourceToken>vs0</timg:VideoSourceToken><timg:ImagingSettings>{settings}</timg:ImagingSettings></timg:SetImagingSettings>"
        ),
    );
}

fn focus(port: u16, position: u32) {
    ok_at(
        port,
        soap::IMAGING,
        &format!(
            "<timg:Move><timg:VideoSourceToken>vs0</timg:VideoSourceToken><timg:Focus><tt:Absolute><tt:Position>{position}</tt:Position><tt:Speed>250</tt:Speed></tt:Absolute></timg:Focus></timg:Move>"
        ),
    );
}

fn pan(port: u16, x: f64) {
    ok_at(
        port,
        soap::PTZ,
        &format!(
            "<tptz:AbsoluteMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Position><tt:PanTilt x=\"{x}\" y=\"0\"/></tptz:Position></tptz:AbsoluteMove>"
        ),
    );
}

/// Every message of `seen` is a Changed state of `topic` (no other condition moved).
fn only(seen: &[Msg], topic: &str) {
    for m in seen {
        assert_eq!(m.topic, topic, "another condition changed: {seen:?}");
        assert_eq!(m.operation.as_deref(), Some("Changed"), "{m:?}");
    }
}

const WITHIN: Duration = Duration::from_secs(15);

#[test]
fn tamper_conditions_follow_the_picture() {
    let state = support::temp_state();
    let turned = state.path().join("turned");
    let options = format!("turned_file={}", turned.display());
    let (_nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &["--sdk-options", &options]);

    // GetEventProperties: the four topics, as the Imaging spec describes them.
    let props = ok_at(port, soap::EVENTS, "<tev:GetEventProperties/>");
    let set = props.child(WSTOP, "TopicSet").expect("TopicSet");
    let video = set
        .children
        .iter()
        .find(|e| e.name == "VideoSource")
        .expect("VideoSource");
    for t in TOPICS {
        let name = t.split('/').nth(1).unwrap();
        let leaf = video
            .children
            .iter()
            .find(|e| e.name == name)
            .and_then(|e| e.children.iter().find(|e| e.name == "ImagingService"))
            .unwrap_or_else(|| panic!("{t} not in {video:?}"));
        assert_eq!(leaf.attr_ns(WSTOP, "topic"), Some("true"));
        let d = leaf.child(TT, "MessageDescription").unwrap();
        assert_eq!(d.attr("IsProperty"), Some("true"), "{t}");
        let desc = |part| {
            let p = d.child(TT, part).unwrap();
            p.children
                .iter()
                .map(|i| (i.attr("Name").unwrap(), i.attr("Type").unwrap()))
                .collect::<Vec<_>>()
        };
        assert_eq!(desc("Source"), [("Source", "tt:ReferenceToken")], "{t}");
        assert_eq!(desc("Data"), [("State", "xs:boolean")], "{t}");
    }

    // The states of a new subscriber: all four false, Initialized. (The first statistics
    // arrive with the first picture: pull until four are in.)
    let pp = PullPoint::new(port);
    let mut initial = Vec::new();
    let start = Instant::now();
    while initial.len() < 4 && start.elapsed() < WITHIN {
        initial.extend(pp.pull("PT1S"));
    }
    let mut states: Vec<_> = initial
        .iter()
        .map(|m| {
            assert_eq!(m.operation.as_deref(), Some("Initialized"), "{m:?}");
            (m.topic.as_str(), m.state())
        })
        .collect();
    states.sort();
    let mut want: Vec<_> = TOPICS.iter().map(|&t| (t, false)).collect();
    want.sort();
    assert_eq!(states, want);

    // The steady default picture (the pattern's moving object and clock included): nothing
    // over five seconds.
    let quiet = Instant::now();
    while quiet.elapsed() < Duration::from_secs(5) {
        let got = pp.pull("PT1S");
        assert!(got.is_empty(), "the steady picture raised {got:?}");
    }

    let mut figures = Vec::new();
    // Too dark: the brightness turned right down, then back.
    set_imaging(port, "<tt:Brightness>0</tt:Brightness>");
    let (seen, t) = pp.until(DARK, true, WITHIN);
    only(&seen, DARK);
    figures.push(("dark raised", t));
    set_imaging(port, "<tt:Brightness>50</tt:Brightness>");
    let (seen, t) = pp.until(DARK, false, WITHIN);
    only(&seen, DARK);
    figures.push(("dark cleared", t));

    // Too bright: manual exposure at its longest time and highest gain, then auto again.
    set_imaging(
        port,
        "<tt:Exposure><tt:Mode>MANUAL</tt:Mode><tt:ExposureTime>40000</tt:ExposureTime><tt:Gain>100</tt:Gain></tt:Exposure>",
    );
    let (seen, t) = pp.until(BRIGHT, true, WITHIN);
    only(&seen, BRIGHT);
    figures.push(("bright raised", t));
    set_imaging(port, "<tt:Exposure><tt:Mode>AUTO</tt:Mode></tt:Exposure>");
    let (seen, t) = pp.until(BRIGHT, false, WITHIN);
    only(&seen, BRIGHT);
    figures.push(("bright cleared", t));

    // Too blurry: the focus run to an end stop (2 s at full speed), then back in focus.
    focus(port, 1000);
    let (seen, t) = pp.until(BLURRY, true, WITHIN);
    only(&seen, BLURRY);
    figures.push(("blurry raised", t));
    focus(port, 500);
    let (seen, t) = pp.until(BLURRY, false, WITHIN);
    only(&seen, BLURRY);
    figures.push(("blurry cleared", t));

    // A PTZ move to another view and back is no tampering: someone asked for it (the
    // detector does not judge the scene or the sharpness while the head moves, and takes the
    // view it stops at as the new reference).
    pan(port, 0.53);
    let quiet = Instant::now();
    while quiet.elapsed() < Duration::from_secs(6) {
        let got = pp.pull("PT1S");
        assert!(got.is_empty(), "a PTZ move raised {got:?}");
    }
    pan(port, 0.0);
    let quiet = Instant::now();
    while quiet.elapsed() < Duration::from_secs(6) {
        let got = pp.pull("PT1S");
        assert!(got.is_empty(), "the PTZ move home raised {got:?}");
    }

    // A global scene change: the camera turned by 90 degrees on its mount, the head
    // unaware; cleared once the new view has become the reference.
    std::fs::write(&turned, "").unwrap();
    let (seen, t) = pp.until(SCENE, true, WITHIN);
    only(&seen, SCENE);
    figures.push(("scene raised", t));
    let (seen, t) = pp.until(SCENE, false, Duration::from_secs(30));
    only(&seen, SCENE);
    figures.push(("scene cleared", t));

    // Then quiet again.
    let quiet = Instant::now();
    while quiet.elapsed() < Duration::from_secs(3) {
        let got = pp.pull("PT1S");
        assert!(got.is_empty(), "the new steady view raised {got:?}");
    }
    eprintln!("tamper timings (from the request): {figures:?}");
}

#[test]
fn home_assistant_shows_the_tamper_entities_following_the_picture() {
    let state = support::temp_state();
    let turned = state.path().join("turned");
    let options = format!("turned_file={}", turned.display());
    let (_nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &["--sdk-options", &options]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/onvif-zeep/ha_tamper.py");
    let out = Command::new(support::python::zeep())
        .arg(&script)
        .args(["127.0.0.1", &port.to_string(), "admin", PASSWORD])
        .arg(&turned)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.lines().last() == Some("OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The entities HA holds and the states they showed, in order (a state received again,
    // as SetSynchronizationPoint re-sends the Initialized ones, shows nothing new).
    let mut entities: std::collections::BTreeMap<String, (serde_json::Value, Vec<bool>)> =
        Default::default();
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = v["key"].as_str().unwrap().to_owned();
        let state = v["state"].as_bool().unwrap();
        let e = entities
            .entry(key)
            .or_insert_with(|| (v.clone(), Vec::new()));
        if e.1.last() != Some(&state) {
            e.1.push(state);
        }
    }
    let key = |t: &str| format!("uid_{t}_vs0");
    let names: Vec<_> = entities
        .iter()
        .map(|(k, (v, states))| {
            (
                k.clone(),
                v["name"].as_str().unwrap().to_owned(),
                v["category"].as_str().map(str::to_owned),
                states.clone(),
            )
        })
        .collect();
    let diag = Some("diagnostic".to_owned());
    let mut want = vec![
        (
            key(DARK),
            "Image Too Dark".to_owned(),
            diag.clone(),
            vec![false, true, false],
        ),
        (
            key(BRIGHT),
            "Image Too Bright".into(),
            diag.clone(),
            vec![false, true, false],
        ),
        (
            key(BLURRY),
            "Image Too Blurry".into(),
            diag,
            vec![false, true, false],
        ),
        (
            key(SCENE),
            "Global Scene Change".into(),
            None,
            vec![false, true, false],
        ),
    ];
    want.sort();
    assert_eq!(names, want, "{stdout}");
}

/// A replayed recording has no picture statistics (the SDK answers NOT_SUPPORTED): the
/// daemon says so once and publishes no tamper state at all; the topics stay described.
#[test]
fn a_replayed_recording_raises_nothing_and_says_so_once() {
    let state = support::temp_state();
    let clip = support::data_dir().join("baseline-640x360-25fps.h264");
    let clip = support::path_str(&clip);
    let (mut nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &["--replay", &clip]);
    const NEEDLE: &str = "no picture statistics";
    if !format!("{:?}", nvt.seen).contains(NEEDLE) {
        nvt.wait_for(NEEDLE, WITHIN);
    }
    let pp = PullPoint::new(port);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        let got = pp.pull("PT1S");
        assert!(got.is_empty(), "a replay published {got:?}");
    }
    let said = nvt
        .seen
        .iter()
        .filter(|l| format!("{l:?}").contains(NEEDLE))
        .count();
    assert_eq!(said, 1);
    let props = ok_at(port, soap::EVENTS, "<tev:GetEventProperties/>");
    let text = format!("{props:?}");
    assert!(text.contains("ImageTooDark"), "{text}");
}

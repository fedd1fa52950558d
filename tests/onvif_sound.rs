//! Sound detection on the real binary (issue 19; doc/Analytics.xml "Audio Detected";
//! docs/events.md "Sound detection"): a pull point on
//! `tns1:AudioAnalytics/Audio/DetectedSound` sees the simulated microphone's beeps (100 ms
//! at each whole second) as `isSoundDetected` true then false, with the audio source
//! configuration's token as Source, and not as properties.

mod support;

use std::time::{Duration, Instant};

use nvt::xml::{self, Element};
use support::{Daemon, soap};

const PASSWORD: &str = "sound-events-Secret1";
const TT: &str = "http://www.onvif.org/ver10/schema";
const WSNT: &str = "http://docs.oasis-open.org/wsn/b-2";
const WSA: &str = "http://www.w3.org/2005/08/addressing";
const CONCRETE_SET: &str = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet";
const TOPIC: &str = "tns1:AudioAnalytics/Audio/DetectedSound";

fn ok_at(port: u16, path: &str, body: &str) -> Element {
    let (status, text) = soap::post(port, path, "admin", PASSWORD, body);
    assert_eq!(status, 200, "{body}: {text}");
    let doc = xml::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e:?}: {text}"));
    doc.child(soap::ENV, "Body")
        .and_then(|b| b.children.first())
        .cloned()
        .unwrap_or_else(|| panic!("no response in {text}"))
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

#[test]
fn beeps_are_detected_sound_then_silence() {
    let state = support::temp_state();
    let (_nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &[]);
    let r = ok_at(
        port,
        soap::EVENTS,
        &format!(
            r#"<tev:CreatePullPointSubscription><tev:Filter><wsnt:TopicExpression Dialect="{CONCRETE_SET}">{TOPIC}</wsnt:TopicExpression></tev:Filter><tev:InitialTerminationTime>PT10M</tev:InitialTerminationTime></tev:CreatePullPointSubscription>"#
        ),
    );
    let tev = r.ns.clone().unwrap();
    let address = r
        .child(&tev, "SubscriptionReference")
        .and_then(|s| s.child(WSA, "Address"))
        .map(|a| a.text.clone())
        .unwrap();
    let path = address[address.find("/onvif/").unwrap()..].to_owned();

    let start = Instant::now();
    let mut states = Vec::new();
    while states.len() < 4 && start.elapsed() < Duration::from_secs(15) {
        let r = ok_at(
            port,
            &path,
            "<tev:PullMessages><tev:Timeout>PT1S</tev:Timeout><tev:MessageLimit>50</tev:MessageLimit></tev:PullMessages>",
        );
        for nm in r.children_named(WSNT, "NotificationMessage") {
            assert_eq!(nm.child(WSNT, "Topic").unwrap().text, TOPIC);
            let m = nm
                .child(WSNT, "Message")
                .and_then(|m| m.child(TT, "Message"))
                .unwrap();
            assert_eq!(m.attr("PropertyOperation"), None, "not a property: {m:?}");
            assert_eq!(
                items(m, "Source"),
                [(
                    "AudioSourceConfigurationToken".to_owned(),
                    "asc0".to_owned()
                )]
            );
            let data = items(m, "Data");
            assert_eq!(data.len(), 1, "{data:?}");
            assert_eq!(data[0].0, "isSoundDetected");
            states.push((data[0].1.clone(), start.elapsed()));
        }
    }
    eprintln!("DetectedSound: {states:?}");
    assert!(states.len() >= 4, "{states:?}");
    // Each beep raises it and the silence after clears it: true and false alternate.
    let values: Vec<&str> = states.iter().map(|(v, _)| v.as_str()).collect();
    for pair in values.windows(2) {
        assert_ne!(pair[0], pair[1], "{states:?}");
    }
    assert!(values.contains(&"true") && values.contains(&"false"));
}

//! Media 1 and the PTZ head, on the real `nvt` binary over SOAP: the fixed profiles carry
//! the head's PTZ configuration (what Frigate and Home Assistant read the spaces from),
//! AddPTZConfiguration/RemovePTZConfiguration change a profile's and persist, and every
//! fault the Media spec names for them that the simulator can reach comes with its subcodes.
//!
//! Not reachable here: ConfigurationConflict (the simulator has one video source, so a
//! profile's video source and its PTZ configuration's head are always the same source; the
//! plan's unit tests cover it) and PTZNotSupported (the simulated scene always has a head:
//! only a V4L2 source has none, and no board option turns it off).

mod support;

use nvt::xml::{self, Element};
use support::{Daemon, soap};

const PASSWORD: &str = "media-ptz-Secret1";
const TT: &str = "http://www.onvif.org/ver10/schema";
const TRT: &str = "http://www.onvif.org/ver10/media/wsdl";
const GENERIC: &str = "http://www.onvif.org/ver10/tptz/";

/// One Media call as admin: the HTTP status and the body.
fn media(port: u16, body: &str) -> (u16, String) {
    soap::post(port, soap::MEDIA, "admin", PASSWORD, body)
}

/// A Media call that must succeed; its response element (the first child of s:Body).
fn ok(port: u16, body: &str) -> Element {
    let (status, text) = media(port, body);
    assert_eq!(status, 200, "{body}: {text}");
    let doc = xml::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e:?}: {text}"));
    doc.child(soap::ENV, "Body")
        .and_then(|b| b.children.first())
        .cloned()
        .unwrap_or_else(|| panic!("no response in {text}"))
}

/// A Media call that must fault; its codes, outermost first.
fn fault(port: u16, body: &str) -> Vec<String> {
    let (status, text) = media(port, body);
    assert_ne!(status, 200, "{body} succeeded: {text}");
    soap::subcodes(&text)
}

fn profile(port: u16, token: &str) -> Element {
    let r = ok(
        port,
        &format!("<trt:GetProfile><trt:ProfileToken>{token}</trt:ProfileToken></trt:GetProfile>"),
    );
    r.child(TRT, "Profile")
        .cloned()
        .unwrap_or_else(|| panic!("no profile {token}"))
}

/// The profile's PTZConfiguration, if it has one.
fn ptz(p: &Element) -> Option<&Element> {
    p.child(TT, "PTZConfiguration")
}

fn text<'a>(e: &'a Element, name: &str) -> &'a str {
    e.child(TT, name)
        .map(|c| c.text.as_str())
        .unwrap_or_else(|| panic!("no tt:{name} in {e:?}"))
}

fn add(profile: &str, config: &str) -> String {
    format!(
        "<trt:AddPTZConfiguration><trt:ProfileToken>{profile}</trt:ProfileToken>\
         <trt:ConfigurationToken>{config}</trt:ConfigurationToken></trt:AddPTZConfiguration>"
    )
}

fn remove(profile: &str) -> String {
    format!(
        "<trt:RemovePTZConfiguration><trt:ProfileToken>{profile}</trt:ProfileToken>\
         </trt:RemovePTZConfiguration>"
    )
}

fn codes(c: &[&str]) -> Vec<String> {
    c.iter().map(|s| s.to_string()).collect()
}

/// The UseCount of `main`'s PTZ configuration.
fn use_count(port: u16, token: &str) -> String {
    let p = profile(port, token);
    text(ptz(&p).expect("a PTZ configuration"), "UseCount").to_owned()
}

#[test]
fn fixed_profiles_show_the_head_and_add_remove_ptz_configuration_persist() {
    let state = support::temp_state();
    let (mut nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &[]);

    // Both fixed profiles carry the head's configuration, with the generic spaces as the
    // defaults (Frigate and Home Assistant take them from here) and a 5 s timeout.
    let all = ok(port, "<trt:GetProfiles/>");
    let profiles: Vec<&Element> = all.children_named(TRT, "Profiles").collect();
    assert_eq!(profiles.len(), 2, "{all:?}");
    for p in &profiles {
        let c = ptz(p).unwrap_or_else(|| panic!("no PTZConfiguration in {p:?}"));
        assert_eq!(c.attr("token"), Some("ptz_0"));
        assert_eq!(text(c, "NodeToken"), "ptz_node_0");
        assert_eq!(text(c, "UseCount"), "2");
        assert_eq!(text(c, "DefaultPTZTimeout"), "PT5S");
        for (name, space) in [
            (
                "DefaultAbsolutePantTiltPositionSpace",
                "PanTiltSpaces/PositionGenericSpace",
            ),
            (
                "DefaultAbsoluteZoomPositionSpace",
                "ZoomSpaces/PositionGenericSpace",
            ),
            (
                "DefaultRelativePanTiltTranslationSpace",
                "PanTiltSpaces/TranslationGenericSpace",
            ),
            (
                "DefaultRelativeZoomTranslationSpace",
                "ZoomSpaces/TranslationGenericSpace",
            ),
            (
                "DefaultContinuousPanTiltVelocitySpace",
                "PanTiltSpaces/VelocityGenericSpace",
            ),
            (
                "DefaultContinuousZoomVelocitySpace",
                "ZoomSpaces/VelocityGenericSpace",
            ),
        ] {
            assert_eq!(text(c, name), format!("{GENERIC}{space}"), "{name}");
        }
        let speed = c.child(TT, "DefaultPTZSpeed").expect("DefaultPTZSpeed");
        let pan_tilt = speed.child(TT, "PanTilt").expect("PanTilt speed");
        assert_eq!(
            pan_tilt.attr("space"),
            Some(&*format!("{GENERIC}PanTiltSpaces/GenericSpeedSpace"))
        );
        assert!(
            c.child(TT, "PanTiltLimits").is_some() && c.child(TT, "ZoomLimits").is_some(),
            "{c:?}"
        );
    }

    // A created profile with a video source has none until one is added; removing none is
    // no fault and changes nothing.
    ok(
        port,
        "<trt:CreateProfile><trt:Name>ptz test</trt:Name><trt:Token>ptzp</trt:Token>\
         </trt:CreateProfile>",
    );
    ok(
        port,
        "<trt:AddVideoSourceConfiguration><trt:ProfileToken>ptzp</trt:ProfileToken>\
         <trt:ConfigurationToken>vsc0</trt:ConfigurationToken></trt:AddVideoSourceConfiguration>",
    );
    assert!(ptz(&profile(port, "ptzp")).is_none());
    ok(port, &remove("ptzp"));
    assert!(ptz(&profile(port, "ptzp")).is_none());
    assert_eq!(use_count(port, "main"), "2");

    // Added: the profile shows it, and every profile's copy counts three users.
    ok(port, &add("ptzp", "ptz_0"));
    let p = profile(port, "ptzp");
    let c = ptz(&p).expect("PTZConfiguration after AddPTZConfiguration");
    assert_eq!(c.attr("token"), Some("ptz_0"));
    assert_eq!(text(c, "UseCount"), "3");
    assert_eq!(use_count(port, "main"), "3");
    // Adding it again replaces it with itself: still three.
    ok(port, &add("ptzp", "ptz_0"));
    assert_eq!(use_count(port, "sub"), "3");

    // The faults, with the Media spec's subcodes; none of them changes anything.
    let sender = |sub: &str| codes(&["env:Sender", "ter:InvalidArgVal", sub]);
    assert_eq!(
        fault(port, &add("nosuch", "ptz_0")),
        sender("ter:NoProfile")
    );
    assert_eq!(fault(port, &add("ptzp", "ptz_9")), sender("ter:NoConfig"));
    assert_eq!(fault(port, &remove("nosuch")), sender("ter:NoProfile"));
    assert_eq!(use_count(port, "ptzp"), "3");

    // Removed from a fixed profile: gone there, the others count two.
    ok(port, &remove("main"));
    assert!(ptz(&profile(port, "main")).is_none());
    assert_eq!(use_count(port, "sub"), "2");
    nvt.stop();

    // Persistent: after a restart `main` still has none (the configuration made at the
    // first start is not made again) and `ptzp` keeps its own.
    let (mut nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &[]);
    assert!(ptz(&profile(port, "main")).is_none());
    assert_eq!(use_count(port, "ptzp"), "2");
    assert_eq!(use_count(port, "sub"), "2");
    nvt.stop();
}

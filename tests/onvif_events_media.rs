//! `tns1:Media/ProfileChanged` and `tns1:Media/ConfigurationChanged` (Media2 s.5.16) on the
//! real binary: a pull point filtered on `tns1:Media//.` gets one message per profile and
//! configuration a change touched, whichever service made it (Media1, PTZ), and nothing
//! for changes that touch no media configuration (Imaging, Device). GetEventProperties
//! describes both as the spec does.
//!
//! "Nothing" is checked with a sentinel: after the change that must raise nothing, a
//! change that raises a known message is made; the next message pulled must be that one.

mod support;

use nvt::xml::{self, Element};
use support::{Daemon, soap};

const PASSWORD: &str = "media-events-Secret1";
const TT: &str = "http://www.onvif.org/ver10/schema";
const WSNT: &str = "http://docs.oasis-open.org/wsn/b-2";
const WSA: &str = "http://www.w3.org/2005/08/addressing";
const WSTOP: &str = "http://docs.oasis-open.org/wsn/t-1";
const CONCRETE_SET: &str = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet";

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

/// A pull point on the events service with `filter` (a ConcreteSet topic expression) and
/// optionally a message content expression; its address.
fn pull_point(port: u16, filter: &str, content: Option<&str>) -> String {
    let content = content
        .map(|c| {
            format!(
                r#"<wsnt:MessageContent Dialect="http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter">{c}</wsnt:MessageContent>"#
            )
        })
        .unwrap_or_default();
    let r = ok_at(
        port,
        soap::EVENTS,
        &format!(
            r#"<tev:CreatePullPointSubscription><tev:Filter><wsnt:TopicExpression Dialect="{CONCRETE_SET}">{filter}</wsnt:TopicExpression>{content}</tev:Filter></tev:CreatePullPointSubscription>"#
        ),
    );
    let tev = r.ns.clone().unwrap();
    r.child(&tev, "SubscriptionReference")
        .and_then(|s| s.child(WSA, "Address"))
        .map(|a| a.text.clone())
        .unwrap_or_else(|| panic!("no address in {r:?}"))
}

/// One message: (topic, Source items as (name, value), whether it has a PropertyOperation).
type Msg = (String, Vec<(String, String)>, bool);

/// PullMessages on `address` (waiting up to `timeout`, an xs:duration).
fn pull(port: u16, address: &str, timeout: &str) -> Vec<Msg> {
    let path = &address[address.find("/onvif/").unwrap()..];
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
                .unwrap_or_else(|| panic!("no tt:Message in {nm:?}"));
            let source = m
                .child(TT, "Source")
                .map(|s| {
                    s.children
                        .iter()
                        .map(|i| {
                            (
                                i.attr("Name").unwrap().to_owned(),
                                i.attr("Value").unwrap().to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            (
                nm.child(WSNT, "Topic").unwrap().text.clone(),
                source,
                m.attr("PropertyOperation").is_some(),
            )
        })
        .collect()
}

fn profile_changed(token: &str) -> Msg {
    (
        "tns1:Media/ProfileChanged".into(),
        vec![("Token".into(), token.into())],
        false,
    )
}

fn configuration_changed(token: &str, ty: &str) -> Msg {
    (
        "tns1:Media/ConfigurationChanged".into(),
        vec![("Token".into(), token.into()), ("Type".into(), ty.into())],
        false,
    )
}

fn encoder(kbps: u32) -> String {
    format!(
        r#"<trt:SetVideoEncoderConfiguration><trt:Configuration token="venc_main"><tt:Name>Main H.264</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>1280</tt:Width><tt:Height>720</tt:Height></tt:Resolution><tt:Quality>5</tt:Quality><tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>{kbps}</tt:BitrateLimit></tt:RateControl><tt:H264><tt:GovLength>50</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.42.42</tt:IPv4Address></tt:Address><tt:Port>5000</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence></trt:SetVideoEncoderConfiguration>"#
    )
}

fn ptz_configuration(timeout: &str) -> String {
    format!(
        r#"<tptz:SetConfiguration><tptz:PTZConfiguration token="ptz_0"><tt:Name>Dome</tt:Name><tt:UseCount>2</tt:UseCount><tt:NodeToken>ptz_node_0</tt:NodeToken><tt:DefaultPTZTimeout>{timeout}</tt:DefaultPTZTimeout></tptz:PTZConfiguration><tptz:ForcePersistence>true</tptz:ForcePersistence></tptz:SetConfiguration>"#
    )
}

fn create_profile(token: &str) -> String {
    format!(
        "<trt:CreateProfile><trt:Name>events {token}</trt:Name><trt:Token>{token}</trt:Token></trt:CreateProfile>"
    )
}

fn delete_profile(token: &str) -> String {
    format!("<trt:DeleteProfile><trt:ProfileToken>{token}</trt:ProfileToken></trt:DeleteProfile>")
}

#[test]
fn media_changes_raise_profile_and_configuration_changed() {
    let state = support::temp_state();
    let (_nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &[]);
    let media = |body: &str| ok_at(port, soap::MEDIA, body);

    // The start-up writes (administrator, imaging defaults, the head's PTZ configuration)
    // published nothing, and the topics are no properties: no Initialized message either.
    let all = pull_point(port, "tns1:Media//.", None);
    assert_eq!(pull(port, &all, "PT0S"), []);
    ok_at(
        port,
        &all[all.find("/onvif/").unwrap()..],
        "<tev:SetSynchronizationPoint/>",
    );
    assert_eq!(pull(port, &all, "PT0S"), [], "no state is re-sent");
    // Alongside: only ProfileChanged, and only PTZ configurations (content filter on Type).
    let profiles_only = pull_point(port, "tns1:Media/ProfileChanged", None);
    let ptz_only = pull_point(
        port,
        "tns1:Media/ConfigurationChanged",
        Some(r#"boolean(//tt:SimpleItem[@Name="Type" and @Value="PTZ"])"#),
    );

    // Media1 SetVideoEncoderConfiguration: the encoder, no profile.
    media(&encoder(1024));
    assert_eq!(
        pull(port, &all, "PT5S"),
        [configuration_changed("venc_main", "VideoEncoder")]
    );
    // The same values again change nothing and raise nothing: the sentinel comes next.
    media(&encoder(1024));
    media(&create_profile("ev1"));
    assert_eq!(pull(port, &all, "PT5S"), [profile_changed("ev1")]);
    media(&delete_profile("ev1"));
    assert_eq!(pull(port, &all, "PT5S"), [profile_changed("ev1")]);

    // Media1 Remove/AddPTZConfiguration change the profile, not the configuration (both
    // fixed profiles hold the head's configuration from the start).
    media(
        "<trt:RemovePTZConfiguration><trt:ProfileToken>sub</trt:ProfileToken></trt:RemovePTZConfiguration>",
    );
    media(
        "<trt:AddPTZConfiguration><trt:ProfileToken>sub</trt:ProfileToken>\
         <trt:ConfigurationToken>ptz_0</trt:ConfigurationToken></trt:AddPTZConfiguration>",
    );
    assert_eq!(
        pull(port, &all, "PT5S"),
        [profile_changed("sub"), profile_changed("sub")]
    );

    // PTZ SetConfiguration: a configuration of Type PTZ.
    ok_at(port, soap::PTZ, &ptz_configuration("PT2.5S"));
    assert_eq!(
        pull(port, &all, "PT5S"),
        [configuration_changed("ptz_0", "PTZ")]
    );

    // Imaging settings are no media configuration (tr2:ConfigurationEnumeration has no
    // such type); nor are PTZ presets, users or the host name.
    ok_at(
        port,
        soap::IMAGING,
        "<timg:SetImagingSettings><timg:VideoSourceToken>vs0</timg:VideoSourceToken><timg:ImagingSettings><tt:Brightness>40</tt:Brightness></timg:ImagingSettings></timg:SetImagingSettings>",
    );
    ok_at(
        port,
        soap::PTZ,
        "<tptz:SetPreset><tptz:ProfileToken>main</tptz:ProfileToken><tptz:PresetName>door</tptz:PresetName></tptz:SetPreset>",
    );
    ok_at(
        port,
        soap::DEVICE,
        "<tds:SetHostname><tds:Name>events-cam</tds:Name></tds:SetHostname>",
    );
    ok_at(
        port,
        soap::DEVICE,
        "<tds:CreateUsers><tds:User><tt:Username>viewer</tt:Username><tt:Password>viewer-Secret1</tt:Password><tt:UserLevel>User</tt:UserLevel></tds:User></tds:CreateUsers>",
    );
    media(&encoder(768));
    assert_eq!(
        pull(port, &all, "PT5S"),
        [configuration_changed("venc_main", "VideoEncoder")],
        "imaging, preset, hostname and users raised something"
    );

    // The filtered pull points got their share of the same changes.
    assert_eq!(
        pull(port, &profiles_only, "PT0S"),
        [
            profile_changed("ev1"),
            profile_changed("ev1"),
            profile_changed("sub"),
            profile_changed("sub")
        ]
    );
    assert_eq!(
        pull(port, &ptz_only, "PT0S"),
        [configuration_changed("ptz_0", "PTZ")]
    );
}

#[test]
fn event_properties_describe_both_topics_as_the_spec_does() {
    let state = support::temp_state();
    let (_nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &[]);
    let r = ok_at(port, soap::EVENTS, "<tev:GetEventProperties/>");
    let media = r
        .child(WSTOP, "TopicSet")
        .and_then(|s| s.children.iter().find(|c| c.name == "Media"))
        .unwrap_or_else(|| panic!("no tns1:Media in {r:?}"));
    for (topic, items) in [
        ("ProfileChanged", &[("Token", "tt:ReferenceToken")][..]),
        (
            "ConfigurationChanged",
            &[("Token", "tt:ReferenceToken"), ("Type", "xs:string")][..],
        ),
    ] {
        let leaf = media
            .children
            .iter()
            .find(|c| c.name == topic)
            .unwrap_or_else(|| panic!("no {topic} in {media:?}"));
        assert_eq!(leaf.attr_ns(WSTOP, "topic"), Some("true"), "{topic}");
        let d = leaf.child(TT, "MessageDescription").unwrap();
        assert_ne!(d.attr("IsProperty"), Some("true"), "{topic} is no property");
        assert!(d.child(TT, "Data").is_none(), "{topic} has no Data");
        let source: Vec<(&str, &str)> = d
            .child(TT, "Source")
            .unwrap()
            .children
            .iter()
            .map(|i| (i.attr("Name").unwrap(), i.attr("Type").unwrap()))
            .collect();
        assert_eq!(source, items, "{topic}");
    }
}

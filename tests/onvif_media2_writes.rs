//! The Media2 service's writes (issue 18 track M2) on the real `nvt` binary over raw SOAP:
//! CreateProfile (the device's `profile_N` token, configurations added in the same change),
//! DeleteProfile, AddConfiguration (several kinds and the rename at once, a reference
//! without a token), RemoveConfiguration (`All`, fixed profiles too), the three
//! Set*Configuration, SetSynchronizationPoint and Start/StopMulticastStreaming, with every
//! fault subcode; one model (a change through Media 2 shows in Media 1's Get* and the other
//! way round); atomicity (a request with one bad reference changes nothing, the settings
//! file is not written); what survives a restart; the bitrate clamp (Media 1 still
//! refuses); the stream after an encoder change (ffprobe); the media events; and the access
//! classes (User refused, Operator allowed).

mod support;

use std::process::Command;
use std::time::Duration;

use nix::sys::signal::Signal;
use nvt::xml::{self, Element};
use support::{Daemon, soap};

const TT: &str = "http://www.onvif.org/ver10/schema";
const TR2: &str = "http://www.onvif.org/ver20/media/wsdl";
const TRT: &str = "http://www.onvif.org/ver10/media/wsdl";
const WSNT: &str = "http://docs.oasis-open.org/wsn/b-2";
const WSA: &str = "http://www.w3.org/2005/08/addressing";
const CONCRETE_SET: &str = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet";
const MEDIA2: &str = "/onvif/media2_service";
const PASSWORD: &str = "media2-writes-Secret1";
const ADMIN: Option<(&str, &str)> = Some(("admin", PASSWORD));

fn start(state: &std::path::Path) -> (Daemon, u16) {
    Daemon::start_admin(state, PASSWORD, &[])
}

fn stop(mut nvt: Daemon) {
    nvt.signal(Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(20)).success());
}

fn tr2(op: &str, inner: &str) -> String {
    format!(r#"<tr2:{op} xmlns:tr2="{TR2}">{inner}</tr2:{op}>"#)
}

fn body_of(xml: &str) -> Element {
    let doc = xml::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{e:?}: {xml}"));
    doc.child(soap::ENV, "Body").expect("Body").clone()
}

/// A Media2 call as `user` that must succeed: the response element.
fn ok_as(port: u16, user: Option<(&str, &str)>, op: &str, inner: &str) -> Element {
    let r = soap::call(port, MEDIA2, user, &tr2(op, inner));
    assert_eq!(r.status, 200, "{op} {inner}\n{}", r.raw);
    body_of(r.body())
        .child(TR2, &format!("{op}Response"))
        .unwrap_or_else(|| panic!("no {op}Response: {}", r.raw))
        .clone()
}

fn ok(port: u16, op: &str, inner: &str) -> Element {
    ok_as(port, ADMIN, op, inner)
}

/// A Media2 call that must fault with `code` and `subcodes`.
fn fault(port: u16, op: &str, inner: &str, code: &str, subcodes: &[&str]) {
    let r = soap::call(port, MEDIA2, ADMIN, &tr2(op, inner));
    let want: Vec<String> = std::iter::once(format!("env:{code}"))
        .chain(subcodes.iter().map(|s| format!("ter:{s}")))
        .collect();
    assert_eq!(soap::subcodes(r.body()), want, "{op} {inner}\n{}", r.raw);
}

/// A Media 1 call as the administrator: (status, response element or the fault's body).
fn media1(port: u16, body: &str) -> (u16, Element) {
    let r = soap::call(port, soap::MEDIA, ADMIN, body);
    let b = body_of(r.body());
    (r.status, b.children[0].clone())
}

fn media1_ok(port: u16, body: &str) -> Element {
    let (status, e) = media1(port, body);
    assert_eq!(status, 200, "{body}: {e:?}");
    e
}

fn text<'a>(e: &'a Element, ns: &str, name: &str) -> &'a str {
    &e.child(ns, name)
        .unwrap_or_else(|| panic!("no {name} in {e:?}"))
        .text
}

/// `<tr2:Configuration>` references: (Type, Token or none).
fn refs(list: &[(&str, Option<&str>)]) -> String {
    list.iter()
        .map(|(ty, token)| {
            let token = token
                .map(|t| format!("<tr2:Token>{t}</tr2:Token>"))
                .unwrap_or_default();
            format!("<tr2:Configuration><tr2:Type>{ty}</tr2:Type>{token}</tr2:Configuration>")
        })
        .collect()
}

/// Media 1's view of a profile: (name, fixed, [source, encoder, metadata, PTZ] tokens).
fn media1_profile(port: u16, token: &str) -> (String, String, [Option<String>; 4]) {
    let r = media1_ok(
        port,
        &format!("<trt:GetProfile><trt:ProfileToken>{token}</trt:ProfileToken></trt:GetProfile>"),
    );
    let p = r.child(TRT, "Profile").expect("Profile");
    let held = |name: &str| {
        p.child(TT, name)
            .map(|c| c.attr("token").unwrap().to_owned())
    };
    (
        text(p, TT, "Name").to_owned(),
        p.attr("fixed").unwrap_or("").to_owned(),
        [
            held("VideoSourceConfiguration"),
            held("VideoEncoderConfiguration"),
            held("MetadataConfiguration"),
            held("PTZConfiguration"),
        ],
    )
}

/// Media 2's view of a profile with Type All: (element's local name, token) of each
/// configuration.
fn media2_held(port: u16, token: &str) -> Vec<(String, String)> {
    let r = ok(
        port,
        "GetProfiles",
        &format!("<tr2:Token>{token}</tr2:Token><tr2:Type>All</tr2:Type>"),
    );
    let p = r.child(TR2, "Profiles").expect("Profiles");
    let set = p
        .child(TR2, "Configurations")
        .expect("Configurations with All");
    set.children
        .iter()
        .map(|c| (c.name.clone(), c.attr("token").unwrap().to_owned()))
        .collect()
}

fn profile_tokens(port: u16) -> Vec<String> {
    ok(port, "GetProfiles", "")
        .children_named(TR2, "Profiles")
        .map(|p| p.attr("token").unwrap().to_owned())
        .collect()
}

fn settings_file(state: &std::path::Path) -> Vec<u8> {
    std::fs::read(state.join("settings.json")).expect("settings.json")
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

#[test]
fn profiles_are_created_composed_and_deleted_through_media2() {
    let state = support::temp_state();
    let (nvt, port) = start(state.path());
    let original_sub = media2_held(port, "sub");

    // CreateProfile with configurations: the device's token, the configurations in the
    // same change; Media 1 sees it all.
    let created = ok(
        port,
        "CreateProfile",
        &format!(
            "<tr2:Name>two kinds</tr2:Name>{}",
            refs(&[
                ("VideoSource", Some("vsc0")),
                ("VideoEncoder", Some("venc_sub"))
            ])
        ),
    );
    assert_eq!(text(&created, TR2, "Token"), "profile_1");
    assert_eq!(
        media1_profile(port, "profile_1"),
        (
            "two kinds".into(),
            "false".into(),
            [s("vsc0"), s("venc_sub"), None, None]
        )
    );
    // Empty; `All` in the list is ignored (Media2 spec, CreateProfile).
    let bare = ok(
        port,
        "CreateProfile",
        &format!("<tr2:Name>bare</tr2:Name>{}", refs(&[("All", None)])),
    );
    assert_eq!(text(&bare, TR2, "Token"), "profile_2");
    assert!(media2_held(port, "profile_2").is_empty());

    // AddConfiguration: the rename and several kinds at once, PTZ too (the simulator's
    // scene has a head).
    ok(
        port,
        "AddConfiguration",
        &format!(
            "<tr2:ProfileToken>profile_1</tr2:ProfileToken><tr2:Name>renamed</tr2:Name>{}",
            refs(&[("Metadata", Some("meta0")), ("PTZ", Some("ptz_0"))])
        ),
    );
    assert_eq!(
        media1_profile(port, "profile_1"),
        (
            "renamed".into(),
            "false".into(),
            [s("vsc0"), s("venc_sub"), s("meta0"), s("ptz_0")]
        )
    );
    // A reference without a token: the device picks (the profile's source's encoder).
    ok(
        port,
        "AddConfiguration",
        &format!(
            "<tr2:ProfileToken>profile_2</tr2:ProfileToken>{}",
            refs(&[("VideoSource", None), ("VideoEncoder", None)])
        ),
    );
    let held = media2_held(port, "profile_2");
    assert_eq!(
        held,
        [
            ("VideoSource".into(), "vsc0".into()),
            ("VideoEncoder".into(), "venc_main".into())
        ]
    );

    // RemoveConfiguration: one kind (its token ignored), a kind the profile lacks (no
    // error), a kind the device has none of (no error).
    ok(
        port,
        "RemoveConfiguration",
        &format!(
            "<tr2:ProfileToken>profile_1</tr2:ProfileToken>{}",
            refs(&[("Metadata", Some("whatever")), ("AudioSource", None)])
        ),
    );
    ok(
        port,
        "RemoveConfiguration",
        &format!(
            "<tr2:ProfileToken>profile_1</tr2:ProfileToken>{}",
            refs(&[("Metadata", None)])
        ),
    );
    assert_eq!(media1_profile(port, "profile_1").2[2], None);

    // All empties a fixed profile (MEDIA2-1-1-7), and one AddConfiguration restores it.
    ok(
        port,
        "RemoveConfiguration",
        &format!(
            "<tr2:ProfileToken>sub</tr2:ProfileToken>{}",
            refs(&[("All", None)])
        ),
    );
    assert!(media2_held(port, "sub").is_empty());
    assert_eq!(
        media1_profile(port, "sub"),
        ("Sub stream".into(), "true".into(), [None, None, None, None])
    );
    let restore: Vec<(&str, Option<&str>)> = original_sub
        .iter()
        .map(|(n, t)| (n.as_str(), Some(t.as_str())))
        .collect();
    ok(
        port,
        "AddConfiguration",
        &format!("<tr2:ProfileToken>sub</tr2:ProfileToken>{}", refs(&restore)),
    );
    assert_eq!(media2_held(port, "sub"), original_sub);

    // Media 1's changes show in Media 2 (the other way round).
    media1_ok(
        port,
        "<trt:RemoveVideoEncoderConfiguration><trt:ProfileToken>profile_2</trt:ProfileToken></trt:RemoveVideoEncoderConfiguration>",
    );
    assert_eq!(
        media2_held(port, "profile_2"),
        [("VideoSource".into(), "vsc0".into())]
    );

    // Faults, each leaving the settings file as it was.
    let before = settings_file(state.path());
    let profiles_before = profile_tokens(port);
    // A bad reference fails the whole create: nothing is created.
    fault(
        port,
        "CreateProfile",
        &format!(
            "<tr2:Name>half</tr2:Name>{}",
            refs(&[
                ("VideoSource", Some("vsc0")),
                ("VideoEncoder", Some("nope"))
            ])
        ),
        "Sender",
        &["InvalidArgVal", "NoConfig"],
    );
    // A bad reference fails the whole add: neither the rename nor the first reference.
    fault(
        port,
        "AddConfiguration",
        &format!(
            "<tr2:ProfileToken>profile_2</tr2:ProfileToken><tr2:Name>half</tr2:Name>{}",
            refs(&[("Metadata", Some("meta0")), ("VideoEncoder", Some("nope"))])
        ),
        "Sender",
        &["InvalidArgVal", "NoConfig"],
    );
    // Kinds the device has none of.
    for ty in ["AudioSource", "AudioEncoder", "Analytics", "AudioOutput"] {
        fault(
            port,
            "AddConfiguration",
            &format!(
                "<tr2:ProfileToken>profile_2</tr2:ProfileToken>{}",
                refs(&[(ty, Some("x"))])
            ),
            "Sender",
            &["InvalidArgVal", "NoConfig"],
        );
    }
    for (op, inner) in [
        (
            "AddConfiguration",
            format!(
                "<tr2:ProfileToken>nope</tr2:ProfileToken>{}",
                refs(&[("Metadata", Some("meta0"))])
            ),
        ),
        (
            "RemoveConfiguration",
            format!(
                "<tr2:ProfileToken>nope</tr2:ProfileToken>{}",
                refs(&[("All", None)])
            ),
        ),
        ("DeleteProfile", "<tr2:Token>nope</tr2:Token>".to_owned()),
    ] {
        fault(port, op, &inner, "Sender", &["InvalidArgVal", "NoProfile"]);
    }
    fault(
        port,
        "DeleteProfile",
        "<tr2:Token>main</tr2:Token>",
        "Sender",
        &["Action", "DeletionOfFixedProfile"],
    );
    // A name of no characters or more than 64: InvalidArgVal, no subcode of its own.
    let long = "n".repeat(65);
    for name in ["", long.as_str()] {
        fault(
            port,
            "CreateProfile",
            &format!("<tr2:Name>{name}</tr2:Name>"),
            "Sender",
            &["InvalidArgVal"],
        );
        fault(
            port,
            "AddConfiguration",
            &format!("<tr2:ProfileToken>profile_2</tr2:ProfileToken><tr2:Name>{name}</tr2:Name>"),
            "Sender",
            &["InvalidArgVal"],
        );
    }
    assert_eq!(
        settings_file(state.path()),
        before,
        "refusals write nothing"
    );
    assert_eq!(profile_tokens(port), profiles_before);
    assert_eq!(media1_profile(port, "profile_2").0, "bare");

    // MaxNVTProfiles when full (MaximumNumberOfProfiles 16).
    let mut n = profile_tokens(port).len();
    while n < 16 {
        ok(port, "CreateProfile", "<tr2:Name>filler</tr2:Name>");
        n += 1;
    }
    fault(
        port,
        "CreateProfile",
        "<tr2:Name>one too many</tr2:Name>",
        "Receiver",
        &["Action", "MaxNVTProfiles"],
    );

    // DeleteProfile: gone for Media 1 too, its token free again.
    ok(port, "DeleteProfile", "<tr2:Token>profile_1</tr2:Token>");
    let (status, _) = media1(
        port,
        "<trt:GetProfile><trt:ProfileToken>profile_1</trt:ProfileToken></trt:GetProfile>",
    );
    assert_eq!(status, 400);
    let again = ok(port, "CreateProfile", "<tr2:Name>again</tr2:Name>");
    assert_eq!(text(&again, TR2, "Token"), "profile_1");

    // Persisted: the composed profiles after a restart.
    stop(nvt);
    let (nvt, port) = start(state.path());
    assert_eq!(media2_held(port, "sub"), original_sub);
    assert_eq!(
        media1_profile(port, "profile_2"),
        ("bare".into(), "false".into(), [s("vsc0"), None, None, None])
    );
    stop(nvt);
}

/// A `tt:VideoEncoder2Configuration` for venc_sub.
fn encoder2(width: u32, height: u32, fps: &str, kbps: i64, extra_attrs: &str) -> String {
    tr2(
        "SetVideoEncoderConfiguration",
        &format!(
            r#"<tr2:Configuration token="venc_sub" GovLength="30" Profile="Main"{extra_attrs}><tt:Name>Sub via Media2</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>{width}</tt:Width><tt:Height>{height}</tt:Height></tt:Resolution><tt:RateControl ConstantBitRate="true"><tt:FrameRateLimit>{fps}</tt:FrameRateLimit><tt:BitrateLimit>{kbps}</tt:BitrateLimit></tt:RateControl><tt:Quality>5</tt:Quality></tr2:Configuration>"#
        ),
    )
}

fn set_encoder(port: u16, body: &str) -> soap::Reply {
    soap::call(port, MEDIA2, ADMIN, body)
}

/// Media 1's view of venc_sub: (width, height, fps, bitrate, gov, name).
fn media1_encoder(port: u16) -> (u32, u32, u32, u32, u32, String) {
    let r = media1_ok(
        port,
        "<trt:GetVideoEncoderConfiguration><trt:ConfigurationToken>venc_sub</trt:ConfigurationToken></trt:GetVideoEncoderConfiguration>",
    );
    let c = r.child(TRT, "Configuration").unwrap();
    let res = c.child(TT, "Resolution").unwrap();
    let rc = c.child(TT, "RateControl").unwrap();
    let n = |e: &Element, name: &str| text(e, TT, name).parse::<u32>().unwrap();
    (
        n(res, "Width"),
        n(res, "Height"),
        n(rc, "FrameRateLimit"),
        n(rc, "BitrateLimit"),
        n(c.child(TT, "H264").unwrap(), "GovLength"),
        text(c, TT, "Name").to_owned(),
    )
}

/// The Media 2 BitrateRange of venc_sub's options: (min, max).
fn bitrate_range(port: u16) -> (u32, u32) {
    let r = ok(
        port,
        "GetVideoEncoderConfigurationOptions",
        "<tr2:ConfigurationToken>venc_sub</tr2:ConfigurationToken>",
    );
    let range = r
        .child(TR2, "Options")
        .unwrap()
        .child(TT, "BitrateRange")
        .unwrap();
    (
        text(range, TT, "Min").parse().unwrap(),
        text(range, TT, "Max").parse().unwrap(),
    )
}

/// ffprobe of a profile's stream over TCP: `width,height,r_frame_rate`.
fn probe(port: u16, profile: &str) -> String {
    let r = ok(
        port,
        "GetStreamUri",
        &format!("<tr2:Protocol>RTSP</tr2:Protocol><tr2:ProfileToken>{profile}</tr2:ProfileToken>"),
    );
    let uri = text(&r, TR2, "Uri").replacen("rtsp://", &format!("rtsp://admin:{PASSWORD}@"), 1);
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-rtsp_transport",
            "tcp",
            "-rw_timeout",
            "15000000",
        ])
        .args(["-select_streams", "v:0", "-show_entries"])
        .args(["stream=width,height,r_frame_rate", "-of", "csv=p=0"])
        .arg(&uri)
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn encoder_source_and_metadata_writes_through_media2() {
    let state = support::temp_state();
    let (nvt, port) = start(state.path());

    // A float FrameRateLimit rendered from a whole rate is that rate; Media 1 sees the
    // change, and so does the stream.
    let r = set_encoder(port, &encoder2(1280, 720, "10.000001", 1500, ""));
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        media1_encoder(port),
        (1280, 720, 10, 1500, 30, "Sub via Media2".into())
    );
    assert_eq!(probe(port, "sub"), "1280,720,10/1");

    // The bitrate out of range is clamped (Media 2), at either end.
    let (lo, hi) = bitrate_range(port);
    let r = set_encoder(port, &encoder2(640, 360, "15", i64::from(hi) * 10, ""));
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(media1_encoder(port).3, hi, "clamped to the top");
    let r = set_encoder(port, &encoder2(640, 360, "15", -5, ""));
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(media1_encoder(port).3, lo, "clamped to the bottom");
    let m2 = ok(
        port,
        "GetVideoEncoderConfigurations",
        "<tr2:ConfigurationToken>venc_sub</tr2:ConfigurationToken>",
    );
    let c = m2.child(TR2, "Configurations").unwrap();
    assert_eq!(
        text(c.child(TT, "RateControl").unwrap(), TT, "BitrateLimit"),
        lo.to_string()
    );
    // Media 1 keeps refusing it.
    let (status, f) = media1(
        port,
        &format!(
            r#"<trt:SetVideoEncoderConfiguration><trt:Configuration token="venc_sub"><tt:Name>Sub</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>640</tt:Width><tt:Height>360</tt:Height></tt:Resolution><tt:Quality>5</tt:Quality><tt:RateControl><tt:FrameRateLimit>15</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>{}</tt:BitrateLimit></tt:RateControl><tt:H264><tt:GovLength>30</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.42.42</tt:IPv4Address></tt:Address><tt:Port>5002</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence></trt:SetVideoEncoderConfiguration>"#,
            hi + 1
        ),
    );
    assert_eq!(status, 400, "Media 1 refuses: {f:?}");

    // Every other value out of range is ConfigModify, and changes nothing.
    let before = settings_file(state.path());
    for (what, body) in [
        ("a fractional rate", encoder2(640, 360, "12.5", 1000, "")),
        (
            "a rate above the range",
            encoder2(640, 360, "1000", 1000, ""),
        ),
        (
            "a size larger than the sensor",
            encoder2(1920, 1080, "15", 1000, ""),
        ),
        (
            "an H.264 profile the SDK lacks",
            encoder2(640, 360, "15", 1000, "")
                .replace(r#"Profile="Main""#, r#"Profile="Extended""#),
        ),
        (
            "a GOV length out of range",
            encoder2(640, 360, "15", 1000, "")
                .replace(r#"GovLength="30""#, r#"GovLength="100000""#),
        ),
        (
            "an encoding nvt does not stream",
            encoder2(640, 360, "15", 1000, "").replace("<tt:Encoding>H264", "<tt:Encoding>H265"),
        ),
        (
            "a GuaranteedFrameRate",
            encoder2(640, 360, "15", 1000, r#" GuaranteedFrameRate="true""#),
        ),
    ] {
        let r = set_encoder(port, &body);
        assert_eq!(
            soap::subcodes(r.body()),
            ["env:Sender", "ter:InvalidArgVal", "ter:ConfigModify"],
            "{what}: {}",
            r.raw
        );
    }
    let r = set_encoder(
        port,
        &encoder2(640, 360, "15", 1000, "").replace(r#"token="venc_sub""#, r#"token="nope""#),
    );
    assert_eq!(
        soap::subcodes(r.body()),
        ["env:Sender", "ter:InvalidArgVal", "ter:NoConfig"],
        "{}",
        r.raw
    );
    assert_eq!(
        settings_file(state.path()),
        before,
        "refusals write nothing"
    );

    // Left out (no GovLength, Profile, Multicast or ConstantBitRate): kept.
    let sparse = tr2(
        "SetVideoEncoderConfiguration",
        r#"<tr2:Configuration token="venc_sub"><tt:Name>Sparse</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>640</tt:Width><tt:Height>360</tt:Height></tt:Resolution><tt:RateControl><tt:FrameRateLimit>12</tt:FrameRateLimit><tt:BitrateLimit>700</tt:BitrateLimit></tt:RateControl><tt:Quality>4</tt:Quality></tr2:Configuration>"#,
    );
    let r = set_encoder(port, &sparse);
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        media1_encoder(port),
        (640, 360, 12, 700, 30, "Sparse".into())
    );
    // ConstantBitRate="false": not CBR (VBR on the simulator, which has it).
    let vbr = sparse.replace(
        "<tt:RateControl>",
        r#"<tt:RateControl ConstantBitRate="false">"#,
    );
    let r = set_encoder(port, &vbr);
    assert_eq!(r.status, 200, "{}", r.raw);
    let m2 = ok(
        port,
        "GetVideoEncoderConfigurations",
        "<tr2:ConfigurationToken>venc_sub</tr2:ConfigurationToken>",
    );
    let rc = m2
        .child(TR2, "Configurations")
        .unwrap()
        .child(TT, "RateControl")
        .unwrap();
    assert_eq!(rc.attr("ConstantBitRate"), Some("false"));

    // SetVideoSourceConfiguration and SetMetadataConfiguration: Media 1's changes.
    ok(
        port,
        "SetVideoSourceConfiguration",
        r#"<tr2:Configuration token="vsc0"><tt:Name>Renamed source</tt:Name><tt:UseCount>2</tt:UseCount><tt:SourceToken>vs0</tt:SourceToken><tt:Bounds x="0" y="0" width="1280" height="720"/></tr2:Configuration>"#,
    );
    let vsc = media1_ok(
        port,
        "<trt:GetVideoSourceConfiguration><trt:ConfigurationToken>vsc0</trt:ConfigurationToken></trt:GetVideoSourceConfiguration>",
    );
    assert_eq!(
        text(vsc.child(TRT, "Configuration").unwrap(), TT, "Name"),
        "Renamed source"
    );
    fault(
        port,
        "SetVideoSourceConfiguration",
        r#"<tr2:Configuration token="vsc0"><tt:Name>Cropped</tt:Name><tt:UseCount>2</tt:UseCount><tt:SourceToken>vs0</tt:SourceToken><tt:Bounds x="0" y="0" width="640" height="360"/></tr2:Configuration>"#,
        "Sender",
        &["InvalidArgVal", "ConfigModify"],
    );
    fault(
        port,
        "SetVideoSourceConfiguration",
        r#"<tr2:Configuration token="nope"><tt:Name>x</tt:Name><tt:UseCount>0</tt:UseCount><tt:SourceToken>vs0</tt:SourceToken><tt:Bounds x="0" y="0" width="1280" height="720"/></tr2:Configuration>"#,
        "Sender",
        &["InvalidArgVal", "NoConfig"],
    );
    let metadata = |name: &str, token: &str| {
        format!(
            r#"<tr2:Configuration token="{token}"><tt:Name>{name}</tt:Name><tt:UseCount>2</tt:UseCount><tt:Analytics>false</tt:Analytics><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.42.43</tt:IPv4Address></tt:Address><tt:Port>5010</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT30S</tt:SessionTimeout></tr2:Configuration>"#
        )
    };
    ok(
        port,
        "SetMetadataConfiguration",
        &metadata("Renamed metadata", "meta0"),
    );
    let meta = media1_ok(
        port,
        "<trt:GetMetadataConfiguration><trt:ConfigurationToken>meta0</trt:ConfigurationToken></trt:GetMetadataConfiguration>",
    );
    let meta = meta.child(TRT, "Configuration").unwrap();
    assert_eq!(text(meta, TT, "Name"), "Renamed metadata");
    assert_eq!(text(meta, TT, "SessionTimeout"), "PT30S");
    fault(
        port,
        "SetMetadataConfiguration",
        &metadata("x", "nope"),
        "Sender",
        &["InvalidArgVal", "NoConfig"],
    );

    // SetSynchronizationPoint and multicast, by profile.
    ok(
        port,
        "SetSynchronizationPoint",
        "<tr2:ProfileToken>main</tr2:ProfileToken>",
    );
    ok(
        port,
        "StartMulticastStreaming",
        "<tr2:ProfileToken>main</tr2:ProfileToken>",
    );
    ok(
        port,
        "StopMulticastStreaming",
        "<tr2:ProfileToken>main</tr2:ProfileToken>",
    );
    ok(
        port,
        "StopMulticastStreaming",
        "<tr2:ProfileToken>main</tr2:ProfileToken>",
    );
    for op in [
        "SetSynchronizationPoint",
        "StartMulticastStreaming",
        "StopMulticastStreaming",
    ] {
        fault(
            port,
            op,
            "<tr2:ProfileToken>nope</tr2:ProfileToken>",
            "Sender",
            &["InvalidArgVal", "NoProfile"],
        );
    }
    let empty = ok(port, "CreateProfile", "<tr2:Name>no encoder</tr2:Name>");
    let empty = text(&empty, TR2, "Token").to_owned();
    fault(
        port,
        "StartMulticastStreaming",
        &format!("<tr2:ProfileToken>{empty}</tr2:ProfileToken>"),
        "Receiver",
        &["Action", "IncompleteConfiguration"],
    );
    // No encoder, no stream to synchronise: nothing to do, no fault (the spec's only one is
    // NoProfile).
    ok(
        port,
        "SetSynchronizationPoint",
        &format!("<tr2:ProfileToken>{empty}</tr2:ProfileToken>"),
    );

    // Persisted: the encoder after a restart, and the stream it encodes.
    stop(nvt);
    let (nvt, port) = start(state.path());
    let kept = media1_encoder(port);
    assert_eq!((kept.0, kept.1, kept.2, kept.3), (640, 360, 12, 700));
    assert_eq!(probe(port, "sub"), "640,360,12/1");
    stop(nvt);
}

/// A pull point on `tns1:Media//.`: its address.
fn media_pull_point(port: u16) -> String {
    let (status, text) = soap::post(
        port,
        soap::EVENTS,
        "admin",
        PASSWORD,
        &format!(
            r#"<tev:CreatePullPointSubscription><tev:Filter><wsnt:TopicExpression Dialect="{CONCRETE_SET}">tns1:Media//.</wsnt:TopicExpression></tev:Filter></tev:CreatePullPointSubscription>"#
        ),
    );
    assert_eq!(status, 200, "{text}");
    let body = body_of(&text);
    let r = &body.children[0];
    let tev = r.ns.clone().unwrap();
    r.child(&tev, "SubscriptionReference")
        .and_then(|s| s.child(WSA, "Address"))
        .map(|a| a.text.clone())
        .unwrap_or_else(|| panic!("no address in {r:?}"))
}

/// The messages pulled: (topic, the Source items' values).
fn pull(port: u16, address: &str) -> Vec<(String, Vec<String>)> {
    let path = &address[address.find("/onvif/").unwrap()..];
    let (status, text) = soap::post(
        port,
        path,
        "admin",
        PASSWORD,
        "<tev:PullMessages><tev:Timeout>PT5S</tev:Timeout><tev:MessageLimit>50</tev:MessageLimit></tev:PullMessages>",
    );
    assert_eq!(status, 200, "{text}");
    body_of(&text).children[0]
        .children_named(WSNT, "NotificationMessage")
        .map(|nm| {
            let m = nm
                .child(WSNT, "Message")
                .and_then(|m| m.child(TT, "Message"))
                .unwrap();
            let source = m
                .child(TT, "Source")
                .map(|s| {
                    s.children
                        .iter()
                        .map(|i| i.attr("Value").unwrap().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            (nm.child(WSNT, "Topic").unwrap().text.clone(), source)
        })
        .collect()
}

#[test]
fn media2_writes_raise_the_media_events() {
    let state = support::temp_state();
    let (nvt, port) = start(state.path());
    let address = media_pull_point(port);
    let profile_changed = |t: &str| ("tns1:Media/ProfileChanged".to_owned(), vec![t.to_owned()]);

    ok(
        port,
        "CreateProfile",
        &format!(
            "<tr2:Name>events</tr2:Name>{}",
            refs(&[("VideoSource", Some("vsc0"))])
        ),
    );
    assert_eq!(pull(port, &address), [profile_changed("profile_1")]);
    ok(
        port,
        "AddConfiguration",
        &format!(
            "<tr2:ProfileToken>profile_1</tr2:ProfileToken>{}",
            refs(&[
                ("VideoEncoder", Some("venc_sub")),
                ("Metadata", Some("meta0"))
            ])
        ),
    );
    assert_eq!(pull(port, &address), [profile_changed("profile_1")]);
    let r = set_encoder(port, &encoder2(640, 360, "15", 600, ""));
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        pull(port, &address),
        [(
            "tns1:Media/ConfigurationChanged".to_owned(),
            vec!["venc_sub".to_owned(), "VideoEncoder".to_owned()]
        )]
    );
    ok(
        port,
        "RemoveConfiguration",
        &format!(
            "<tr2:ProfileToken>profile_1</tr2:ProfileToken>{}",
            refs(&[("All", None)])
        ),
    );
    assert_eq!(pull(port, &address), [profile_changed("profile_1")]);
    ok(port, "DeleteProfile", "<tr2:Token>profile_1</tr2:Token>");
    assert_eq!(pull(port, &address), [profile_changed("profile_1")]);
    stop(nvt);
}

#[test]
fn writes_are_an_operators_not_a_users() {
    let state = support::temp_state();
    let (nvt, port) = start(state.path());
    for (user, level) in [("viewer", "User"), ("operator", "Operator")] {
        let r = soap::call(
            port,
            soap::DEVICE,
            ADMIN,
            &format!(
                "<tds:CreateUsers><tds:User><tt:Username>{user}</tt:Username><tt:Password>{user}-pass</tt:Password><tt:UserLevel>{level}</tt:UserLevel></tds:User></tds:CreateUsers>"
            ),
        );
        assert_eq!(r.status, 200, "{}", r.raw);
    }
    let viewer = Some(("viewer", "viewer-pass"));
    let operator = Some(("operator", "operator-pass"));
    let writes = [
        ("CreateProfile", "<tr2:Name>op</tr2:Name>".to_owned()),
        (
            "AddConfiguration",
            format!(
                "<tr2:ProfileToken>profile_1</tr2:ProfileToken>{}",
                refs(&[("VideoSource", Some("vsc0"))])
            ),
        ),
        (
            "RemoveConfiguration",
            format!(
                "<tr2:ProfileToken>profile_1</tr2:ProfileToken>{}",
                refs(&[("All", None)])
            ),
        ),
        (
            "SetSynchronizationPoint",
            "<tr2:ProfileToken>main</tr2:ProfileToken>".to_owned(),
        ),
        (
            "StartMulticastStreaming",
            "<tr2:ProfileToken>main</tr2:ProfileToken>".to_owned(),
        ),
        (
            "StopMulticastStreaming",
            "<tr2:ProfileToken>main</tr2:ProfileToken>".to_owned(),
        ),
        (
            "DeleteProfile",
            "<tr2:Token>profile_1</tr2:Token>".to_owned(),
        ),
    ];
    for (op, inner) in &writes {
        let r = soap::call(port, MEDIA2, viewer, &tr2(op, inner));
        assert!(
            r.status == 400 && r.raw.contains("ter:NotAuthorized"),
            "a User's {op}: {}",
            r.raw
        );
        ok_as(port, operator, op, inner);
    }
    stop(nvt);
}

/// A camera without a head (a replayed recording): Media 2's capabilities name no PTZ, and a
/// PTZ reference is Media 1's refusal (PTZNotSupported), in AddConfiguration and
/// CreateProfile alike; removing PTZ is no error (there is none to remove).
#[test]
fn without_a_head_ptz_references_are_refused() {
    let state = support::temp_state();
    let clip = support::path_str(&support::data_dir().join("baseline-640x360-25fps.h264"));
    let (nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &["--replay", &clip]);
    let caps = ok(port, "GetServiceCapabilities", "");
    let supported = caps
        .child(TR2, "Capabilities")
        .and_then(|c| c.child(TR2, "ProfileCapabilities"))
        .and_then(|p| p.attr("ConfigurationsSupported"))
        .expect("ConfigurationsSupported");
    // No PTZ; the simulator's microphone and speaker are there with a recording too (issue
    // 19).
    assert_eq!(
        supported,
        "VideoSource VideoEncoder AudioSource AudioEncoder Metadata AudioOutput AudioDecoder"
    );
    fault(
        port,
        "AddConfiguration",
        &format!(
            "<tr2:ProfileToken>main</tr2:ProfileToken>{}",
            refs(&[("PTZ", Some("ptz_0"))])
        ),
        "Receiver",
        &["ActionNotSupported", "PTZNotSupported"],
    );
    fault(
        port,
        "CreateProfile",
        &format!("<tr2:Name>ptz</tr2:Name>{}", refs(&[("PTZ", None)])),
        "Receiver",
        &["ActionNotSupported", "PTZNotSupported"],
    );
    ok(
        port,
        "RemoveConfiguration",
        &format!(
            "<tr2:ProfileToken>main</tr2:ProfileToken>{}",
            refs(&[("PTZ", None)])
        ),
    );
    assert_eq!(profile_tokens(port), ["main", "sub"], "nothing created");
    stop(nvt);
}

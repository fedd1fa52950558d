//! Audio source and audio encoder configurations over ONVIF (issue 19) on the real `nvt`
//! binary, raw SOAP: the microphone as Media 1 and Media 2 show it (GetAudioSources, the
//! configurations, their options from the SDK's caps: G.711 at 64 kb/s and 8 kHz, the
//! simulator's AAC-LC); a client adds the audio configurations to `main` through Media 1 and
//! ffprobe then hears `pcm_mulaw` on the URI GetStreamUri gives; Media 2's
//! SetAudioEncoderConfiguration to PCMA turns it into `pcm_alaw` for new sessions; Media 2
//! AddConfiguration/RemoveConfiguration of the audio kinds and GetProfiles Type=All; the
//! faults for bad input (ConfigModify, NoConfig, NoProfile); and all of it after a restart.

mod support;

use std::process::Command;
use std::time::Duration;

use nix::sys::signal::Signal;
use nvt::xml::{self, Element};
use support::{Daemon, soap};

const TT: &str = "http://www.onvif.org/ver10/schema";
const TR2: &str = "http://www.onvif.org/ver20/media/wsdl";
const TRT: &str = "http://www.onvif.org/ver10/media/wsdl";
const MEDIA2: &str = "/onvif/media2_service";
const PASSWORD: &str = "audio-config-Secret1";
const ADMIN: Option<(&str, &str)> = Some(("admin", PASSWORD));

fn stop(mut nvt: Daemon) {
    nvt.signal(Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(20)).success());
}

fn body_of(xml: &str) -> Element {
    let doc = xml::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{e:?}: {xml}"));
    doc.child(soap::ENV, "Body").expect("Body").clone()
}

fn subcodes(want_code: &str, subcodes: &[&str]) -> Vec<String> {
    std::iter::once(format!("env:{want_code}"))
        .chain(subcodes.iter().map(|s| format!("ter:{s}")))
        .collect()
}

/// A Media 1 call that must succeed: the response element.
fn media1(port: u16, op: &str, inner: &str) -> Element {
    let r = soap::call(
        port,
        soap::MEDIA,
        ADMIN,
        &format!("<trt:{op}>{inner}</trt:{op}>"),
    );
    assert_eq!(r.status, 200, "{op} {inner}\n{}", r.raw);
    body_of(r.body())
        .child(TRT, &format!("{op}Response"))
        .unwrap_or_else(|| panic!("no {op}Response: {}", r.raw))
        .clone()
}

fn media1_fault(port: u16, op: &str, inner: &str, code: &str, sub: &[&str]) {
    let r = soap::call(
        port,
        soap::MEDIA,
        ADMIN,
        &format!("<trt:{op}>{inner}</trt:{op}>"),
    );
    assert_eq!(
        soap::subcodes(r.body()),
        subcodes(code, sub),
        "{op} {inner}\n{}",
        r.raw
    );
}

fn tr2(op: &str, inner: &str) -> String {
    format!(r#"<tr2:{op} xmlns:tr2="{TR2}">{inner}</tr2:{op}>"#)
}

fn media2(port: u16, op: &str, inner: &str) -> Element {
    let r = soap::call(port, MEDIA2, ADMIN, &tr2(op, inner));
    assert_eq!(r.status, 200, "{op} {inner}\n{}", r.raw);
    body_of(r.body())
        .child(TR2, &format!("{op}Response"))
        .unwrap_or_else(|| panic!("no {op}Response: {}", r.raw))
        .clone()
}

fn media2_fault(port: u16, op: &str, inner: &str, code: &str, sub: &[&str]) {
    let r = soap::call(port, MEDIA2, ADMIN, &tr2(op, inner));
    assert_eq!(
        soap::subcodes(r.body()),
        subcodes(code, sub),
        "{op} {inner}\n{}",
        r.raw
    );
}

fn text<'a>(e: &'a Element, ns: &str, name: &str) -> &'a str {
    &e.child(ns, name)
        .unwrap_or_else(|| panic!("no {name} in {e:?}"))
        .text
}

/// Media 1's GetProfile `token`: (audio source token, audio encoder token, its UseCount).
fn profile_audio(port: u16, token: &str) -> (Option<String>, Option<String>, Option<String>) {
    let r = media1(
        port,
        "GetProfile",
        &format!("<trt:ProfileToken>{token}</trt:ProfileToken>"),
    );
    let p = r.child(TRT, "Profile").expect("Profile");
    let source = p.child(TT, "AudioSourceConfiguration");
    let encoder = p.child(TT, "AudioEncoderConfiguration");
    (
        source.map(|c| c.attr("token").unwrap().to_owned()),
        encoder.map(|c| c.attr("token").unwrap().to_owned()),
        encoder.map(|c| text(c, TT, "UseCount").to_owned()),
    )
}

/// The RTSP URI of `profile` from Media 1's GetStreamUri, with admin's credentials.
fn stream_uri(port: u16, profile: &str) -> String {
    let r = media1(
        port,
        "GetStreamUri",
        &format!(
            "<trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport>\
             <tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>\
             <trt:ProfileToken>{profile}</trt:ProfileToken>"
        ),
    );
    let uri = text(r.child(TRT, "MediaUri").unwrap(), TT, "Uri").to_owned();
    uri.replacen("rtsp://", &format!("rtsp://admin:{PASSWORD}@"), 1)
}

/// The codecs ffprobe finds on `uri` over TCP.
fn codecs(uri: &str) -> Vec<String> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-rtsp_transport", "tcp", "-show_streams"])
        .args(["-of", "json", uri])
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success(),
        "ffprobe: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (v["streams"].as_array().unwrap().iter())
        .filter_map(|s| s["codec_name"].as_str().map(String::from))
        .collect()
}

/// A Media 1 `tt:AudioEncoderConfiguration` of `aenc0` with these values.
fn media1_encoder(encoding: &str, bitrate: i32, rate_khz: i32) -> String {
    format!(
        r#"<trt:Configuration token="aenc0"><tt:Name>G.711</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>{encoding}</tt:Encoding><tt:Bitrate>{bitrate}</tt:Bitrate><tt:SampleRate>{rate_khz}</tt:SampleRate><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.42.42</tt:IPv4Address></tt:Address><tt:Port>5006</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence>"#
    )
}

/// A Media 2 `tt:AudioEncoder2Configuration` of `token` (no Multicast: the stored is kept).
fn media2_encoder(token: &str, encoding: &str, bitrate: i32, rate_khz: i32) -> String {
    format!(
        r#"<tr2:Configuration token="{token}"><tt:Name>G.711</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>{encoding}</tt:Encoding><tt:Bitrate>{bitrate}</tt:Bitrate><tt:SampleRate>{rate_khz}</tt:SampleRate></tr2:Configuration>"#
    )
}

#[test]
fn audio_configurations_over_onvif_turn_the_track_on_and_persist() {
    let state = support::temp_state();
    let (nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &[]);

    // The microphone and what it offers.
    let r = media1(port, "GetAudioSources", "");
    let src = r.child(TRT, "AudioSources").expect("one audio source");
    assert_eq!(src.attr("token"), Some("as0"));
    assert_eq!(text(src, TT, "Channels"), "1");
    let r = media1(port, "GetAudioEncoderConfigurationOptions", "");
    let options = r.child(TRT, "Options").unwrap();
    let list: Vec<&Element> = options.children.iter().collect();
    assert_eq!(list.len(), 2, "G711 and AAC: {options:?}");
    assert_eq!(text(list[0], TT, "Encoding"), "G711");
    assert_eq!(text(list[1], TT, "Encoding"), "AAC");
    let items = |e: &Element, name: &str| -> Vec<String> {
        (e.child(TT, name).unwrap().children.iter())
            .map(|i| i.text.clone())
            .collect()
    };
    assert_eq!(items(list[0], "BitrateList"), ["64"]);
    assert_eq!(items(list[0], "SampleRateList"), ["8"]);
    // The simulator's AAC-LC: 16..64 kb/s, 8 and 16 kHz (sdk-sys sim/aac.rs).
    assert_eq!(
        items(list[1], "BitrateList"),
        ["16", "24", "32", "48", "64"]
    );
    assert_eq!(items(list[1], "SampleRateList"), ["8", "16"]);
    let r = media1(port, "GetAudioSourceConfigurationOptions", "");
    let o = r.child(TRT, "Options").unwrap();
    assert_eq!(text(o, TT, "InputTokensAvailable"), "as0");
    let r = media2(port, "GetAudioEncoderConfigurationOptions", "");
    let names: Vec<&str> = (r.children.iter())
        .map(|o| text(o, TT, "Encoding"))
        .collect();
    assert_eq!(names, ["PCMU", "PCMA", "mpeg4-generic"]);
    let caps = media2(port, "GetServiceCapabilities", "");
    let supported = caps
        .child(TR2, "Capabilities")
        .and_then(|c| c.child(TR2, "ProfileCapabilities"))
        .and_then(|p| p.attr("ConfigurationsSupported"))
        .unwrap()
        .to_owned();
    assert!(
        supported.contains("AudioSource AudioEncoder"),
        "{supported}"
    );

    // Off by default: no audio in the profile, none in the stream.
    assert_eq!(profile_audio(port, "main"), (None, None, None));
    let uri = stream_uri(port, "main");
    assert_eq!(codecs(&uri), ["h264"]);

    // Faults before anything changes.
    let add = |profile: &str, config: &str| {
        format!(
            "<trt:ProfileToken>{profile}</trt:ProfileToken>\
             <trt:ConfigurationToken>{config}</trt:ConfigurationToken>"
        )
    };
    let no_config = ["InvalidArgVal", "NoConfig"];
    let no_profile = ["InvalidArgVal", "NoProfile"];
    let modify = ["InvalidArgVal", "ConfigModify"];
    media1_fault(
        port,
        "AddAudioEncoderConfiguration",
        &add("main", "nope"),
        "Sender",
        &no_config,
    );
    media1_fault(
        port,
        "AddAudioSourceConfiguration",
        &add("nope", "asc0"),
        "Sender",
        &no_profile,
    );
    media1_fault(
        port,
        "GetAudioEncoderConfiguration",
        "<trt:ConfigurationToken>nope</trt:ConfigurationToken>",
        "Sender",
        &no_config,
    );
    media1_fault(
        port,
        "GetCompatibleAudioEncoderConfigurations",
        "<trt:ProfileToken>nope</trt:ProfileToken>",
        "Sender",
        &no_profile,
    );
    for (encoding, bitrate, rate) in [
        ("G711", 32, 8),
        ("G711", 64, 16),
        ("AAC", 128, 16),
        ("AAC", 32, 44),
        ("G726", 32, 8),
    ] {
        media1_fault(
            port,
            "SetAudioEncoderConfiguration",
            &media1_encoder(encoding, bitrate, rate),
            "Sender",
            &modify,
        );
    }
    media2_fault(
        port,
        "SetAudioEncoderConfiguration",
        &media2_encoder("aenc0", "MP4A-LATM", 64, 8),
        "Sender",
        &modify,
    );
    media2_fault(
        port,
        "SetAudioEncoderConfiguration",
        &media2_encoder("nope", "PCMU", 64, 8),
        "Sender",
        &no_config,
    );
    media1_fault(
        port,
        "SetAudioSourceConfiguration",
        r#"<trt:Configuration token="asc0"><tt:Name>Mic</tt:Name><tt:UseCount>0</tt:UseCount><tt:SourceToken>as7</tt:SourceToken></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence>"#,
        "Sender",
        &modify,
    );
    media2_fault(
        port,
        "GetAudioEncoderConfigurations",
        "<tr2:ConfigurationToken>nope</tr2:ConfigurationToken>",
        "Sender",
        &no_config,
    );

    // Media 1: the audio configurations into `main`; ffprobe hears G.711 mu-law.
    media1(port, "AddAudioSourceConfiguration", &add("main", "asc0"));
    media1(port, "AddAudioEncoderConfiguration", &add("main", "aenc0"));
    assert_eq!(
        profile_audio(port, "main"),
        (Some("asc0".into()), Some("aenc0".into()), Some("1".into()))
    );
    let c = codecs(&uri);
    assert!(c.contains(&"pcm_mulaw".to_owned()), "{c:?}");
    assert!(c.contains(&"h264".to_owned()), "{c:?}");

    // Media 2: the same configuration, by token; then set to A-law.
    let r = media2(
        port,
        "GetAudioEncoderConfigurations",
        "<tr2:ConfigurationToken>aenc0</tr2:ConfigurationToken><tr2:ProfileToken>main</tr2:ProfileToken>",
    );
    let e = r.child(TR2, "Configurations").unwrap();
    assert_eq!(
        (
            text(e, TT, "Encoding"),
            text(e, TT, "Bitrate"),
            text(e, TT, "SampleRate")
        ),
        ("PCMU", "64", "8")
    );
    assert_eq!(text(e, TT, "UseCount"), "1");
    media2(
        port,
        "SetAudioEncoderConfiguration",
        &media2_encoder("aenc0", "PCMA", 64, 8),
    );
    let c = codecs(&uri);
    assert!(c.contains(&"pcm_alaw".to_owned()), "{c:?}");
    // Media 1 shows it as G711 and writing it back keeps the law.
    media1(
        port,
        "SetAudioEncoderConfiguration",
        &media1_encoder("G711", 64, 8),
    );
    let r = media2(port, "GetAudioEncoderConfigurations", "");
    assert_eq!(
        text(r.child(TR2, "Configurations").unwrap(), TT, "Encoding"),
        "PCMA"
    );

    // Media 2: AddConfiguration with the device picking the tokens; Type=All shows them.
    let refs = "<tr2:Configuration><tr2:Type>AudioSource</tr2:Type></tr2:Configuration>\
                <tr2:Configuration><tr2:Type>AudioEncoder</tr2:Type></tr2:Configuration>";
    media2(
        port,
        "AddConfiguration",
        &format!("<tr2:ProfileToken>sub</tr2:ProfileToken>{refs}"),
    );
    let r = media2(
        port,
        "GetProfiles",
        "<tr2:Token>sub</tr2:Token><tr2:Type>All</tr2:Type>",
    );
    let set = r
        .child(TR2, "Profiles")
        .and_then(|p| p.child(TR2, "Configurations"))
        .unwrap();
    assert_eq!(
        set.child(TR2, "AudioSource").and_then(|c| c.attr("token")),
        Some("asc0")
    );
    let enc = set.child(TR2, "AudioEncoder").unwrap();
    assert_eq!(
        (enc.attr("token"), text(enc, TT, "UseCount")),
        (Some("aenc0"), "2")
    );
    let c = codecs(&stream_uri(port, "sub"));
    assert!(c.contains(&"pcm_alaw".to_owned()), "sub: {c:?}");
    media2(
        port,
        "RemoveConfiguration",
        "<tr2:ProfileToken>sub</tr2:ProfileToken>\
         <tr2:Configuration><tr2:Type>AudioEncoder</tr2:Type></tr2:Configuration>",
    );
    assert_eq!(
        profile_audio(port, "sub"),
        (Some("asc0".into()), None, None)
    );
    assert_eq!(codecs(&stream_uri(port, "sub")), ["h264"]);
    stop(nvt);

    // After a restart: main still carries A-law audio.
    let (nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &[]);
    assert_eq!(
        profile_audio(port, "main"),
        (Some("asc0".into()), Some("aenc0".into()), Some("1".into()))
    );
    let c = codecs(&stream_uri(port, "main"));
    assert!(c.contains(&"pcm_alaw".to_owned()), "after restart: {c:?}");
    // Media 1 removes it again: video alone.
    media1(
        port,
        "RemoveAudioEncoderConfiguration",
        "<trt:ProfileToken>main</trt:ProfileToken>",
    );
    assert_eq!(codecs(&stream_uri(port, "main")), ["h264"]);
    stop(nvt);
}

/// An audio-only profile in the Media 1 calls that concern any stream: SetSynchronizationPoint
/// succeeds (every audio packet decodes on its own: nothing to wait for), GetSnapshotUri
/// answers IncompleteConfiguration (no video to take a picture of), Start/Stop
/// MulticastStreaming start its audio group; on a board without a microphone its Start
/// answers IncompleteConfiguration (no stream to send), through Media 1 as through Media 2,
/// never an internal fault. A profile of nothing is IncompleteConfiguration for
/// SetSynchronizationPoint too.
#[test]
fn an_audio_only_profile_in_the_media1_stream_calls() {
    let state = support::temp_state();
    let (nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &[]);
    let add = |profile: &str, config: &str| {
        format!(
            "<trt:ProfileToken>{profile}</trt:ProfileToken>\
             <trt:ConfigurationToken>{config}</trt:ConfigurationToken>"
        )
    };
    let profile = |t: &str| format!("<trt:ProfileToken>{t}</trt:ProfileToken>");
    for token in ["ao", "empty"] {
        media1(
            port,
            "CreateProfile",
            &format!("<trt:Name>{token}</trt:Name><trt:Token>{token}</trt:Token>"),
        );
    }
    media1(port, "AddAudioSourceConfiguration", &add("ao", "asc0"));
    media1(port, "AddAudioEncoderConfiguration", &add("ao", "aenc0"));
    let incomplete = ["Action", "IncompleteConfiguration"];

    media1(port, "SetSynchronizationPoint", &profile("ao"));
    media1_fault(
        port,
        "SetSynchronizationPoint",
        &profile("empty"),
        "Receiver",
        &incomplete,
    );
    media1_fault(
        port,
        "GetSnapshotUri",
        &profile("ao"),
        "Receiver",
        &incomplete,
    );
    media1(port, "StartMulticastStreaming", &profile("ao"));
    media1(port, "StopMulticastStreaming", &profile("ao"));
    stop(nvt);

    let (nvt, port) =
        Daemon::start_admin(state.path(), PASSWORD, &["--sdk-options", "microphone=off"]);
    media1_fault(
        port,
        "StartMulticastStreaming",
        &profile("ao"),
        "Receiver",
        &incomplete,
    );
    media2_fault(
        port,
        "StartMulticastStreaming",
        "<tr2:ProfileToken>ao</tr2:ProfileToken>",
        "Receiver",
        &incomplete,
    );
    stop(nvt);
}

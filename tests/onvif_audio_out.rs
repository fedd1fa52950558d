//! Audio outputs and decoders over ONVIF on the real binary (issue 19): the simulated board
//! has a speaker, so Media2 lists AudioOutput and AudioDecoder among its configurations,
//! DeviceIO and Device count it, Media2 reads and composes profiles with them, a bad
//! OutputLevel is refused with the Media fault, and what a client set survives a restart.

mod support;

use support::{Daemon, soap};

const PASSWORD: &str = "audio-Out-Secret1";
const MEDIA2: &str = "/onvif/media2_service";
const DEVICEIO: &str = "/onvif/deviceio_service";
const TR2: &str = r#"xmlns:tr2="http://www.onvif.org/ver20/media/wsdl""#;
const TMD: &str = r#"xmlns:tmd="http://www.onvif.org/ver10/deviceIO/wsdl""#;

fn ok(port: u16, path: &str, body: &str) -> String {
    let (status, text) = soap::post(port, path, "admin", PASSWORD, body);
    assert_eq!(status, 200, "{body}: {text}");
    text
}

#[test]
fn audio_outputs_through_media2_deviceio_and_a_restart() {
    let state = tempfile::tempdir().unwrap();
    let (mut nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &[]);

    let caps = ok(
        port,
        MEDIA2,
        &format!("<tr2:GetServiceCapabilities {TR2}/>"),
    );
    assert!(caps.contains("AudioOutput AudioDecoder"), "{caps}");
    let dio = ok(
        port,
        DEVICEIO,
        &format!("<tmd:GetServiceCapabilities {TMD}/>"),
    );
    assert!(dio.contains(r#"AudioOutputs="1""#), "{dio}");
    let outputs = ok(port, DEVICEIO, &format!("<tmd:GetAudioOutputs {TMD}/>"));
    assert!(outputs.contains(">aout0</"), "{outputs}");
    let device = ok(
        port,
        soap::DEVICE,
        "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>",
    );
    let device_io = device.split("DeviceIO>").nth(1).unwrap_or_default();
    assert!(device_io.contains("AudioOutputs>1<"), "{device}");

    let options = ok(
        port,
        MEDIA2,
        &format!("<tr2:GetAudioDecoderConfigurationOptions {TR2}/>"),
    );
    assert!(
        options.contains("Encoding>PCMU<") && options.contains("Encoding>PCMA<"),
        "{options}"
    );
    let out_options = ok(
        port,
        MEDIA2,
        &format!("<tr2:GetAudioOutputConfigurationOptions {TR2}/>"),
    );
    assert!(
        out_options.contains("OutputTokensAvailable>aout0<") && out_options.contains("Max>100<"),
        "{out_options}"
    );

    // Media2 AddConfiguration puts both into `sub` at once; GetProfiles with their Types
    // shows them there.
    ok(
        port,
        MEDIA2,
        &format!(
            r#"<tr2:AddConfiguration {TR2}><tr2:ProfileToken>sub</tr2:ProfileToken><tr2:Configuration><tr2:Type>AudioOutput</tr2:Type><tr2:Token>aoc0</tr2:Token></tr2:Configuration><tr2:Configuration><tr2:Type>AudioDecoder</tr2:Type></tr2:Configuration></tr2:AddConfiguration>"#
        ),
    );
    let profiles = ok(
        port,
        MEDIA2,
        &format!(
            "<tr2:GetProfiles {TR2}><tr2:Token>sub</tr2:Token><tr2:Type>AudioOutput</tr2:Type><tr2:Type>AudioDecoder</tr2:Type></tr2:GetProfiles>"
        ),
    );
    assert!(
        profiles.contains(r#"AudioOutput token="aoc0""#)
            && profiles.contains(r#"AudioDecoder token="adec0""#),
        "{profiles}"
    );
    assert!(profiles.contains("UseCount>2<"), "main and sub: {profiles}");

    // OutputLevel outside 0..100: Media's ConfigModify, nothing changes.
    let set = |level: i32| {
        format!(
            r#"<tr2:SetAudioOutputConfiguration {TR2}><tr2:Configuration token="aoc0"><tt:Name>Door</tt:Name><tt:UseCount>2</tt:UseCount><tt:OutputToken>aout0</tt:OutputToken><tt:OutputLevel>{level}</tt:OutputLevel></tr2:Configuration></tr2:SetAudioOutputConfiguration>"#
        )
    };
    let reply = soap::call(port, MEDIA2, Some(("admin", PASSWORD)), &set(101));
    assert_eq!(reply.status, 400, "{}", reply.body());
    let codes = soap::subcodes(reply.body());
    assert!(
        codes.iter().any(|s| s.ends_with("ConfigModify")),
        "{}",
        reply.body()
    );
    ok(port, MEDIA2, &set(30));

    nvt.stop();
    let (_nvt, port) = Daemon::start_admin(state.path(), PASSWORD, &[]);
    let after = ok(
        port,
        MEDIA2,
        &format!(
            "<tr2:GetAudioOutputConfigurations {TR2}><tr2:ConfigurationToken>aoc0</tr2:ConfigurationToken></tr2:GetAudioOutputConfigurations>"
        ),
    );
    assert!(
        after.contains("OutputLevel>30<") && after.contains("Name>Door<"),
        "{after}"
    );
    let sub = ok(
        port,
        MEDIA2,
        &format!(
            "<tr2:GetProfiles {TR2}><tr2:Token>sub</tr2:Token><tr2:Type>All</tr2:Type></tr2:GetProfiles>"
        ),
    );
    assert!(sub.contains(r#"AudioOutput token="aoc0""#), "{sub}");
}

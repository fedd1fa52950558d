//! Device and Media answers real clients tripped over (issue 13 item 5), through the real
//! binary: time zone names, network interface state, profile tokens that are no path
//! segment, and the audio operations of a device without audio.

mod support;

use support::soap::{self, DEVICE, MEDIA, subcodes};
use support::{Daemon, isolate};

const PASSWORD: &str = "misfit-Secret1";

fn start(env: &[(&str, &str)]) -> (tempfile::TempDir, Daemon, u16) {
    start_with(&[], env)
}

fn start_with(args: &[&str], env: &[(&str, &str)]) -> (tempfile::TempDir, Daemon, u16) {
    let state = support::temp_state();
    let mut all = vec![("NVT_ADMIN_PASSWORD", PASSWORD)];
    all.extend_from_slice(env);
    let mut nvt = Daemon::start(state.path(), args, &all);
    let port = nvt.http_port();
    nvt.wait_running();
    (state, nvt, port)
}

fn admin(port: u16, path: &str, body: &str) -> (u16, String) {
    soap::post(port, path, "admin", PASSWORD, body)
}

fn set_time_zone(port: u16, tz: &str) -> (u16, String) {
    admin(
        port,
        DEVICE,
        &format!(
            "<tds:SetSystemDateAndTime><tds:DateTimeType>NTP</tds:DateTimeType><tds:DaylightSavings>false</tds:DaylightSavings><tds:TimeZone><tt:TZ>{tz}</tt:TZ></tds:TimeZone></tds:SetSystemDateAndTime>"
        ),
    )
}

fn reported_time_zone(port: u16) -> String {
    let (status, text) = admin(port, DEVICE, "<tds:GetSystemDateAndTime/>");
    assert_eq!(status, 200, "{text}");
    let doc = nvt::xml::parse(text.as_bytes()).unwrap();
    let tt = "http://www.onvif.org/ver10/schema";
    doc.child("http://www.w3.org/2003/05/soap-envelope", "Body")
        .and_then(|b| {
            b.child(
                "http://www.onvif.org/ver10/device/wsdl",
                "GetSystemDateAndTimeResponse",
            )
        })
        .and_then(|r| {
            r.child(
                "http://www.onvif.org/ver10/device/wsdl",
                "SystemDateAndTime",
            )
        })
        .and_then(|t| t.child(tt, "TimeZone"))
        .and_then(|z| z.child(tt, "TZ"))
        .unwrap_or_else(|| panic!("no TZ in {text}"))
        .text
        .clone()
}

/// Home Assistant sends its host's zone name first (`UTC`, `CET`), Windows tools `GMT` or an
/// IANA name: accepted and reported as the POSIX TZ string they stand for.
#[test]
fn time_zone_names_clients_send_are_accepted_as_posix_strings() {
    let (_state, mut nvt, port) = start(&[]);
    let zoneinfo = std::path::Path::new("/usr/share/zoneinfo/Europe/Berlin").exists();
    let mut cases = vec![
        ("UTC", "UTC0"),
        ("GMT", "GMT0"),
        ("CET", "CET-1CEST,M3.5.0,M10.5.0/3"),
        ("Etc/GMT-2", "<+02>-2"),
        ("CET-1CEST,M3.5.0,M10.5.0/3", "CET-1CEST,M3.5.0,M10.5.0/3"),
        ("EST5EDT", "EST5EDT"),
    ];
    if zoneinfo {
        cases.push(("Europe/Berlin", "CET-1CEST,M3.5.0,M10.5.0/3"));
        cases.push((":Europe/Berlin", "CET-1CEST,M3.5.0,M10.5.0/3"));
        cases.push(("America/New_York", "EST5EDT,M3.2.0,M11.1.0"));
    }
    for (sent, posix) in cases {
        let (status, text) = set_time_zone(port, sent);
        assert_eq!(status, 200, "{sent}: {text}");
        assert_eq!(reported_time_zone(port), posix, "{sent}");
    }
    for bad in [
        "Mars/Olympus",
        "../../../etc/passwd",
        "CET-1CEST,garbage",
        "/etc/localtime",
    ] {
        let (status, text) = set_time_zone(port, bad);
        assert_eq!(status, 400, "{bad}: {text}");
        assert_eq!(
            subcodes(&text),
            ["env:Sender", "ter:InvalidArgVal", "ter:InvalidTimeZone"],
            "{bad}"
        );
    }
    nvt.stop();
}

/// A camera without a zoneinfo database (TZDIR pointing at an empty directory) still takes
/// the fixed names, and says why it refuses a region name.
#[test]
fn without_a_zoneinfo_database_fixed_names_still_resolve() {
    let empty = tempfile::tempdir().unwrap();
    let (_state, mut nvt, port) = start(&[("TZDIR", empty.path().to_str().unwrap())]);
    for (sent, posix) in [
        ("UTC", "UTC0"),
        ("GMT", "GMT0"),
        ("CET", "CET-1CEST,M3.5.0,M10.5.0/3"),
    ] {
        let (status, text) = set_time_zone(port, sent);
        assert_eq!(status, 200, "{sent}: {text}");
        assert_eq!(reported_time_zone(port), posix, "{sent}");
    }
    let (status, text) = set_time_zone(port, "Europe/Berlin");
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("no zoneinfo database"), "{text}");
    nvt.stop();
}

/// Profile tokens become URL path segments (rtsp://host/<token>, /snapshot/<token>, HLS):
/// `.` and `..` are refused with env:Sender/ter:InvalidArgVal (Media 1 has no more specific
/// subcode), and nothing is created.
#[test]
fn profile_tokens_that_are_dot_segments_are_refused() {
    let (_state, mut nvt, port) = start(&[]);
    let create = |token: &str| {
        admin(
            port,
            MEDIA,
            &format!(
                "<trt:CreateProfile><trt:Name>p</trt:Name><trt:Token>{token}</trt:Token></trt:CreateProfile>"
            ),
        )
    };
    for token in [".", "..", ".hidden", "a/b", "a%2F"] {
        let (status, text) = create(token);
        assert_eq!(status, 400, "{token}: {text}");
        assert_eq!(
            subcodes(&text),
            ["env:Sender", "ter:InvalidArgVal"],
            "{token}"
        );
    }
    let (status, text) = admin(port, MEDIA, "<trt:GetProfiles/>");
    assert_eq!(status, 200);
    assert_eq!(text.matches("<trt:Profiles ").count(), 2, "{text}");
    let (status, text) = create("cam.1");
    assert_eq!(status, 200, "a dot inside a token is fine: {text}");
    nvt.stop();
}

/// On a board without a speaker (`speaker=off`): GetAudioOutputs lists none (s5.20.1: "If a
/// device has no AudioOutputs an empty list is returned"); audio output and decoder
/// configurations fault AudioOutputNotSupported and AudioDecodingNotSupported. (The
/// simulator's own speaker is served: tests/onvif_audio_out.rs. Its microphone too: the audio
/// source and encoder operations, tests/onvif_audio.rs; their AudioNotSupported on a board
/// without one is `onvif::media::audio`'s unit test.)
#[test]
fn audio_output_operations_say_the_device_has_no_audio_output() {
    let (_state, mut nvt, port) = start_with(&["--sdk-options", "speaker=off"], &[]);
    for (body, sub) in [
        (
            "<trt:GetAudioOutputConfigurations/>",
            "ter:AudioOutputNotSupported",
        ),
        (
            "<trt:GetAudioOutputConfigurationOptions/>",
            "ter:AudioOutputNotSupported",
        ),
        (
            "<trt:GetAudioDecoderConfigurations/>",
            "ter:AudioDecodingNotSupported",
        ),
        (
            "<trt:GetAudioDecoderConfigurationOptions/>",
            "ter:AudioDecodingNotSupported",
        ),
    ] {
        let (status, text) = admin(port, MEDIA, body);
        assert_eq!(status, 500, "{body}: {text}");
        assert_eq!(
            subcodes(&text),
            ["env:Receiver", "ter:ActionNotSupported", sub],
            "{body}"
        );
    }
    let (status, text) = admin(port, MEDIA, "<trt:GetAudioOutputs/>");
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains("GetAudioOutputsResponse") && !text.contains("AudioOutputs>"),
        "{text}"
    );
    nvt.stop();
}

const NETNS_CHILD: &str = "network_interfaces_child";

/// GetNetworkInterfaces reports the real state, and lists the interface the device's
/// identity (EPR, MAC scope) comes from first (in a network namespace of its own, with veth
/// pairs: this kernel has no dummy interfaces): Home Assistant takes the first enabled one's
/// MAC as the camera's. Before the fix a down interface sorted first was reported enabled and
/// was the identity.
#[test]
fn network_interfaces_report_their_state_with_the_identity_first() {
    isolate::run(NETNS_CHILD, true);
}

#[test]
#[ignore = "child process of network_interfaces_report_their_state_with_the_identity_first"]
fn network_interfaces_child() {
    assert!(
        isolate::in_child(NETNS_CHILD),
        "run through network_interfaces_report_their_state_with_the_identity_first"
    );
    // A fresh network namespace with two veth pairs: a0/a1 down (first by name), b0/b1 up,
    // b0 with an address.
    isolate::sh("ip", &["link", "set", "lo", "up"]);
    for (a, b, x) in [("a0", "a1", "0a"), ("b0", "b1", "0b")] {
        let (mac_a, mac_b) = (format!("02:00:00:00:{x}:00"), format!("02:00:00:00:{x}:01"));
        isolate::sh(
            "ip",
            &[
                "link", "add", a, "address", &mac_a, "type", "veth", "peer", "name", b, "address",
                &mac_b,
            ],
        );
    }
    isolate::sh("ip", &["addr", "add", "192.0.2.10/24", "dev", "b0"]);
    isolate::sh("ip", &["link", "set", "b1", "up"]);
    isolate::sh("ip", &["link", "set", "b0", "up"]);
    // sysfs as this namespace sees its interfaces (as `ip netns exec` does).
    isolate::sh("mount", &["-t", "sysfs", "sysfs", "/sys"]);
    let (_state, mut nvt, port) = start(&[]);
    let (status, text) = admin(port, DEVICE, "<tds:GetNetworkInterfaces/>");
    assert_eq!(status, 200, "{text}");
    let doc = nvt::xml::parse(text.as_bytes()).unwrap();
    let tt = "http://www.onvif.org/ver10/schema";
    let listed: Vec<(String, String, String)> = doc
        .child("http://www.w3.org/2003/05/soap-envelope", "Body")
        .and_then(|b| {
            b.child(
                "http://www.onvif.org/ver10/device/wsdl",
                "GetNetworkInterfacesResponse",
            )
        })
        .unwrap()
        .children
        .iter()
        .filter(|c| c.name == "NetworkInterfaces")
        .map(|i| {
            (
                i.attr("token").unwrap_or_default().to_owned(),
                i.child(tt, "Enabled").unwrap().text.clone(),
                i.child(tt, "Info")
                    .and_then(|n| n.child(tt, "HwAddress"))
                    .unwrap()
                    .text
                    .clone(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (
                "b0".to_owned(),
                "true".to_owned(),
                "02:00:00:00:0b:00".to_owned()
            ),
            (
                "a0".to_owned(),
                "false".to_owned(),
                "02:00:00:00:0a:00".to_owned()
            ),
            (
                "a1".to_owned(),
                "false".to_owned(),
                "02:00:00:00:0a:01".to_owned()
            ),
            (
                "b1".to_owned(),
                "true".to_owned(),
                "02:00:00:00:0b:01".to_owned()
            ),
        ]
    );
    let (status, text) = admin(port, DEVICE, "<tds:GetEndpointReference/>");
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains(&nvt::host::endpoint_reference("02:00:00:00:0b:00")),
        "the identity comes from b0: {text}"
    );
    nvt.stop();
}

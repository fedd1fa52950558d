//! The metadata RTP track (issue 18, track R) on the real binary, with a raw RTSP client
//! (Digest as the ONVIF users): a profile holding no metadata configuration (the defaults)
//! describes exactly the video it always did; once AddMetadataConfiguration gives it one,
//! DESCRIBE lists `m=application ... vnd.onvif.metadata/90000` as `trackID=1`, a session
//! sets up both tracks (interleaved over TCP, or the metadata alone over UDP as the ONVIF
//! RTSS cases do), and a configuration change's `tns1:Media/ConfigurationChanged` arrives
//! as a `tt:MetadataStream` document: marker bit on its last packet, valid XML, the topic,
//! its RTP time on the video's capture clock (checked through both tracks' sender reports).

mod support;

use std::net::UdpSocket;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nvt::xml;
use support::rtp_time::{rtp_ts, sender_report, wall_of};
use support::rtsp_client::{Rtsp, medias};
use support::{Daemon, soap};

const PASSWORD: &str = "metadata-Secret1";
const TT: &str = "http://www.onvif.org/ver10/schema";
const WSNT: &str = "http://docs.oasis-open.org/wsn/b-2";
const CONCRETE_SET: &str = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet";

/// The daemon with `admin`'s password: (daemon, HTTP port, the `main` profile's RTSP URL).
fn start(state: &std::path::Path) -> (Daemon, u16, String) {
    let mut nvt = Daemon::start(state, &[], &[("NVT_ADMIN_PASSWORD", PASSWORD)]);
    // The RTSP lines come before the HTTP one.
    let url = nvt.rtsp_url("/main");
    let port = nvt.http_port();
    nvt.wait_running();
    (nvt, port, url)
}

fn ok(port: u16, body: &str) -> String {
    let (status, text) = soap::post(port, soap::MEDIA, "admin", PASSWORD, body);
    assert_eq!(status, 200, "{body}: {text}");
    text
}

/// SetMetadataConfiguration of `meta0` with Events and `filter` (a ConcreteSet topic
/// expression), or Events without a filter.
fn set_metadata(port: u16, filter: Option<&str>) {
    let filter = filter
        .map(|f| {
            format!(
                r#"<tt:Filter><wsnt:TopicExpression xmlns:wsnt="{WSNT}" xmlns:tns1="http://www.onvif.org/ver10/topics" Dialect="{CONCRETE_SET}">{f}</wsnt:TopicExpression></tt:Filter>"#
            )
        })
        .unwrap_or_default();
    ok(
        port,
        &format!(
            r#"<trt:SetMetadataConfiguration><trt:Configuration token="meta0"><tt:Name>Events</tt:Name><tt:UseCount>2</tt:UseCount><tt:Events>{filter}</tt:Events><tt:Analytics>true</tt:Analytics><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.42.42</tt:IPv4Address></tt:Address><tt:Port>5004</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence></trt:SetMetadataConfiguration>"#
        ),
    );
}

/// Media 1's AddMetadataConfiguration (`meta0` to `profile`), or its Remove.
fn hold_metadata(port: u16, profile: &str, hold: bool) {
    ok(
        port,
        &if hold {
            format!(
                "<trt:AddMetadataConfiguration><trt:ProfileToken>{profile}</trt:ProfileToken><trt:ConfigurationToken>meta0</trt:ConfigurationToken></trt:AddMetadataConfiguration>"
            )
        } else {
            format!(
                "<trt:RemoveMetadataConfiguration><trt:ProfileToken>{profile}</trt:ProfileToken></trt:RemoveMetadataConfiguration>"
            )
        },
    );
}

/// A change that raises `tns1:Media/ConfigurationChanged` (the main encoder's bitrate).
fn change_encoder(port: u16, kbps: u32) {
    ok(
        port,
        &format!(
            r#"<trt:SetVideoEncoderConfiguration><trt:Configuration token="venc_main"><tt:Name>Main H.264</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>1280</tt:Width><tt:Height>720</tt:Height></tt:Resolution><tt:Quality>5</tt:Quality><tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>{kbps}</tt:BitrateLimit></tt:RateControl><tt:H264><tt:GovLength>50</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.42.42</tt:IPv4Address></tt:Address><tt:Port>5000</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence></trt:SetVideoEncoderConfiguration>"#
        ),
    );
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// The document of `doc`'s packets, checked: the root and the topic of every message.
fn topics_of(doc: &[u8]) -> Vec<String> {
    let root = xml::parse(doc)
        .unwrap_or_else(|e| panic!("not XML ({e:?}): {}", String::from_utf8_lossy(doc)));
    assert_eq!(
        (root.ns.as_deref(), root.name.as_str()),
        (Some(TT), "MetadataStream")
    );
    root.child(TT, "Event")
        .map(|e| {
            e.children_named(WSNT, "NotificationMessage")
                .map(|m| m.child(WSNT, "Topic").unwrap().text.trim().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn metadata_track_carries_configuration_changes_over_tcp_and_udp() {
    let state = support::temp_state();
    let (_nvt, port, url) = start(state.path());

    // The default profiles hold no metadata configuration: the SDP is the video's, and a
    // filter on the configuration no profile holds changes nothing.
    let video_only = |url: &str| {
        let mut c = Rtsp::connect(url, "admin", PASSWORD);
        let d = c.req("DESCRIBE", url, &[("Accept", "application/sdp")]);
        assert_eq!(d.status, 200);
        let m = medias(&d.body);
        assert_eq!(m.len(), 1, "{}", d.body);
        assert!(m[0].0.starts_with("video 0 RTP/AVP 96"), "{}", d.body);
        assert!(!d.body.contains("application"), "{}", d.body);
    };
    video_only(&url);
    set_metadata(port, Some("tns1:Media/ConfigurationChanged"));
    video_only(&url);

    // The profile holds it: the metadata track.
    hold_metadata(port, "main", true);
    let get = ok(
        port,
        "<trt:GetMetadataConfiguration><trt:ConfigurationToken>meta0</trt:ConfigurationToken></trt:GetMetadataConfiguration>",
    );
    assert!(
        get.contains("tns1:Media/ConfigurationChanged"),
        "the filter reads back: {get}"
    );
    let mut c = Rtsp::connect(&url, "admin", PASSWORD);
    let d = c.req("DESCRIBE", &url, &[("Accept", "application/sdp")]);
    let m = medias(&d.body);
    assert_eq!(m.len(), 2, "{}", d.body);
    assert_eq!(m[1].0, "application 0 RTP/AVP 107");
    assert!(
        m[1].1
            .contains(&"rtpmap:107 vnd.onvif.metadata/90000".to_owned())
    );
    assert!(m[1].1.contains(&"control:trackID=1".to_owned()));
    assert!(!d.body.contains("sendonly"));

    // TCP: both tracks, each on its channels; PLAY names both in RTP-Info.
    let s = c.req(
        "SETUP",
        &format!("{url}/trackID=0"),
        &[("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")],
    );
    assert_eq!(s.status, 200);
    let session = s.session();
    let s = c.req(
        "SETUP",
        &format!("{url}/trackID=1"),
        &[
            ("Transport", "RTP/AVP/TCP;unicast;interleaved=2-3"),
            ("Session", &session),
        ],
    );
    assert_eq!(s.status, 200, "{:?}", s.headers);
    assert_eq!(
        s.header("Transport").unwrap(),
        "RTP/AVP/TCP;unicast;interleaved=2-3"
    );
    let p = c.req(
        "PLAY",
        &url,
        &[("Session", &session), ("Range", "npt=0.000-")],
    );
    assert_eq!(p.status, 200);
    let info = p.header("RTP-Info").unwrap().to_owned();
    assert!(
        info.contains("/trackID=0;seq=") && info.contains(&format!("{url}/trackID=1;seq=")),
        "{info}"
    );

    // The change comes as a document on channel 2; the video goes on on channel 0.
    change_encoder(port, 1024);
    let end = Instant::now() + Duration::from_secs(15);
    let (mut video_sr, mut meta_sr, mut video_ts) = (None, None, None);
    let mut doc = Vec::new();
    let mut done: Option<(Vec<u8>, u32, f64)> = None;
    while done.is_none() || video_sr.is_none() || meta_sr.is_none() {
        assert!(
            Instant::now() < end,
            "no document / reports: {video_sr:?} {meta_sr:?}"
        );
        let (ch, p) = c.packet();
        match ch {
            0 => video_ts = Some(rtp_ts(&p)),
            1 => video_sr = video_sr.or(sender_report(&p)),
            2 => {
                assert_eq!(p[1] & 0x7f, 107, "payload type");
                doc.extend_from_slice(&p[12..]);
                if p[1] & 0x80 != 0 {
                    let d = std::mem::take(&mut doc);
                    if topics_of(&d)
                        .iter()
                        .any(|t| t == "tns1:Media/ConfigurationChanged")
                    {
                        done = Some((d, rtp_ts(&p), unix_now()));
                    }
                }
            }
            3 => meta_sr = sender_report(&p).or(meta_sr),
            _ => panic!("unexpected channel {ch}"),
        }
    }
    assert!(video_ts.is_some(), "video went on");
    let (doc, ts, arrived) = done.unwrap();
    let text = String::from_utf8(doc).unwrap();
    assert!(text.contains(r#"Name="Token" Value="venc_main""#), "{text}");
    // Both tracks on one clock: the document's RTP time, through the metadata SR, is the
    // moment it was made (before it arrived, within a second); a video frame's through the
    // video SR is a recent capture time on the same wall clock.
    let made = wall_of(ts, meta_sr.unwrap(), 90_000.0);
    assert!(
        made <= arrived + 0.05 && arrived - made < 1.0,
        "made {made} arrived {arrived}"
    );
    let frame = wall_of(video_ts.unwrap(), video_sr.unwrap(), 90_000.0);
    assert!((frame - made).abs() < 5.0, "frame {frame} document {made}");
    let t = c.req("TEARDOWN", &url, &[("Session", &session)]);
    assert_eq!(t.status, 200);
    drop(c);

    // UDP, the metadata track alone (as the ONVIF RTSS cases set it up).
    let rtp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let rtp_port = rtp.local_addr().unwrap().port();
    rtp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut c = Rtsp::connect(&url, "admin", PASSWORD);
    c.req("DESCRIBE", &url, &[]);
    let s = c.req(
        "SETUP",
        &format!("{url}/trackID=1"),
        &[(
            "Transport",
            &format!("RTP/AVP;unicast;client_port={rtp_port}-{}", rtp_port + 1),
        )],
    );
    assert_eq!(s.status, 200);
    let session = s.session();
    let p = c.req("PLAY", &url, &[("Session", &session)]);
    assert_eq!(p.status, 200);
    let info = p.header("RTP-Info").unwrap();
    assert!(
        info.contains("/trackID=1;seq=") && !info.contains("trackID=0"),
        "{info}"
    );
    change_encoder(port, 2048);
    let mut buf = [0u8; 2048];
    let mut doc = Vec::new();
    let got = loop {
        let (n, _) = rtp.recv_from(&mut buf).expect("metadata over UDP");
        let p = &buf[..n];
        assert_eq!(p[1] & 0x7f, 107, "only the metadata track was set up");
        doc.extend_from_slice(&p[12..]);
        if p[1] & 0x80 != 0 {
            let topics = topics_of(&std::mem::take(&mut doc));
            if topics
                .iter()
                .any(|t| t == "tns1:Media/ConfigurationChanged")
            {
                break topics;
            }
        }
    };
    assert!(!got.is_empty());
    // SetSynchronizationPoint closes the document and starts one of the current states:
    // none match this filter (ConfigurationChanged is no property), so an empty stream
    // element. (A second after PLAY's own: one a second per stream.)
    std::thread::sleep(Duration::from_millis(1100));
    ok(
        port,
        "<trt:SetSynchronizationPoint><trt:ProfileToken>main</trt:ProfileToken></trt:SetSynchronizationPoint>",
    );
    let (n, _) = rtp
        .recv_from(&mut buf)
        .expect("a document after SetSynchronizationPoint");
    assert_eq!(buf[1], 0x80 | 107, "one packet, marked");
    assert!(
        topics_of(&buf[12..n]).is_empty(),
        "{}",
        String::from_utf8_lossy(&buf[12..n])
    );
    c.req("TEARDOWN", &url, &[("Session", &session)]);

    // No filter: the track stays (every event); out of the profile, it is gone, and the
    // sub stream never had it.
    set_metadata(port, None);
    let mut c = Rtsp::connect(&url, "admin", PASSWORD);
    let d = c.req("DESCRIBE", &url, &[]);
    assert_eq!(medias(&d.body).len(), 2, "{}", d.body);
    drop(c);
    video_only(&url.replace("/main", "/sub"));
    hold_metadata(port, "main", false);
    video_only(&url);
}

/// A profile holding a metadata configuration and no video encoder (what the ONVIF metadata
/// multicast cases stream) is a presentation of its own: DESCRIBE lists the metadata alone,
/// the aggregate URL sets it up, and PLAY streams documents; the multicast URL is the
/// metadata configuration's group. Without either configuration the path is gone (404).
#[test]
fn a_profile_of_metadata_alone_streams_it() {
    let state = support::temp_state();
    let (_nvt, port, url) = start(state.path());
    let sub = url.replace("/main", "/sub");
    hold_metadata(port, "sub", true);
    ok(
        port,
        "<trt:RemoveVideoEncoderConfiguration><trt:ProfileToken>sub</trt:ProfileToken></trt:RemoveVideoEncoderConfiguration>",
    );
    let mut c = Rtsp::connect(&sub, "admin", PASSWORD);
    let d = c.req("DESCRIBE", &sub, &[("Accept", "application/sdp")]);
    assert_eq!(d.status, 200, "{:?}", d.headers);
    let m = medias(&d.body);
    assert_eq!(m.len(), 1, "{}", d.body);
    assert_eq!(m[0].0, "application 0 RTP/AVP 107");
    assert!(m[0].1.contains(&"control:trackID=1".to_owned()));
    // The multicast URL: the metadata configuration's group (239.255.42.42:5004, TTL 1).
    let mc = format!("{sub}/multicast");
    let d = c.req("DESCRIBE", &mc, &[]);
    assert_eq!(d.status, 200);
    let m = medias(&d.body);
    assert_eq!(m.len(), 1, "{}", d.body);
    assert_eq!(m[0].0, "application 5004 RTP/AVP 107");
    assert!(
        d.body.contains("\r\nc=IN IP4 239.255.42.42/1\r\n"),
        "{}",
        d.body
    );
    // The video track is not there; the aggregate URL means the metadata.
    let s = c.req(
        "SETUP",
        &format!("{sub}/trackID=0"),
        &[("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")],
    );
    assert_eq!(s.status, 404);
    let s = c.req(
        "SETUP",
        &sub,
        &[("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")],
    );
    assert_eq!(s.status, 200, "{:?}", s.headers);
    let session = s.session();
    let p = c.req("PLAY", &sub, &[("Session", &session)]);
    assert_eq!(p.status, 200);
    let info = p.header("RTP-Info").unwrap().to_owned();
    assert!(info.contains("/trackID=1;seq="), "{info}");
    change_encoder(port, 1024);
    let end = Instant::now() + Duration::from_secs(15);
    let mut doc = Vec::new();
    loop {
        assert!(Instant::now() < end, "no ConfigurationChanged document");
        let (ch, p) = c.packet();
        if ch != 0 {
            continue;
        }
        assert_eq!(p[1] & 0x7f, 107, "payload type");
        doc.extend_from_slice(&p[12..]);
        if p[1] & 0x80 != 0
            && topics_of(&std::mem::take(&mut doc))
                .iter()
                .any(|t| t == "tns1:Media/ConfigurationChanged")
        {
            break;
        }
    }
    c.req("TEARDOWN", &sub, &[("Session", &session)]);
    drop(c);
    // Neither configuration: no presentation.
    hold_metadata(port, "sub", false);
    let mut c = Rtsp::connect(&sub, "admin", PASSWORD);
    assert_eq!(c.req("DESCRIBE", &sub, &[]).status, 404);
}

/// The retina client (Rust, what Moonfire NVR uses): DESCRIBE lists two streams, the second
/// `application`/`vnd.onvif.metadata`; it sets up both over TCP and its ONVIF depacketizer
/// hands over whole documents (`CodecItem::MessageFrame`) next to the video frames.
#[test]
fn retina_plays_video_and_metadata() {
    use futures::StreamExt;
    use retina::client::{PlayOptions, SessionOptions, SetupOptions, Transport};
    use retina::codec::CodecItem;
    let state = support::temp_state();
    let (_nvt, port, url) = start(state.path());
    let url = url::Url::parse(&url).unwrap();
    set_metadata(port, Some("tns1:Media//."));
    hold_metadata(port, "main", true);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let creds = retina::client::Credentials {
            username: "admin".into(),
            password: PASSWORD.into(),
        };
        let mut session =
            retina::client::Session::describe(url, SessionOptions::default().creds(Some(creds)))
                .await
                .expect("DESCRIBE");
        let kinds: Vec<(String, String)> = session
            .streams()
            .iter()
            .map(|s| (s.media().to_owned(), s.encoding_name().to_owned()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("video".to_owned(), "h264".to_owned()),
                ("application".to_owned(), "vnd.onvif.metadata".to_owned())
            ]
        );
        for i in 0..2 {
            session
                .setup(
                    i,
                    SetupOptions::default().transport(Transport::Tcp(Default::default())),
                )
                .await
                .expect("SETUP");
        }
        let mut demuxed = session
            .play(PlayOptions::default())
            .await
            .expect("PLAY")
            .demuxed()
            .expect("demuxed");
        // The change a moment after PLAY, from the blocking pool (the SOAP client blocks).
        let change = tokio::task::spawn_blocking(move || {
            std::thread::sleep(Duration::from_millis(500));
            change_encoder(port, 1536);
        });
        let (mut video, mut found) = (0u32, None);
        let end = tokio::time::Instant::now() + Duration::from_secs(15);
        while found.is_none() || video < 25 {
            let item = tokio::time::timeout_at(end, demuxed.next())
                .await
                .expect("items keep coming")
                .expect("stream open")
                .expect("no error");
            match item {
                CodecItem::VideoFrame(f) => {
                    assert_eq!(f.stream_id(), 0);
                    video += 1;
                }
                CodecItem::MessageFrame(m) => {
                    assert_eq!(m.stream_id(), 1);
                    assert_eq!(m.loss(), 0);
                    let topics = topics_of(m.data());
                    if topics
                        .iter()
                        .any(|t| t == "tns1:Media/ConfigurationChanged")
                    {
                        found = Some(topics);
                    }
                }
                _ => {}
            }
        }
        change.await.unwrap();
    });
}

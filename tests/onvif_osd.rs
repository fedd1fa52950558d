//! On-screen display (issue 18, track O) through the real `nvt` binary: OSDs created,
//! changed and deleted through Media2 and Media 1 (one model, two views), and the text really
//! in the picture. Snapshots (`/snapshot/<profile>`, HTTP Digest) are decoded and their luma
//! compared, pixel by pixel, with the bitmap nvt's own renderer (`nvt::osd`) gives for the
//! same OSD: per character cell, the share of pixels whose brightness (white text on a black
//! box) agrees. The simulator blends before scaling, so the sub stream's 640x360 snapshot
//! shows the text at half size. A DateAndTime OSD shows the camera's clock in its time zone
//! (after SetSystemDateAndTime) and changes from one second to the next; OSDs persist across
//! a restart; a deleted one leaves the picture. Faults and access classes per the specs.

mod support;

use std::process::Command;
use std::time::Duration;

use nix::sys::signal::Signal;
use nvt::osd::{Colour, ColourSpace, Content, LocalTime, Placed, Position, TextStyle, Window};
use nvt::sdk::OsdInfo;
use nvt::xml::Element;
use support::{Daemon, soap};

const TT: &str = "http://www.onvif.org/ver10/schema";
const TR2: &str = "http://www.onvif.org/ver20/media/wsdl";
const TRT: &str = "http://www.onvif.org/ver10/media/wsdl";
const ENV: &str = "http://www.w3.org/2003/05/soap-envelope";
const MEDIA2: &str = "/onvif/media2_service";
const PASSWORD: &str = "osd-secret";
const ADMIN: Option<(&str, &str)> = Some(("admin", PASSWORD));

/// The simulator's overlay (sdk-sys README, "OSD").
const SIM: OsdInfo = OsdInfo {
    max_regions: 8,
    max_width: 1280,
    max_height: 720,
    align_x: 2,
    align_y: 2,
    alpha_levels: 256,
};
const FRAME: Window = Window {
    x: 0,
    y: 0,
    width: 1280,
    height: 720,
};

fn start(state: &std::path::Path) -> (Daemon, u16) {
    Daemon::start_admin(state, PASSWORD, &[])
}

fn stop(mut nvt: Daemon) {
    nvt.signal(Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(20)).success());
}

fn body_of(xml: &str) -> Element {
    let doc = nvt::xml::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{e:?}: {xml}"));
    doc.child(ENV, "Body").expect("Body").clone()
}

/// A call as `user` on `path` that must succeed: the response element.
fn ok_as(port: u16, path: &str, user: Option<(&str, &str)>, body: &str) -> Element {
    let r = soap::call(port, path, user, body);
    assert_eq!(r.status, 200, "{body}\n{}", r.raw);
    body_of(r.body()).children[0].clone()
}

fn ok(port: u16, path: &str, body: &str) -> Element {
    ok_as(port, path, ADMIN, body)
}

/// A call that must fault with `code` and `subcodes`.
fn fault(port: u16, path: &str, body: &str, code: &str, subcodes: &[&str]) {
    let r = soap::call(port, path, ADMIN, body);
    let want: Vec<String> = std::iter::once(format!("env:{code}"))
        .chain(subcodes.iter().map(|s| format!("ter:{s}")))
        .collect();
    assert_eq!(soap::subcodes(r.body()), want, "{body}\n{}", r.raw);
}

fn tr2(op: &str, inner: &str) -> String {
    format!(r#"<tr2:{op} xmlns:tr2="{TR2}">{inner}</tr2:{op}>"#)
}

fn trt(op: &str, inner: &str) -> String {
    format!(r#"<trt:{op} xmlns:trt="{TRT}">{inner}</trt:{op}>"#)
}

fn text<'a>(e: &'a Element, ns: &str, name: &str) -> &'a str {
    &e.child(ns, name)
        .unwrap_or_else(|| panic!("no {name} in {e:?}"))
        .text
}

/// White text on an opaque black box: the colours every picture check reads.
const WHITE_ON_BLACK: &str = r#"<tt:FontColor Transparent="0"><tt:Color X="255" Y="128" Z="128" Colorspace="http://www.onvif.org/ver10/colorspace/YCbCr"/></tt:FontColor><tt:BackgroundColor Transparent="0"><tt:Color X="0" Y="0" Z="0" Colorspace="http://www.onvif.org/ver10/colorspace/RGB"/></tt:BackgroundColor>"#;

/// A `tt:OSDConfiguration` (in the element `wrapper`, of the service's namespace `prefix`).
fn osd_xml(prefix: &str, token: &str, position: &str, text_string: &str) -> String {
    format!(
        r#"<{prefix}:OSD token="{token}" xmlns:tt="{TT}"><tt:VideoSourceConfigurationToken>vsc0</tt:VideoSourceConfigurationToken><tt:Type>Text</tt:Type><tt:Position>{position}</tt:Position><tt:TextString>{text_string}</tt:TextString></{prefix}:OSD>"#
    )
}

fn plain_xml(text: &str, size: u32) -> String {
    format!(
        "<tt:Type>Plain</tt:Type><tt:FontSize>{size}</tt:FontSize>{WHITE_ON_BLACK}<tt:PlainText>{text}</tt:PlainText>"
    )
}

fn style(content: Content, size: u32) -> TextStyle {
    let c = |space, x, y, z| Colour {
        space,
        x,
        y,
        z,
        transparent: 0,
    };
    TextStyle {
        content,
        font_size: Some(size),
        font_colour: Some(c(ColourSpace::YCbCr, 255.0, 128.0, 128.0)),
        background: Some(c(ColourSpace::Rgb, 0.0, 0.0, 0.0)),
    }
}

/// What nvt's renderer gives for `style` at `position` on the simulator's source.
fn expected(style: &TextStyle, position: Position, now: &LocalTime) -> Placed {
    nvt::osd::render(style, position, now, (1280, 720), FRAME, &SIM).unwrap()
}

/// A snapshot's luma plane.
struct Luma {
    width: usize,
    height: usize,
    y: Vec<u8>,
}

fn snapshot(port: u16, profile: &str) -> Luma {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.jpg");
    let out = Command::new("curl")
        .args(["-sS", "-f", "--max-time", "20", "--digest", "-u"])
        .arg(format!("admin:{PASSWORD}"))
        .arg("-o")
        .arg(&path)
        .arg(format!("http://127.0.0.1:{port}/snapshot/{profile}"))
        .output()
        .expect("run curl");
    assert!(out.status.success(), "curl: {out:?}");
    let bytes = std::fs::read(&path).unwrap();
    use zune_jpeg::JpegDecoder;
    use zune_jpeg::zune_core::bytestream::ZCursor;
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::Luma);
    let mut d = JpegDecoder::new_with_options(ZCursor::new(&bytes[..]), options);
    let y = d.decode().expect("a JPEG");
    let (width, height) = d.dimensions().unwrap();
    assert_eq!(y.len(), width * height);
    Luma { width, height, y }
}

/// How well the picture shows `p` (rendered for the source) at 1/`div` scale: per character
/// cell, the balanced accuracy of the picture's brightness against the bitmap (text bright,
/// box dark): the mean of the shares of bright and of dark pixels seen as such, so a dark
/// picture without the text scores 0.5, not the box's share. Only pixels whose 3x3
/// neighbourhood in the bitmap is of one kind count (JPEG blurs edges). Returns (all cells
/// together, the worst cell).
fn agreement(luma: &Luma, p: &Placed, div: u32) -> (f64, f64) {
    let bright = |x: u32, y: u32| -> Option<bool> {
        // The bitmap at the snapshot's scale: a block of div x div source pixels, one kind.
        let mut kinds = (0..div)
            .flat_map(|dy| (0..div).map(move |dx| (dx, dy)))
            .map(|(dx, dy)| {
                p.bitmap
                    .pixel(x * div + dx, y * div + dy)
                    .map(|px| ((px >> 16) & 0xFF) > 128)
            });
        let first = kinds.next()??;
        kinds.all(|k| k == Some(first)).then_some(first)
    };
    let (w, h) = (p.bitmap.width() / div, p.bitmap.height() / div);
    let cell = 8 * p.scale / div;
    let pad = p.scale / div;
    // Per cell: [dark seen dark, dark], [bright seen bright, bright].
    let mut cells = vec![[[0u32; 2]; 2]; p.chars];
    for y in 1..h.saturating_sub(1) {
        for x in pad.max(1)..w.saturating_sub(1) {
            let Some(kind) = bright(x, y) else { continue };
            let uniform = (0..3)
                .flat_map(|dy| (0..3).map(move |dx| (dx, dy)))
                .all(|(dx, dy)| bright(x + dx - 1, y + dy - 1) == Some(kind));
            let i = ((x - pad) / cell) as usize;
            if !uniform || i >= cells.len() {
                continue;
            }
            let (sx, sy) = ((p.x / div + x) as usize, (p.y / div + y) as usize);
            let seen = luma.y[sy * luma.width + sx] > 128;
            let c = &mut cells[i][usize::from(kind)];
            c[1] += 1;
            if seen == kind {
                c[0] += 1;
            }
        }
    }
    let balanced = |c: &[[u32; 2]; 2]| {
        let rates: Vec<f64> = (c.iter())
            .filter(|k| k[1] > 0)
            .map(|k| f64::from(k[0]) / f64::from(k[1]))
            .collect();
        rates.iter().sum::<f64>() / rates.len().max(1) as f64
    };
    let mut total = [[0u32; 2]; 2];
    for c in &cells {
        for k in 0..2 {
            total[k][0] += c[k][0];
            total[k][1] += c[k][1];
        }
    }
    let worst = cells.iter().map(balanced).fold(1.0, f64::min);
    (balanced(&total), worst)
}

/// The OSDs of a Media 1 GetOSDs answer, by token.
fn media1_osds(port: u16) -> Vec<Element> {
    let r = ok(port, soap::MEDIA, &trt("GetOSDs", ""));
    r.children_named(TRT, "OSDs").cloned().collect()
}

fn by_token<'a>(osds: &'a [Element], token: &str) -> &'a Element {
    osds.iter()
        .find(|o| o.attr("token") == Some(token))
        .unwrap_or_else(|| panic!("no OSD {token} in {osds:?}"))
}

/// Home Assistant style clock repair: the camera clock set to `utc_ms` in zone `tz`.
fn set_clock(port: u16, utc_ms: i64, tz: &str) {
    let s = nvt::xml::xsd::format_datetime(utc_ms); // 2026-12-05T08:52:04Z
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().unwrap();
    let body = format!(
        "<tds:SetSystemDateAndTime><tds:DateTimeType>Manual</tds:DateTimeType><tds:DaylightSavings>false</tds:DaylightSavings><tds:TimeZone><tt:TZ xmlns:tt=\"{TT}\">{tz}</tt:TZ></tds:TimeZone><tds:UTCDateTime><tt:Time xmlns:tt=\"{TT}\"><tt:Hour>{}</tt:Hour><tt:Minute>{}</tt:Minute><tt:Second>{}</tt:Second></tt:Time><tt:Date xmlns:tt=\"{TT}\"><tt:Year>{}</tt:Year><tt:Month>{}</tt:Month><tt:Day>{}</tt:Day></tt:Date></tds:UTCDateTime></tds:SetSystemDateAndTime>",
        n(11, 13),
        n(14, 16),
        n(17, 19),
        n(0, 4),
        n(5, 7),
        n(8, 10)
    );
    ok(port, soap::DEVICE, &body);
}

/// The local time (of the candidates around host time `host_ms` with the camera clock
/// `offset_ms` ahead) whose rendering the picture matches best, with its worst cell's score;
/// asserts that it is the only one that matches (every other second scores lower).
fn best_time(luma: &Luma, style: &TextStyle, host_ms: i64, offset_ms: i64) -> (i64, f64) {
    let mut scored: Vec<(i64, f64)> = (-3..=2)
        .map(|k| {
            let t = (host_ms + offset_ms).div_euclid(1000) * 1000 + k * 1000;
            let p = expected(style, Position::LowerLeft, &LocalTime::from_unix_ms(t));
            (t, agreement(luma, &p, 1).1)
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    eprintln!("clock candidates (local ms, worst cell): {scored:?}");
    assert!(
        scored[1].1 < scored[0].1 - 0.05,
        "one second matches, not two: {scored:?}"
    );
    scored[0]
}

#[test]
fn osds_through_both_services_are_in_the_picture_and_persist() {
    let state = support::temp_state();
    let (nvt, port) = start(state.path());

    // Created through Media2: a Custom position (the text's upper-left corner) at 64 pt.
    let plain = style(Content::Plain("OSD 42".into()), 64);
    let custom = Position::Custom { x: -0.5, y: 0.5 };
    let created = ok(
        port,
        MEDIA2,
        &tr2(
            "CreateOSD",
            &osd_xml(
                "tr2",
                "ignored",
                r#"<tt:Type>Custom</tt:Type><tt:Pos x="-0.5" y="0.5"/>"#,
                &plain_xml("OSD 42", 64),
            ),
        ),
    );
    let plain_token = text(&created, TR2, "OSDToken").to_owned();
    assert_eq!(plain_token, "osd_0");

    // Read through Media 1, as it was set.
    let osds = media1_osds(port);
    assert_eq!(osds.len(), 1);
    let o = by_token(&osds, &plain_token);
    assert_eq!(text(o, TT, "VideoSourceConfigurationToken"), "vsc0");
    let pos = o.child(TT, "Position").unwrap();
    assert_eq!(text(pos, TT, "Type"), "Custom");
    let v = pos.child(TT, "Pos").unwrap();
    assert_eq!((v.attr("x"), v.attr("y")), (Some("-0.5"), Some("0.5")));
    let ts = o.child(TT, "TextString").unwrap();
    assert_eq!(
        (
            text(ts, TT, "Type"),
            text(ts, TT, "PlainText"),
            text(ts, TT, "FontSize")
        ),
        ("Plain", "OSD 42", "64")
    );
    let one = ok(
        port,
        soap::MEDIA,
        &trt(
            "GetOSD",
            &format!("<trt:OSDToken>{plain_token}</trt:OSDToken>"),
        ),
    );
    assert_eq!(one.child(TRT, "OSD").unwrap().attr("token"), Some("osd_0"));

    // In the picture: the main stream's snapshot at full size, the sub stream's at half.
    let want = expected(&plain, custom, &LocalTime::from_unix_ms(0));
    assert_eq!((want.x, want.y, want.scale), (320, 180, 8));
    let main = snapshot(port, "main");
    assert_eq!((main.width, main.height), (1280, 720));
    let (all, worst) = agreement(&main, &want, 1);
    eprintln!("main snapshot: {all:.3} (worst cell {worst:.3})");
    assert!(
        all > 0.97 && worst > 0.9,
        "main: {all:.3} (worst cell {worst:.3})"
    );
    let sub = snapshot(port, "sub");
    assert_eq!((sub.width, sub.height), (640, 360));
    let (all, worst) = agreement(&sub, &want, 2);
    eprintln!("sub snapshot: {all:.3} (worst cell {worst:.3})");
    assert!(
        all > 0.95 && worst > 0.85,
        "sub: {all:.3} (worst cell {worst:.3})"
    );
    // Elsewhere the picture does not show it (the check can fail).
    let moved = Placed {
        x: 640,
        y: 400,
        ..want.clone()
    };
    let elsewhere = agreement(&main, &moved, 1).0;
    eprintln!("where there is no text: {elsewhere:.3}");
    assert!(elsewhere < 0.8, "the check tells text from no text");

    // Changed through Media 1, read back through Media2.
    ok(
        port,
        soap::MEDIA,
        &trt(
            "SetOSD",
            &osd_xml(
                "trt",
                &plain_token,
                "<tt:Type>UpperRight</tt:Type>",
                &plain_xml("BACK 7", 64),
            ),
        ),
    );
    let r = ok(
        port,
        MEDIA2,
        &tr2(
            "GetOSDs",
            &format!("<tr2:OSDToken>{plain_token}</tr2:OSDToken>"),
        ),
    );
    let o = r.child(TR2, "OSDs").expect("one OSD");
    assert_eq!(
        text(o.child(TT, "Position").unwrap(), TT, "Type"),
        "UpperRight"
    );
    assert_eq!(
        text(o.child(TT, "TextString").unwrap(), TT, "PlainText"),
        "BACK 7"
    );
    let back = style(Content::Plain("BACK 7".into()), 64);
    let want = expected(&back, Position::UpperRight, &LocalTime::from_unix_ms(0));
    let (all, worst) = agreement(&snapshot(port, "main"), &want, 1);
    eprintln!("after SetOSD: {all:.3} (worst cell {worst:.3})");
    assert!(
        all > 0.97 && worst > 0.9,
        "after SetOSD: {all:.3} ({worst:.3})"
    );

    // A DateAndTime OSD shows the camera clock in its zone: the clock set 6 hours ahead in
    // CET (1 hour east), so the text is 7 hours ahead of the host's UTC.
    let offset_ms = 6 * 3_600_000;
    set_clock(port, soap::now_ms() + offset_ms, "CET-1");
    let clock = style(
        Content::DateAndTime {
            date: "yyyy-MM-dd".into(),
            time: "HH:mm:ss".into(),
        },
        32,
    );
    let created = ok(
        port,
        MEDIA2,
        &tr2(
            "CreateOSD",
            &osd_xml(
                "tr2",
                "",
                "<tt:Type>LowerLeft</tt:Type>",
                &format!(
                    "<tt:Type>DateAndTime</tt:Type><tt:DateFormat>yyyy-MM-dd</tt:DateFormat><tt:TimeFormat>HH:mm:ss</tt:TimeFormat><tt:FontSize>32</tt:FontSize>{WHITE_ON_BLACK}"
                ),
            ),
        ),
    );
    let clock_token = text(&created, TR2, "OSDToken").to_owned();
    std::thread::sleep(Duration::from_millis(1200));
    let local = offset_ms + 3_600_000;
    let at = soap::now_ms();
    let first = best_time(&snapshot(port, "main"), &clock, at, local);
    eprintln!("clock, first snapshot: {first:?}");
    assert!(
        first.1 > 0.9,
        "the clock OSD shows the camera's local time: {first:?}"
    );
    std::thread::sleep(Duration::from_millis(1500));
    let at2 = soap::now_ms();
    let second = best_time(&snapshot(port, "main"), &clock, at2, local);
    eprintln!("clock, 1.5 s later: {second:?}");
    assert!(second.1 > 0.9, "{second:?}");
    assert!(
        second.0 > first.0,
        "the clock moved on: {} then {}",
        LocalTime::from_unix_ms(first.0).format("HH:mm:ss"),
        LocalTime::from_unix_ms(second.0).format("HH:mm:ss")
    );
    // The text is the one nvt renders for that instant: the date part too.
    let t = LocalTime::from_unix_ms(second.0);
    assert_eq!(
        t.format("yyyy-MM-dd"),
        LocalTime::from_unix_ms(at2 + local).format("yyyy-MM-dd")
    );

    // Persisted: both after a restart, and both shown.
    stop(nvt);
    let (nvt, port) = start(state.path());
    let osds = media1_osds(port);
    assert_eq!(osds.len(), 2, "{osds:?}");
    by_token(&osds, &clock_token);
    let main = snapshot(port, "main");
    let (all, worst) = agreement(&main, &want, 1);
    eprintln!("after restart: {all:.3} (worst cell {worst:.3})");
    assert!(
        all > 0.97 && worst > 0.9,
        "after restart: {all:.3} ({worst:.3})"
    );
    let after = best_time(&main, &clock, soap::now_ms(), local);
    assert!(after.1 > 0.9, "the clock after a restart: {after:?}");

    // Deleted: gone from both services and from the picture.
    ok(
        port,
        MEDIA2,
        &tr2(
            "DeleteOSD",
            &format!("<tr2:OSDToken>{plain_token}</tr2:OSDToken>"),
        ),
    );
    assert_eq!(media1_osds(port).len(), 1);
    let (all, _) = agreement(&snapshot(port, "main"), &want, 1);
    eprintln!("after DeleteOSD: {all:.3}");
    assert!(
        all < 0.8,
        "the deleted OSD is still in the picture: {all:.3}"
    );
    ok(
        port,
        soap::MEDIA,
        &trt(
            "DeleteOSD",
            &format!("<trt:OSDToken>{clock_token}</trt:OSDToken>"),
        ),
    );
    assert!(media1_osds(port).is_empty());
    stop(nvt);
}

#[test]
fn options_faults_and_limits() {
    let state = support::temp_state();
    let (nvt, port) = start(state.path());

    // The options: Text only, the five positions, the formats, 8 regions of the simulator.
    let r = ok(
        port,
        MEDIA2,
        &tr2(
            "GetOSDOptions",
            "<tr2:ConfigurationToken>vsc0</tr2:ConfigurationToken>",
        ),
    );
    let o = r.child(TR2, "OSDOptions").unwrap();
    assert_eq!(
        o.child(TT, "MaximumNumberOfOSDs").unwrap().attr("Total"),
        Some("8")
    );
    let types: Vec<&str> = o
        .children_named(TT, "Type")
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(types, ["Text"]);
    let positions: Vec<&str> = (o.children_named(TT, "PositionOption"))
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(
        positions,
        [
            "UpperLeft",
            "UpperRight",
            "LowerLeft",
            "LowerRight",
            "Custom"
        ]
    );
    let t = o.child(TT, "TextOption").unwrap();
    let dates: Vec<&str> = t
        .children_named(TT, "DateFormat")
        .map(|t| t.text.as_str())
        .collect();
    assert!(
        dates.contains(&"yyyy-MM-dd") && dates.contains(&"MM/dd/yyyy"),
        "{dates:?}"
    );
    let times: Vec<&str> = t
        .children_named(TT, "TimeFormat")
        .map(|t| t.text.as_str())
        .collect();
    assert!(
        times.contains(&"HH:mm:ss") && times.contains(&"hh:mm:ss tt"),
        "{times:?}"
    );
    let fs = t.child(TT, "FontSizeRange").unwrap();
    assert_eq!((text(fs, TT, "Min"), text(fs, TT, "Max")), ("8", "64"));
    // Media 1 gives the same options.
    let r1 = ok(
        port,
        soap::MEDIA,
        &trt(
            "GetOSDOptions",
            "<trt:ConfigurationToken>vsc0</trt:ConfigurationToken>",
        ),
    );
    assert!(r1.child(TRT, "OSDOptions").is_some(), "{r1:?}");

    // Unknown tokens: NoConfig.
    let nocfg = ["InvalidArgVal", "NoConfig"];
    fault(
        port,
        MEDIA2,
        &tr2(
            "GetOSDOptions",
            "<tr2:ConfigurationToken>vsc9</tr2:ConfigurationToken>",
        ),
        "Sender",
        &nocfg,
    );
    fault(
        port,
        MEDIA2,
        &tr2("GetOSDs", "<tr2:OSDToken>osd_9</tr2:OSDToken>"),
        "Sender",
        &nocfg,
    );
    fault(
        port,
        MEDIA2,
        &tr2(
            "GetOSDs",
            "<tr2:ConfigurationToken>vsc9</tr2:ConfigurationToken>",
        ),
        "Sender",
        &nocfg,
    );
    fault(
        port,
        MEDIA2,
        &tr2("DeleteOSD", "<tr2:OSDToken>osd_9</tr2:OSDToken>"),
        "Sender",
        &nocfg,
    );
    fault(
        port,
        MEDIA2,
        &tr2(
            "SetOSD",
            &osd_xml(
                "tr2",
                "osd_9",
                "<tt:Type>UpperLeft</tt:Type>",
                &plain_xml("x", 16),
            ),
        ),
        "Sender",
        &nocfg,
    );
    fault(
        port,
        soap::MEDIA,
        &trt("GetOSD", "<trt:OSDToken>osd_9</trt:OSDToken>"),
        "Sender",
        &nocfg,
    );
    fault(
        port,
        soap::MEDIA,
        &trt(
            "GetOSDs",
            "<trt:ConfigurationToken>vsc9</trt:ConfigurationToken>",
        ),
        "Sender",
        &nocfg,
    );
    let other_source = osd_xml(
        "tr2",
        "",
        "<tt:Type>UpperLeft</tt:Type>",
        &plain_xml("x", 16),
    )
    .replace(">vsc0<", ">vsc9<");
    fault(
        port,
        MEDIA2,
        &tr2("CreateOSD", &other_source),
        "Sender",
        &nocfg,
    );

    // What is not offered: ConfigModify (Media2: Receiver; Media 1: Sender).
    let image = format!(
        r#"<tr2:OSD token="" xmlns:tt="{TT}"><tt:VideoSourceConfigurationToken>vsc0</tt:VideoSourceConfigurationToken><tt:Type>Image</tt:Type><tt:Position><tt:Type>UpperLeft</tt:Type></tt:Position><tt:Image><tt:ImgPath>logo.png</tt:ImgPath></tt:Image></tr2:OSD>"#
    );
    let modify = ["InvalidArgVal", "ConfigModify"];
    fault(port, MEDIA2, &tr2("CreateOSD", &image), "Receiver", &modify);
    let huge = osd_xml(
        "trt",
        "",
        "<tt:Type>UpperLeft</tt:Type>",
        &plain_xml("x", 200),
    );
    fault(
        port,
        soap::MEDIA,
        &trt("CreateOSD", &huge),
        "Sender",
        &modify,
    );
    let outside = osd_xml(
        "tr2",
        "",
        r#"<tt:Type>Custom</tt:Type><tt:Pos x="1.5" y="0"/>"#,
        &plain_xml("x", 16),
    );
    fault(
        port,
        MEDIA2,
        &tr2("CreateOSD", &outside),
        "Receiver",
        &modify,
    );
    let long = osd_xml(
        "tr2",
        "",
        "<tt:Type>UpperLeft</tt:Type>",
        &plain_xml(&"x".repeat(129), 16),
    );
    fault(port, MEDIA2, &tr2("CreateOSD", &long), "Receiver", &modify);
    assert!(
        media1_osds(port).is_empty(),
        "nothing was created by a refusal"
    );

    // Any Unicode is taken (characters the font lacks show as a box); 8 OSDs, then MaxOSDs.
    for n in 0..8 {
        let t = format!("#{n} 漢字 😀 Ωμέγα");
        let c = osd_xml(
            "tr2",
            "",
            "<tt:Type>UpperLeft</tt:Type>",
            &plain_xml(&t, 16),
        );
        let r = ok(port, MEDIA2, &tr2("CreateOSD", &c));
        assert_eq!(text(&r, TR2, "OSDToken"), format!("osd_{n}"));
    }
    let c = osd_xml(
        "tr2",
        "",
        "<tt:Type>UpperLeft</tt:Type>",
        &plain_xml("nine", 16),
    );
    fault(
        port,
        MEDIA2,
        &tr2("CreateOSD", &c),
        "Receiver",
        &["Action", "MaxOSDs"],
    );
    let osds = media1_osds(port);
    let ts = by_token(&osds, "osd_3").child(TT, "TextString").unwrap();
    assert_eq!(text(ts, TT, "PlainText"), "#3 漢字 😀 Ωμέγα");
    stop(nvt);
}

#[test]
fn access_classes_of_the_osd_operations() {
    let state = support::temp_state();
    let (nvt, port) = start(state.path());
    ok(
        port,
        soap::DEVICE,
        "<tds:CreateUsers><tds:User><tt:Username>viewer</tt:Username><tt:Password>viewer-pass</tt:Password><tt:UserLevel>User</tt:UserLevel></tds:User></tds:CreateUsers>",
    );
    let viewer = Some(("viewer", "viewer-pass"));
    // READ_MEDIA: a User reads.
    for (path, body) in [
        (MEDIA2, tr2("GetOSDs", "")),
        (
            MEDIA2,
            tr2(
                "GetOSDOptions",
                "<tr2:ConfigurationToken>vsc0</tr2:ConfigurationToken>",
            ),
        ),
        (soap::MEDIA, trt("GetOSDs", "")),
        (
            soap::MEDIA,
            trt(
                "GetOSDOptions",
                "<trt:ConfigurationToken>vsc0</trt:ConfigurationToken>",
            ),
        ),
    ] {
        ok_as(port, path, viewer, &body);
    }
    // ACTUATE: a User may not change; nothing is created.
    let c = osd_xml(
        "tr2",
        "",
        "<tt:Type>UpperLeft</tt:Type>",
        &plain_xml("x", 16),
    );
    let c1 = osd_xml(
        "trt",
        "",
        "<tt:Type>UpperLeft</tt:Type>",
        &plain_xml("x", 16),
    );
    for (path, body) in [
        (MEDIA2, tr2("CreateOSD", &c)),
        (
            MEDIA2,
            tr2("DeleteOSD", "<tr2:OSDToken>osd_0</tr2:OSDToken>"),
        ),
        (soap::MEDIA, trt("CreateOSD", &c1)),
        (soap::MEDIA, trt("SetOSD", &c1)),
    ] {
        let r = soap::call(port, path, viewer, &body);
        assert!(
            r.status == 400 && r.raw.contains("ter:NotAuthorized"),
            "viewer {body}: {}",
            r.raw
        );
    }
    assert!(media1_osds(port).is_empty());
    stop(nvt);
}

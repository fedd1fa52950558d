//! The playlists as text (RFC 8216bis, the Low-Latency HLS revision), from the segmenter's
//! window. Pure functions: the shell decides when to answer.
//!
//! Relative URIs, resolved against the media playlist's own URI:
//! `init-<generation>.mp4`, `seg-<msn>.m4s`, `part-<msn>.<index>.m4s`.

use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use super::segmenter::Segmenter;
use crate::xml::xsd::utc_from_unix_ms;

/// Playlist version: fMP4 (`EXT-X-MAP` in a non-I-frame playlist) needs 6 (s4.4.4.5).
pub(crate) const VERSION: u32 = 6;
/// Parts are listed for the segments within this many target durations of the live edge
/// (older `EXT-X-PART` tags "SHOULD be removed", s4.4.4.9).
pub(crate) const PART_LIST_TARGETS: f64 = 3.0;

/// One entry of a multivariant playlist.
#[derive(Clone, Debug)]
pub(crate) struct Variant {
    /// URI of the media playlist, relative to the multivariant one.
    pub(crate) uri: String,
    /// Peak bits per second.
    pub(crate) bandwidth: u64,
    /// RFC 6381 codec string, when the stream's SPS is known.
    pub(crate) codecs: Option<String>,
    pub(crate) resolution: Option<(u32, u32)>,
    pub(crate) frame_rate: Option<f64>,
}

/// A multivariant playlist (s4.4.6).
pub(crate) fn multivariant(variants: &[Variant]) -> String {
    let mut out = format!("#EXTM3U\n#EXT-X-VERSION:{VERSION}\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for v in variants {
        let _ = write!(out, "#EXT-X-STREAM-INF:BANDWIDTH={}", v.bandwidth);
        if let Some(c) = &v.codecs {
            let _ = write!(out, ",CODECS=\"{c}\"");
        }
        if let Some((w, h)) = v.resolution {
            let _ = write!(out, ",RESOLUTION={w}x{h}");
        }
        if let Some(f) = v.frame_rate {
            let _ = write!(out, ",FRAME-RATE={f:.3}");
        }
        let _ = write!(out, "\n{}\n", v.uri);
    }
    out
}

/// The media playlist of the segmenter's window (s4.4.3, s4.4.4, s4.4.5), with partial
/// segments, blocking reload support and a preload hint for the next part.
pub(crate) fn media(seg: &Segmenter) -> String {
    let cfg = seg.config();
    let part_target = cfg.part_target.as_secs_f64();
    let target = seg.target_duration();
    let mut out = String::with_capacity(4096);
    let first_msn = seg.segments().front().map_or(seg.next_msn(), |s| s.msn);
    let _ = write!(
        out,
        "#EXTM3U\n#EXT-X-VERSION:{VERSION}\n#EXT-X-TARGETDURATION:{target}\n\
         #EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK={:.3}\n\
         #EXT-X-PART-INF:PART-TARGET={part_target:.3}\n\
         #EXT-X-MEDIA-SEQUENCE:{first_msn}\n#EXT-X-DISCONTINUITY-SEQUENCE:{}\n",
        3.0 * part_target,
        seg.discontinuity_sequence(),
    );
    // Which segments still list their parts: those ending within PART_LIST_TARGETS target
    // durations of the live edge.
    let mut newer = 0.0;
    let mut list_parts = vec![false; seg.segments().len()];
    for (i, s) in seg.segments().iter().enumerate().rev() {
        list_parts[i] = newer < PART_LIST_TARGETS * f64::from(target);
        newer += s.duration();
    }
    let mut generation = None;
    for (i, s) in seg.segments().iter().enumerate() {
        if s.parts.is_empty() {
            // Just opened at an IDR: nothing to list yet but the preload hint below.
            continue;
        }
        if s.discontinuity && i > 0 {
            out.push_str("#EXT-X-DISCONTINUITY\n");
        }
        if generation != Some(s.generation) {
            let _ = writeln!(out, "#EXT-X-MAP:URI=\"init-{}.mp4\"", s.generation);
            generation = Some(s.generation);
        }
        let _ = writeln!(
            out,
            "#EXT-X-PROGRAM-DATE-TIME:{}",
            program_date_time(s.program_date_time)
        );
        if list_parts[i] {
            for (k, p) in s.parts.iter().enumerate() {
                let _ = write!(
                    out,
                    "#EXT-X-PART:DURATION={:.5},URI=\"part-{}.{k}.m4s\"",
                    p.duration, s.msn
                );
                out.push_str(if p.independent {
                    ",INDEPENDENT=YES\n"
                } else {
                    "\n"
                });
            }
        }
        if s.complete {
            let _ = write!(out, "#EXTINF:{:.5},\nseg-{}.m4s\n", s.duration(), s.msn);
        }
    }
    if let Some((msn, k)) = seg.next_part() {
        let _ = writeln!(
            out,
            "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part-{msn}.{k}.m4s\""
        );
    }
    out
}

/// ISO 8601 UTC with milliseconds, as `EXT-X-PROGRAM-DATE-TIME` wants (s4.4.4.6).
pub(crate) fn program_date_time(t: SystemTime) -> String {
    let ms = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    };
    let u = utc_from_unix_ms(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        u.year,
        u.month,
        u.day,
        u.hour,
        u.minute,
        u.second,
        ms.rem_euclid(1000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::Frame;
    use crate::hls::segmenter::SegmenterConfig;
    use bytes::Bytes;
    use std::sync::Arc;
    use std::time::Duration;

    const SPS: &[u8] = &[
        0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00,
        0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0f, 0x16, 0x2e, 0x48,
    ];

    fn frame(i: u64) -> Arc<Frame> {
        let key = i.is_multiple_of(50);
        let mut nals = vec![Bytes::from(vec![if key { 0x65 } else { 0x41 }; 50])];
        if key {
            nals.insert(0, Bytes::from_static(&[0x68, 0xcb, 0x83, 0xcb, 0x20]));
            nals.insert(0, Bytes::from_static(SPS));
        }
        Arc::new(Frame {
            channel: 0,
            seq: i as u32,
            pts: Duration::from_millis(40 * i),
            wallclock: UNIX_EPOCH
                + Duration::from_secs(1_700_000_000)
                + Duration::from_millis(40 * i),
            keyframe: key,
            nals,
        })
    }

    fn segmenter() -> Segmenter {
        Segmenter::new(
            SegmenterConfig {
                part_target: Duration::from_millis(200),
                window: 4,
                max_segment: Duration::from_secs(10),
                min_target_duration: 2,
            },
            7,
            0,
        )
    }

    #[test]
    fn segment_opened_at_an_idr_shows_only_as_the_hint() {
        let mut s = segmenter();
        for i in 0..=250 {
            s.push(frame(i));
        }
        let text = media(&s);
        assert!(
            text.ends_with("seg-11.m4s\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part-12.0.m4s\"\n"),
            "{text}"
        );
    }

    #[test]
    fn media_playlist_lists_segments_parts_and_hint() {
        let mut s = segmenter();
        for i in 0..(50 * 5 + 12) {
            s.push(frame(i));
        }
        let text = media(&s);
        assert!(text.starts_with("#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n"));
        assert!(text.contains("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.600\n"));
        assert!(text.contains("#EXT-X-PART-INF:PART-TARGET=0.200\n"));
        assert!(text.contains("#EXT-X-MEDIA-SEQUENCE:8\n"), "{text}");
        assert!(text.contains("#EXT-X-MAP:URI=\"init-0.mp4\"\n"));
        assert!(text.contains("#EXTINF:2.00000,\nseg-11.m4s\n"));
        assert!(!text.contains("seg-12.m4s"), "open segment has no EXTINF");
        assert!(
            text.contains("#EXT-X-PART:DURATION=0.20000,URI=\"part-12.0.m4s\",INDEPENDENT=YES\n")
        );
        assert!(text.contains("URI=\"part-12.1.m4s\"\n"));
        // Parts of old segments are not listed.
        assert!(!text.contains("part-8."));
        assert!(text.ends_with("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part-12.2.m4s\"\n"));
        // Segment 8 starts at frame 50: 1_700_000_002 s.
        assert!(
            text.contains("#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:22.000Z\n"),
            "{text}"
        );
    }

    #[test]
    fn multivariant_lists_variants() {
        let text = multivariant(&[Variant {
            uri: "stream.m3u8".into(),
            bandwidth: 2_000_000,
            codecs: Some("avc1.4d401f".into()),
            resolution: Some((1280, 720)),
            frame_rate: Some(25.0),
        }]);
        assert_eq!(
            text,
            "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n\
             #EXT-X-STREAM-INF:BANDWIDTH=2000000,CODECS=\"avc1.4d401f\",RESOLUTION=1280x720,FRAME-RATE=25.000\n\
             stream.m3u8\n"
        );
    }

    #[test]
    fn program_date_time_has_milliseconds() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(program_date_time(t), "2023-11-14T22:13:20.123Z");
    }
}

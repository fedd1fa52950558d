//! Frames in, a bounded window of CMAF segments and LL-HLS partial segments out. Sans-IO:
//! the live shell (`hls::live`) feeds frames and reads the window under a lock.
//!
//! - A segment starts at an IDR (RFC 8216bis s6.2.2: each segment of an
//!   `EXT-X-INDEPENDENT-SEGMENTS` stream decodes on its own), so segments are one GOP long.
//!   A GOP longer than [`SegmenterConfig::max_segment`] is cut anyway, to bound memory.
//! - A segment is a run of partial segments (each one `moof`+`mdat` CMAF chunk); the full
//!   segment is their concatenation, so parts and segments share the same bytes.
//! - A part closes when the next frame would take it past the part target, so every part
//!   is at most `PART-TARGET` long (RFC 8216bis s4.4.4.9) unless one frame is longer.
//! - Sample durations are capture-time differences (the frame's own duration is known when
//!   the next frame arrives: one frame of delay).
//! - Only [`SegmenterConfig::window`] complete segments are kept, plus the open one.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};

use super::fmp4::{self, Sample, TIMESCALE, TrackParams};
use crate::frame::{Frame, nal_type};

/// Segmenter parameters.
#[derive(Clone, Copy, Debug)]
pub struct SegmenterConfig {
    /// `EXT-X-PART-INF:PART-TARGET`.
    pub part_target: Duration,
    /// Complete segments kept (and listed) behind the open one.
    pub window: usize,
    /// A segment is cut at a frame boundary past this even without an IDR.
    pub max_segment: Duration,
    /// Floor of `EXT-X-TARGETDURATION` (the expected GOP duration, rounded up).
    pub min_target_duration: u32,
}

/// A partial segment: one fragment.
#[derive(Clone, Debug)]
pub struct Part {
    pub data: Bytes,
    /// Seconds.
    pub duration: f64,
    /// Starts with an IDR.
    pub independent: bool,
}

/// A media segment, complete or still growing (the last one).
#[derive(Clone, Debug)]
pub struct Segment {
    /// Media sequence number.
    pub msn: u64,
    /// Which initialization segment it needs.
    pub generation: u32,
    /// Preceded by `EXT-X-DISCONTINUITY` (new parameters, or frames lost before it).
    pub discontinuity: bool,
    /// Capture wall-clock time of its first frame (`EXT-X-PROGRAM-DATE-TIME`).
    pub program_date_time: SystemTime,
    pub parts: Vec<Part>,
    pub complete: bool,
}

impl Segment {
    /// Seconds.
    pub fn duration(&self) -> f64 {
        self.parts.iter().map(|p| p.duration).sum()
    }

    pub fn bytes(&self) -> usize {
        self.parts.iter().map(|p| p.data.len()).sum()
    }

    /// The whole segment: its parts back to back.
    pub fn data(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(self.bytes());
        for p in &self.parts {
            out.extend_from_slice(&p.data);
        }
        out.freeze()
    }
}

/// The state of one profile's HLS output.
pub struct Segmenter {
    cfg: SegmenterConfig,
    params: Option<TrackParams>,
    generation: u32,
    /// Initialization segments still referenced by the window, by generation.
    inits: Vec<(u32, Bytes)>,
    segments: VecDeque<Segment>,
    next_msn: u64,
    discontinuity_seq: u64,
    fragment_seq: u32,
    /// The newest frame, waiting for the next one to learn its duration.
    pending: Option<Arc<Frame>>,
    part: Vec<Sample>,
    part_ticks: u64,
    last_duration: u32,
    waiting_idr: bool,
    discontinuity_next: bool,
    target_duration: u32,
}

fn ticks(d: Duration) -> u64 {
    (d.as_nanos() * u128::from(TIMESCALE) / 1_000_000_000) as u64
}

impl Segmenter {
    /// A segmenter whose first segment gets sequence number `first_msn` and whose
    /// initialization segments are numbered from `first_generation`.
    pub fn new(cfg: SegmenterConfig, first_msn: u64, first_generation: u32) -> Self {
        Segmenter {
            cfg,
            params: None,
            generation: first_generation,
            inits: Vec::new(),
            segments: VecDeque::new(),
            next_msn: first_msn,
            discontinuity_seq: 0,
            fragment_seq: 1,
            pending: None,
            part: Vec::new(),
            part_ticks: 0,
            last_duration: TIMESCALE / 25,
            waiting_idr: true,
            discontinuity_next: false,
            target_duration: cfg.min_target_duration.max(1),
        }
    }

    pub fn config(&self) -> &SegmenterConfig {
        &self.cfg
    }

    /// Takes the next frame. Returns true when a new part (and so a new playlist) exists.
    pub fn push(&mut self, frame: Arc<Frame>) -> bool {
        let mut changed = false;
        if let Some(prev) = self.pending.take() {
            let dur = ticks(frame.pts).saturating_sub(ticks(prev.pts));
            // A clock step or a stalled encoder: keep the timeline plausible.
            let dur = if dur == 0 || dur > u64::from(TIMESCALE) * 10 {
                self.last_duration
            } else {
                dur as u32
            };
            self.last_duration = dur;
            self.part.push(Sample {
                frame: prev,
                duration: dur,
            });
            self.part_ticks += u64::from(dur);
            let target = ticks(self.cfg.part_target);
            if !frame.keyframe && self.part_ticks + u64::from(dur) > target {
                changed |= self.close_part();
            }
        }
        if frame.keyframe {
            changed |= self.close_part();
            self.close_segment();
            if !self.take_params(&frame) {
                self.waiting_idr = true;
                return changed;
            }
            self.open_segment(frame.wallclock);
            self.waiting_idr = false;
        } else if self.waiting_idr {
            return changed;
        } else if self
            .open()
            .is_some_and(|s| s.duration() >= self.cfg.max_segment.as_secs_f64())
            && self.part.is_empty()
        {
            self.close_segment();
            self.open_segment(frame.wallclock);
        }
        self.pending = Some(frame);
        changed
    }

    /// The consumer missed frames: close what we have and wait for the next IDR; the next
    /// segment is marked as a discontinuity.
    pub(crate) fn lost_frames(&mut self) {
        if let Some(prev) = self.pending.take() {
            self.part.push(Sample {
                frame: prev,
                duration: self.last_duration,
            });
            self.part_ticks += u64::from(self.last_duration);
        }
        self.close_part();
        self.close_segment();
        self.waiting_idr = true;
        self.discontinuity_next = true;
    }

    /// Uses the IDR's SPS/PPS (or the previous ones); a change means a new initialization
    /// segment. False if there are none usable.
    fn take_params(&mut self, frame: &Frame) -> bool {
        let (sps, pps) = match (frame.nal(nal_type::SPS), frame.nal(nal_type::PPS)) {
            (Some(s), Some(p)) => (s.clone(), p.clone()),
            _ => return self.params.is_some(),
        };
        if self
            .params
            .as_ref()
            .is_some_and(|p| p.sps == sps && p.pps == pps)
        {
            return true;
        }
        match TrackParams::new(sps, pps) {
            Ok(p) => {
                if self.params.is_some() {
                    self.generation += 1;
                    self.discontinuity_next = true;
                }
                self.inits.push((self.generation, fmp4::init_segment(&p)));
                self.params = Some(p);
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "HLS: IDR with an unusable SPS skipped");
                self.params.is_some()
            }
        }
    }

    fn open(&self) -> Option<&Segment> {
        self.segments.back().filter(|s| !s.complete)
    }

    fn open_segment(&mut self, at: SystemTime) {
        self.segments.push_back(Segment {
            msn: self.next_msn,
            generation: self.generation,
            discontinuity: std::mem::take(&mut self.discontinuity_next),
            program_date_time: at,
            parts: Vec::new(),
            complete: false,
        });
        self.next_msn += 1;
    }

    fn close_part(&mut self) -> bool {
        if self.part.is_empty() {
            return false;
        }
        let samples = std::mem::take(&mut self.part);
        let part_ticks = std::mem::take(&mut self.part_ticks);
        let Some(seg) = self.segments.back_mut().filter(|s| !s.complete) else {
            return false;
        };
        let decode_time = ticks(samples[0].frame.pts);
        let data = fmp4::fragment(self.fragment_seq, decode_time, &samples);
        self.fragment_seq = self.fragment_seq.wrapping_add(1);
        seg.parts.push(Part {
            data,
            duration: part_ticks as f64 / f64::from(TIMESCALE),
            independent: samples[0].frame.keyframe,
        });
        true
    }

    fn close_segment(&mut self) {
        let Some(seg) = self.segments.back_mut().filter(|s| !s.complete) else {
            return;
        };
        if seg.parts.is_empty() {
            // Nothing in it (e.g. frames lost right after it opened): forget it.
            let seg = self.segments.pop_back().expect("back exists");
            self.next_msn = seg.msn;
            self.discontinuity_next |= seg.discontinuity;
            return;
        }
        seg.complete = true;
        // EXTINF rounded to the nearest integer must not exceed the target (s4.4.3.1).
        self.target_duration = self.target_duration.max(seg.duration().round() as u32);
        while self.segments.iter().filter(|s| s.complete).count() > self.cfg.window {
            let gone = self.segments.pop_front().expect("non-empty");
            if gone.discontinuity {
                self.discontinuity_seq += 1;
            }
        }
        let oldest = self
            .segments
            .front()
            .map_or(self.generation, |s| s.generation);
        self.inits.retain(|(g, _)| *g >= oldest);
    }

    /// Every segment in the window, oldest first (the last may be open).
    pub fn segments(&self) -> &VecDeque<Segment> {
        &self.segments
    }

    pub fn segment(&self, msn: u64) -> Option<&Segment> {
        self.segments.iter().find(|s| s.msn == msn)
    }

    pub fn init(&self, generation: u32) -> Option<&Bytes> {
        self.inits
            .iter()
            .find(|(g, _)| *g == generation)
            .map(|(_, b)| b)
    }

    pub fn params(&self) -> Option<&TrackParams> {
        self.params.as_ref()
    }

    pub(crate) fn target_duration(&self) -> u32 {
        self.target_duration
    }

    pub(crate) fn discontinuity_sequence(&self) -> u64 {
        self.discontinuity_seq
    }

    /// Sequence number the next segment will get.
    pub fn next_msn(&self) -> u64 {
        self.next_msn
    }

    /// Generation of the current initialization segment.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Bytes of media held (parts and initialization segments).
    pub fn bytes(&self) -> usize {
        self.segments.iter().map(Segment::bytes).sum::<usize>()
            + self.inits.iter().map(|(_, b)| b.len()).sum::<usize>()
    }

    /// True when part `part` of segment `msn` (or, without `part`, the whole segment) is in
    /// the window or already behind it: a blocking playlist request for it can be answered
    /// (RFC 8216bis s6.2.5.2). A part index past the end of a completed segment is
    /// satisfied by the segment after it.
    pub fn has(&self, msn: u64, part: Option<usize>) -> bool {
        let Some(last) = self.segments.back() else {
            return false;
        };
        if msn < last.msn {
            return true;
        }
        if msn > last.msn {
            return false;
        }
        match part {
            None => last.complete,
            Some(p) => p < last.parts.len() || last.complete,
        }
    }

    /// True when there is at least one complete segment.
    pub(crate) fn has_complete_segment(&self) -> bool {
        self.segments.iter().any(|s| s.complete)
    }

    /// Position of the next part to appear (for `EXT-X-PRELOAD-HINT`).
    pub(crate) fn next_part(&self) -> Option<(u64, usize)> {
        self.open().map(|s| (s.msn, s.parts.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const SPS: &[u8] = &[
        0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00,
        0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0f, 0x16, 0x2e, 0x48,
    ];
    const PPS: &[u8] = &[0x68, 0xcb, 0x83, 0xcb, 0x20];

    fn frame(i: u64, key: bool) -> Arc<Frame> {
        let mut nals = Vec::new();
        if key {
            nals.push(Bytes::from_static(SPS));
            nals.push(Bytes::from_static(PPS));
            nals.push(Bytes::from(vec![0x65; 1000]));
        } else {
            nals.push(Bytes::from(vec![0x41; 100]));
        }
        Arc::new(Frame {
            channel: 0,
            seq: i as u32,
            pts: Duration::from_millis(40 * i),
            wallclock: SystemTime::UNIX_EPOCH + Duration::from_millis(40 * i),
            keyframe: key,
            nals,
        })
    }

    fn cfg() -> SegmenterConfig {
        SegmenterConfig {
            part_target: Duration::from_millis(200),
            window: 3,
            max_segment: Duration::from_secs(10),
            min_target_duration: 2,
        }
    }

    #[test]
    fn segments_start_at_idrs_and_parts_fit_the_target() {
        let mut s = Segmenter::new(cfg(), 100, 0);
        // Starts mid-GOP: frames before the first IDR are skipped.
        for i in 0..10 {
            assert!(!s.push(frame(i, false)));
        }
        for i in 10..(10 + 50 * 6) {
            s.push(frame(i, (i - 10) % 50 == 0));
        }
        let segs = s.segments();
        // Window of 3 complete segments plus the open one.
        assert_eq!(segs.len(), 4);
        assert_eq!(segs[0].msn, 102);
        assert_eq!(s.next_msn(), 106);
        for seg in segs.iter().filter(|s| s.complete) {
            assert!((seg.duration() - 2.0).abs() < 1e-6, "{}", seg.duration());
            assert_eq!(seg.parts.len(), 10);
            assert!(seg.parts[0].independent);
            assert!(seg.parts[1..].iter().all(|p| !p.independent));
            assert!(seg.parts.iter().all(|p| p.duration <= 0.2 + 1e-9));
            assert_eq!(seg.data().len(), seg.bytes());
        }
        assert_eq!(s.target_duration(), 2);
        assert!(s.init(0).is_some());
        assert!(s.has(104, Some(9)));
        assert!(s.has(105, None) == segs[3].complete);
        assert!(!s.has(107, Some(0)));
    }

    #[test]
    fn memory_is_bounded_by_the_window() {
        let mut s = Segmenter::new(cfg(), 0, 0);
        let mut peak = 0;
        for i in 0..5000 {
            s.push(frame(i, i % 50 == 0));
            peak = peak.max(s.bytes());
        }
        // 4 segments of (1 IDR + 49 P frames) plus boxes, at most.
        let per_segment = 1100 + 49 * 110 + 10 * 250;
        assert!(peak < 4 * per_segment + 2000, "{peak}");
        assert_eq!(s.segments().len(), 4);
    }

    #[test]
    fn lost_frames_resume_at_idr_with_discontinuity() {
        let mut s = Segmenter::new(cfg(), 0, 0);
        for i in 0..60 {
            s.push(frame(i, i % 50 == 0));
        }
        s.lost_frames();
        for i in 70..120 {
            s.push(frame(i, i % 50 == 0));
        }
        let segs = s.segments();
        assert!(
            segs.iter()
                .all(|x| x.parts.first().is_none_or(|p| p.independent))
        );
        let last = segs.back().unwrap();
        assert!(last.discontinuity);
        assert_eq!(
            last.program_date_time,
            SystemTime::UNIX_EPOCH + Duration::from_millis(4000)
        );
    }

    #[test]
    fn new_parameters_make_a_new_generation() {
        let mut s = Segmenter::new(cfg(), 0, 5);
        for i in 0..60 {
            s.push(frame(i, i % 50 == 0));
        }
        let other = Arc::new(Frame {
            nals: vec![
                Bytes::from_static(SPS),
                Bytes::from_static(&[0x68, 0xce, 0x3c, 0x80]),
                Bytes::from(vec![0x65; 10]),
            ],
            ..(*frame(60, true)).clone()
        });
        s.push(other);
        s.push(frame(61, false));
        assert_eq!(s.generation(), 6);
        assert!(s.init(5).is_some() && s.init(6).is_some());
        assert!(s.segments().back().unwrap().discontinuity);
    }
}

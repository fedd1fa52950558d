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
//! - Audio (AAC, when the profile has it) rides in the video's parts: a part takes the
//!   audio units captured before its video ends (a second `traf`, `fmp4`), so audio and
//!   video segment boundaries line up to within the audio that is still being encoded when
//!   the part closes (an AAC frame, 21–128 ms); that audio opens the next part, so the
//!   audio track never has a gap. A fresh start (the first IDR, or after lost frames)
//!   drops the audio that ended before its IDR: the audio starts at the segment's IDR
//!   instant, within one AAC frame. Audio waiting for its part is bounded by
//!   [`SegmenterConfig::max_segment`] of units (the longest a part can wait for video).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};

use super::fmp4::{self, AAC_FRAME_SAMPLES, AudioParams, AudioRun, Sample, TIMESCALE, TrackParams};
use crate::frame::{Frame, nal_type};
use crate::rtp::aac::AacConfig;

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

/// The audio units that wait for the video part they fall in.
#[derive(Debug)]
struct AudioQueue {
    params: AudioParams,
    /// Raw AAC units in capture order, with their capture time.
    pending: VecDeque<(Duration, Bytes)>,
    /// Decode time (audio timescale) the next unit continues at; `None`: take the next
    /// unit's own capture time (the start, or after lost audio).
    next_dts: Option<u64>,
    /// Most units held: [`SegmenterConfig::max_segment`] of audio.
    max_pending: usize,
}

impl AudioQueue {
    fn ticks(&self, pts: Duration) -> u64 {
        (pts.as_nanos() * u128::from(self.params.timescale()) / 1_000_000_000) as u64
    }

    fn bytes(&self) -> usize {
        self.pending.iter().map(|(_, b)| b.len()).sum()
    }

    /// Forgets the units that end at or before `at` (a fresh start's IDR).
    fn drop_before(&mut self, at: Duration) {
        let frame = Duration::from_nanos(
            u64::from(AAC_FRAME_SAMPLES) * 1_000_000_000 / u64::from(self.params.timescale()),
        );
        while self
            .pending
            .front()
            .is_some_and(|(pts, _)| *pts + frame <= at)
        {
            self.pending.pop_front();
        }
        self.next_dts = None;
    }

    /// Takes the units captured before `end` (90 kHz ticks) that continue the audio
    /// timeline: (decode time of the first, units). A unit more than a frame off the
    /// timeline (audio lost before it) ends the run; the next part resumes at its time.
    fn take_until(&mut self, end: u64) -> (u64, Vec<Bytes>) {
        let mut units = Vec::new();
        let mut start = 0;
        while let Some((pts, _)) = self.pending.front() {
            if ticks(*pts) >= end {
                break;
            }
            let at = self.ticks(*pts);
            let frame = u64::from(AAC_FRAME_SAMPLES);
            let dts = match self.next_dts {
                // On the timeline (capture jitter within a frame): continue it exactly.
                Some(n) if at.abs_diff(n) <= frame => n,
                // A gap inside the part: the rest goes with the next part, at its own time.
                Some(_) if !units.is_empty() => {
                    self.next_dts = None;
                    break;
                }
                _ => at,
            };
            if units.is_empty() {
                start = dts;
            }
            let (_, unit) = self.pending.pop_front().expect("front exists");
            units.push(unit);
            self.next_dts = Some(dts + frame);
        }
        (start, units)
    }
}

/// The state of one profile's HLS output.
pub struct Segmenter {
    cfg: SegmenterConfig,
    params: Option<TrackParams>,
    /// The audio track, when the stream's audio is AAC.
    audio: Option<AudioQueue>,
    /// The audio track described by the newest initialization segment.
    init_audio: Option<AudioParams>,
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
            audio: None,
            init_audio: None,
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
            if self.waiting_idr
                && let Some(a) = self.audio.as_mut()
            {
                a.drop_before(frame.pts);
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

    /// Sets the stream's audio: an AAC track from the next IDR on (a new initialization
    /// segment), or none (`None`, or a configuration without an AudioSpecificConfig). A
    /// change ends the open segment, as lost frames do.
    pub fn set_audio(&mut self, config: Option<AacConfig>) {
        let params = config.and_then(AudioParams::new);
        if self.audio.as_ref().map(|a| a.params) == params {
            return;
        }
        if self.params.is_some() {
            self.lost_frames();
        }
        let max_pending = params.map_or(0, |p| {
            (self.cfg.max_segment.as_secs_f64() * f64::from(p.timescale())
                / f64::from(AAC_FRAME_SAMPLES)) as usize
                + 1
        });
        self.audio = params.map(|params| AudioQueue {
            params,
            pending: VecDeque::new(),
            next_dts: None,
            max_pending,
        });
    }

    /// Takes the next audio unit (an AAC access unit as `Frame::nals[0]`, its capture time
    /// on the video's clock). Ignored without an AAC track.
    pub fn push_audio(&mut self, frame: &Frame) {
        let Some(a) = self.audio.as_mut() else {
            return;
        };
        let Some(unit) = frame.nals.first().filter(|u| !u.is_empty()) else {
            return;
        };
        if a.pending.back().is_some_and(|(last, _)| *last > frame.pts) {
            // A capture clock that went back: start the audio timeline again.
            a.pending.clear();
            a.next_dts = None;
        }
        a.pending.push_back((frame.pts, unit.clone()));
        while a.pending.len() > a.max_pending {
            a.pending.pop_front();
            a.next_dts = None;
        }
    }

    /// The audio consumer missed units: the audio timeline resumes at the next one's time.
    pub(crate) fn lost_audio(&mut self) {
        if let Some(a) = self.audio.as_mut() {
            a.next_dts = None;
        }
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
        let new = match (frame.nal(nal_type::SPS), frame.nal(nal_type::PPS)) {
            (Some(s), Some(p))
                if !self
                    .params
                    .as_ref()
                    .is_some_and(|c| c.sps == *s && c.pps == *p) =>
            {
                match TrackParams::new(s.clone(), p.clone()) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        tracing::warn!(error = %e, "HLS: IDR with an unusable SPS skipped");
                        None
                    }
                }
            }
            _ => None,
        };
        let audio = self.audio.as_ref().map(|a| a.params);
        let Some(params) = new.or_else(|| {
            // Same video: a new initialization segment only if the audio track changed.
            self.params.clone().filter(|_| self.init_audio != audio)
        }) else {
            return self.params.is_some();
        };
        if self.params.is_some() {
            self.generation += 1;
            self.discontinuity_next = true;
        }
        self.inits
            .push((self.generation, fmp4::init_segment(&params, audio.as_ref())));
        self.params = Some(params);
        self.init_audio = audio;
        true
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
        let (audio_time, audio_units) = self
            .audio
            .as_mut()
            .map(|a| a.take_until(decode_time + part_ticks))
            .unwrap_or_default();
        let audio = AudioRun {
            decode_time: audio_time,
            units: &audio_units,
        };
        let data = fmp4::fragment(self.fragment_seq, decode_time, &samples, Some(audio));
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

    /// Bytes of media held (parts, initialization segments and audio waiting for its part).
    pub fn bytes(&self) -> usize {
        self.segments.iter().map(Segment::bytes).sum::<usize>()
            + self.inits.iter().map(|(_, b)| b.len()).sum::<usize>()
            + self.audio.as_ref().map_or(0, AudioQueue::bytes)
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

    /// An AAC unit of 16 kHz audio (64 ms per unit) captured at `ms`.
    fn unit(ms: u64) -> Frame {
        Frame {
            channel: 0,
            seq: 0,
            pts: Duration::from_millis(ms),
            wallclock: SystemTime::UNIX_EPOCH + Duration::from_millis(ms),
            keyframe: true,
            nals: vec![Bytes::from(vec![0x21; 60])],
        }
    }

    fn aac() -> Option<AacConfig> {
        Some(AacConfig {
            sample_rate: 16_000,
            channels: 1,
        })
    }

    /// The (decode time, unit count) of the audio `traf` of each part of `seg`.
    fn audio_runs(seg: &Segment) -> Vec<(u64, usize)> {
        use mp4_atom::Decode;
        seg.parts
            .iter()
            .filter_map(|p| {
                let moof = mp4_atom::Moof::decode(&mut std::io::Cursor::new(&p.data[..])).unwrap();
                let t = moof.traf.get(1)?;
                Some((
                    t.tfdt.as_ref().unwrap().base_media_decode_time,
                    t.trun[0].entries.len(),
                ))
            })
            .collect()
    }

    #[test]
    fn audio_starts_at_the_idr_and_continues_across_segments() {
        let mut s = Segmenter::new(cfg(), 0, 0);
        s.set_audio(aac());
        // Video 40 ms frames from 0, the first IDR at frame 10 (400 ms), then every 50;
        // audio every 64 ms from 0, delivered 30 ms late (encoding).
        let mut audio_at = 0;
        for i in 0..300u64 {
            let now = 40 * i;
            while audio_at + 30 <= now {
                s.push_audio(&unit(audio_at));
                audio_at += 64;
            }
            s.push(frame(i, i >= 10 && (i - 10) % 50 == 0));
        }
        let init = s.init(0).unwrap();
        let moov = {
            use mp4_atom::Decode;
            let mut b = std::io::Cursor::new(&init[..]);
            mp4_atom::Ftyp::decode(&mut b).unwrap();
            mp4_atom::Moov::decode(&mut b).unwrap()
        };
        assert_eq!(moov.trak.len(), 2, "the init segment has the audio track");
        let first = s.segments().front().unwrap();
        assert_eq!(first.msn, 2, "window of 3 behind the open one");
        let mut all = Vec::new();
        for seg in s.segments() {
            let runs = audio_runs(seg);
            let start = ticks(Duration::from_millis(400 + 2000 * seg.msn));
            // Each segment's audio starts within one AAC frame of its IDR.
            let (t0, _) = runs[0];
            let t0_90k = t0 * 90_000 / 16_000;
            assert!(
                t0_90k.abs_diff(start) <= 64 * 90,
                "segment {}: audio at {t0_90k}, IDR at {start}",
                seg.msn
            );
            all.extend(runs);
        }
        // No gap and no overlap: each run starts where the previous one ended.
        for w in all.windows(2) {
            assert_eq!(w[0].0 + 1024 * w[0].1 as u64, w[1].0, "{all:?}");
        }
        // The very first segment drops the audio before its IDR.
        let mut s2 = Segmenter::new(cfg(), 0, 0);
        s2.set_audio(aac());
        for i in 0..40u64 {
            s2.push_audio(&unit(64 * i));
        }
        for i in 0..80u64 {
            s2.push(frame(i + 10, i % 50 == 0));
        }
        let runs = audio_runs(&s2.segments()[0]);
        // The IDR at 400 ms: the unit at 384 ms still sounds then; 320 ms's ended.
        assert_eq!(runs[0].0, 384 * 16);
    }

    #[test]
    fn audio_waiting_for_video_is_bounded() {
        let mut s = Segmenter::new(cfg(), 0, 0);
        s.set_audio(aac());
        // No video at all: 100 s of audio.
        for i in 0..1600u64 {
            s.push_audio(&unit(64 * i));
        }
        // max_segment (10 s) of 64 ms units.
        assert_eq!(s.bytes(), (10_000 / 64 + 1) * 60);
    }

    #[test]
    fn audio_on_or_off_makes_a_new_initialization_segment() {
        let mut s = Segmenter::new(cfg(), 0, 0);
        for i in 0..60 {
            s.push(frame(i, i % 50 == 0));
        }
        s.set_audio(aac());
        for i in 60..110 {
            s.push_audio(&unit(40 * i));
            s.push(frame(i, i % 50 == 0));
        }
        assert_eq!(s.generation(), 1);
        let last = s.segments().back().unwrap();
        assert!(last.discontinuity && last.generation == 1);
        assert!(!audio_runs(last).is_empty());
        // G.711 or no audio: video only again.
        s.set_audio(None);
        for i in 110..160 {
            s.push(frame(i, i % 50 == 0));
        }
        assert_eq!(s.generation(), 2);
        assert!(audio_runs(s.segments().back().unwrap()).is_empty());
    }
}

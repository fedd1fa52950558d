//! The back channel's shell: the talk slot (one talker at a time), the speaker thread, and
//! the routing of a talker's RTP (interleaved on its connection, or UDP to the server's RTP
//! port) to it. What plays is decided by the sans-IO [`backchannel::Talk`].
//!
//! - **One talker** (ONVIF Streaming says nothing of a second one; a speaker plays one
//!   voice): the slot is claimed at the SETUP of the back-channel track, under the slot's
//!   lock so two SETUPs cannot both win; another session's SETUP gets 453 Not Enough
//!   Bandwidth (RFC 2326 s11.3.7, the answer issue 19 names; the speaker is the resource
//!   short). The slot frees at TEARDOWN, when the session expires, when its connection
//!   closes, and when the talker has sent nothing for its session timeout (a talker that
//!   keeps the session alive with keepalives but says nothing does not keep others out).
//! - **The speaker thread**: SDK writes may take a little while (a vendor's ADEC copy), so
//!   the tokio tasks never make them: they hand each payload over a bounded queue
//!   ([`TALK_QUEUE`] packets, about a second) to one OS thread per talker, which opens the
//!   speaker with the talker's codec, writes, and closes it when the talker goes (the
//!   queue's sender dropped). A full queue drops the packet (counted as `overflow`): a
//!   flood costs its talker, never a viewer or the RTSP tasks.

use std::net::SocketAddr;
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use super::backchannel::{Talk, TalkStats};
use super::session::ConnId;
use crate::sdk::{AudioCodec, AudioOut, Sdk};

/// Payloads queued for the speaker thread (50 x 20 ms = 1 s of G.711).
pub(crate) const TALK_QUEUE: usize = 50;

/// What plays a talker's audio: the board's speaker.
pub trait Speaker: Send + Sync + std::fmt::Debug {
    /// The codecs it decodes (offered in the back channel's SDP, PCMU first).
    fn codecs(&self) -> Vec<AudioCodec>;
    /// Opens SDK audio output `output` for one talker; closed when the handle drops.
    fn open(&self, output: u32, codec: AudioCodec) -> Result<Box<dyn SpeakerOut>, String>;
}

/// An open speaker.
pub trait SpeakerOut: Send {
    fn write(&mut self, data: &[u8]) -> Result<(), String>;
}

/// The SDK's speakers (`NVT_AO_*`): the talker's profile's audio output configuration names
/// which one (its OutputToken, `aout<N>`).
#[derive(Debug)]
pub(crate) struct SdkSpeaker {
    sdk: Sdk,
    codecs: Vec<AudioCodec>,
}

impl SdkSpeaker {
    /// The board's speaker, or `None` when it has none (or decodes no G.711).
    pub(crate) fn probe(sdk: &Sdk) -> Option<Arc<dyn Speaker>> {
        let caps = match sdk.audio_out_caps() {
            Ok(c) => c,
            Err(e) => {
                warn!(%e, "audio outputs: no back channel");
                return None;
            }
        };
        let codecs: Vec<AudioCodec> = [AudioCodec::G711Ulaw, AudioCodec::G711Alaw]
            .into_iter()
            .filter(|c| caps.decodes(*c))
            .collect();
        if codecs.is_empty() {
            return None;
        }
        Some(Arc::new(SdkSpeaker {
            sdk: sdk.clone(),
            codecs,
        }))
    }
}

struct SdkOut(AudioOut);

impl SpeakerOut for SdkOut {
    fn write(&mut self, data: &[u8]) -> Result<(), String> {
        self.0.write(data).map_err(|e| e.to_string())
    }
}

impl Speaker for SdkSpeaker {
    fn codecs(&self) -> Vec<AudioCodec> {
        self.codecs.clone()
    }

    fn open(&self, output: u32, codec: AudioCodec) -> Result<Box<dyn SpeakerOut>, String> {
        let out = self
            .sdk
            .open_audio_out(output, codec)
            .map_err(|e| e.to_string())?;
        Ok(Box::new(SdkOut(out)))
    }
}

/// Where a playing talker's RTP comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// `$`-framed on its RTSP connection, on this channel.
    Interleaved { conn: ConnId, channel: u8 },
    /// UDP datagrams from this address (its `client_port` RTP port) to the server's RTP
    /// port (symmetric RTP, RFC 4961: a talker sends from the port it receives on).
    Udp { from: SocketAddr },
}

/// Where the talker's receiver reports go: its RTCP channel or port (RFC 3550 s6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReportTo {
    Interleaved { conn: ConnId, channel: u8 },
    Udp { to: SocketAddr },
}

/// The first receiver report goes this long after PLAY (RFC 3550 s6.2: the initial report
/// may come after half the minimum interval), the next ones every `SR_INTERVAL`.
pub(crate) const RR_FIRST: Duration = Duration::from_millis(2500);

/// The session holding the slot.
pub(crate) struct Slot {
    pub(crate) session: String,
    timeout: Duration,
    /// The last packet played (or the claim, or PLAY): the idle bound runs from here.
    last: Instant,
    source: Option<Source>,
    talk: Talk,
    speaker: Option<SyncSender<(AudioCodec, Vec<u8>)>>,
    /// The SDK audio output it plays on (its profile's audio output configuration's).
    output: u32,
    /// Receiver reports: where, and when the next is due (set at PLAY).
    report_to: Option<ReportTo>,
    next_report: Option<Instant>,
    /// The camera's SSRC as a receiver of this talker.
    own_ssrc: u32,
}

/// The server's one talk slot and its speaker.
pub(crate) struct TalkSlot {
    speaker: Option<Arc<dyn Speaker>>,
    slot: Mutex<Option<Slot>>,
    /// Counters of the talkers that have gone.
    done: Mutex<TalkStats>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl TalkSlot {
    pub(crate) fn new(speaker: Option<Arc<dyn Speaker>>) -> TalkSlot {
        TalkSlot {
            speaker,
            slot: Mutex::new(None),
            done: Mutex::new(TalkStats::default()),
        }
    }

    /// Whether the server offers a back channel (the board has a speaker).
    pub(crate) fn offered(&self) -> bool {
        self.speaker.is_some()
    }

    /// The codecs the back channel offers.
    pub(crate) fn codecs(&self) -> Vec<AudioCodec> {
        self.speaker.as_ref().map_or_else(Vec::new, |s| s.codecs())
    }

    /// The slot, locked: a SETUP checks and claims it under this lock.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Option<Slot>> {
        lock(&self.slot)
    }

    /// Claims the (locked, free or own) slot for `session`, to play on SDK audio output
    /// `output`.
    pub(crate) fn claim(
        &self,
        g: &mut Option<Slot>,
        session: &str,
        timeout: Duration,
        now: Instant,
        output: u32,
    ) {
        if g.as_ref().is_some_and(|s| s.session == session) {
            return;
        }
        info!(%session, output, "back channel: talker set up");
        *g = Some(Slot {
            session: session.to_owned(),
            timeout,
            last: now,
            source: None,
            talk: Talk::new(self.codecs()),
            speaker: None,
            output,
            report_to: None,
            next_report: None,
            own_ssrc: rand::random(),
        });
    }

    /// PLAY: the talker's RTP comes from `source` from now on, to a new speaker thread.
    pub(crate) fn play(&self, session: &str, source: Source, report_to: ReportTo, now: Instant) {
        let Some(speaker) = self.speaker.clone() else {
            return;
        };
        let mut g = lock(&self.slot);
        let Some(s) = g.as_mut().filter(|s| s.session == session) else {
            return; // the slot went idle since SETUP: this session plays no audio
        };
        s.source = Some(source);
        s.last = now;
        s.report_to = Some(report_to);
        s.next_report.get_or_insert(now + RR_FIRST);
        if s.speaker.is_none() {
            s.speaker = spawn_speaker(speaker, s.output);
        }
    }

    /// PAUSE: stop playing, keep the slot.
    pub(crate) fn pause(&self, session: &str) {
        if let Some(s) = lock(&self.slot).as_mut().filter(|s| s.session == session) {
            s.source = None;
            s.speaker = None;
            s.report_to = None;
        }
    }

    /// The playing talker's receiver report (RR + SDES, RFC 3550 s6.4.2) if one is due at
    /// `now`, and where it goes. Called by the server's once-a-second tick.
    pub(crate) fn due_report(
        &self,
        now: Instant,
        interval: Duration,
        cname: &str,
    ) -> Option<(ReportTo, bytes::Bytes)> {
        let mut g = lock(&self.slot);
        let s = g.as_mut()?;
        let to = s.report_to?;
        if s.next_report.is_some_and(|t| now < t) {
            return None;
        }
        s.next_report = Some(now + interval);
        let blocks: Vec<_> = s.talk.report_block().into_iter().collect();
        Some((
            to,
            crate::rtp::rtcp::receiver_report(s.own_ssrc, &blocks, cname),
        ))
    }

    /// TEARDOWN, expiry or the connection closing: frees the slot if `session` holds it.
    pub(crate) fn end(&self, session: &str, why: &str) {
        let mut g = lock(&self.slot);
        if g.as_ref().is_some_and(|s| s.session == session)
            && let Some(s) = g.take()
        {
            drop(g);
            self.finish(s, why);
        }
    }

    /// Frees the slot of a talker silent for its session timeout.
    pub(crate) fn expire_idle(&self, now: Instant) {
        let mut g = lock(&self.slot);
        if g.as_ref()
            .is_some_and(|s| now.saturating_duration_since(s.last) > s.timeout)
            && let Some(s) = g.take()
        {
            drop(g);
            self.finish(s, "silent for its session timeout");
        }
    }

    fn finish(&self, s: Slot, why: &str) {
        let st = s.talk.stats;
        info!(
            session = %s.session,
            why,
            packets = st.packets,
            samples = st.samples,
            dropped = st.dropped(),
            malformed = st.malformed,
            payload_type = st.payload_type,
            oversize = st.oversize,
            ssrc = st.ssrc,
            late = st.late,
            flood = st.flood,
            overflow = st.overflow,
            "back channel: talker gone"
        );
        let mut d = lock(&self.done);
        d.packets += st.packets;
        d.samples += st.samples;
        d.malformed += st.malformed;
        d.payload_type += st.payload_type;
        d.oversize += st.oversize;
        d.ssrc += st.ssrc;
        d.late += st.late;
        d.flood += st.flood;
        d.overflow += st.overflow;
    }

    /// An interleaved frame on `conn`'s `channel`: true if it is the talker's RTP (played
    /// or dropped here), false if it is something else (RTCP).
    pub(crate) fn on_interleaved(
        &self,
        conn: ConnId,
        channel: u8,
        payload: &[u8],
        now: Instant,
    ) -> bool {
        self.on_packet(Source::Interleaved { conn, channel }, payload, now)
            .is_some()
    }

    /// A datagram to the server's RTP port: the session to mark alive if it is the
    /// talker's. Anything else is ignored (nobody else sends there).
    pub(crate) fn on_udp(&self, from: SocketAddr, payload: &[u8], now: Instant) -> Option<String> {
        self.on_packet(Source::Udp { from }, payload, now)
    }

    fn on_packet(&self, source: Source, payload: &[u8], now: Instant) -> Option<String> {
        let mut g = lock(&self.slot);
        let s = g.as_mut().filter(|s| s.source == Some(source))?;
        if let Ok((codec, audio)) = s.talk.accept(payload, now) {
            s.last = now;
            if let Some(tx) = &s.speaker {
                match tx.try_send((codec, audio.to_vec())) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => s.talk.stats.overflow += 1,
                    Err(TrySendError::Disconnected(_)) => {
                        s.speaker = None;
                        s.talk.stats.overflow += 1;
                    }
                }
            }
        }
        Some(s.session.clone())
    }

    /// Every talker's counters so far, the current one's included.
    pub(crate) fn stats(&self) -> TalkStats {
        let mut t = *lock(&self.done);
        if let Some(s) = lock(&self.slot).as_ref() {
            let st = s.talk.stats;
            t.packets += st.packets;
            t.samples += st.samples;
            t.malformed += st.malformed;
            t.payload_type += st.payload_type;
            t.oversize += st.oversize;
            t.ssrc += st.ssrc;
            t.late += st.late;
            t.flood += st.flood;
            t.overflow += st.overflow;
        }
        t
    }
}

/// One talker's speaker thread: opens the speaker with the codec of the first payload
/// (again when the talker switches codec), writes every payload, closes the speaker when the
/// queue's sender is dropped.
fn spawn_speaker(
    speaker: Arc<dyn Speaker>,
    output: u32,
) -> Option<SyncSender<(AudioCodec, Vec<u8>)>> {
    let (tx, rx) = sync_channel::<(AudioCodec, Vec<u8>)>(TALK_QUEUE);
    let spawned = std::thread::Builder::new()
        .name("nvt-talk".into())
        .spawn(move || {
            let mut out: Option<(AudioCodec, Box<dyn SpeakerOut>)> = None;
            while let Ok((codec, data)) = rx.recv() {
                if out.as_ref().map(|o| o.0) != Some(codec) {
                    // One channel per output: close the old one before opening the new.
                    out = None;
                    match speaker.open(output, codec) {
                        Ok(o) => out = Some((codec, o)),
                        Err(e) => {
                            warn!(%e, "back channel: opening the speaker");
                            continue;
                        }
                    }
                }
                if let Some((_, o)) = out.as_mut()
                    && let Err(e) = o.write(&data)
                {
                    debug!(%e, "back channel: speaker write");
                }
            }
        });
    match spawned {
        Ok(_) => Some(tx),
        Err(e) => {
            warn!(%e, "back channel: no speaker thread");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A speaker that reports what it was given (and records the outputs opened).
    #[derive(Debug)]
    struct Fake(Mutex<mpsc::Sender<(AudioCodec, Vec<u8>)>>, Mutex<Vec<u32>>);

    struct FakeOut(AudioCodec, mpsc::Sender<(AudioCodec, Vec<u8>)>);

    impl SpeakerOut for FakeOut {
        fn write(&mut self, data: &[u8]) -> Result<(), String> {
            self.1
                .send((self.0, data.to_vec()))
                .map_err(|e| e.to_string())
        }
    }

    impl Speaker for Fake {
        fn codecs(&self) -> Vec<AudioCodec> {
            vec![AudioCodec::G711Ulaw, AudioCodec::G711Alaw]
        }
        fn open(&self, output: u32, codec: AudioCodec) -> Result<Box<dyn SpeakerOut>, String> {
            lock(&self.1).push(output);
            Ok(Box::new(FakeOut(codec, lock(&self.0).clone())))
        }
    }

    fn rtp(pt: u8, seq: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0x80, pt];
        v.extend_from_slice(&seq.to_be_bytes());
        v.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn the_talker_plays_its_own_packets_and_the_slot_frees_when_it_goes_silent() {
        let (tx, rx) = mpsc::channel();
        let fake = Arc::new(Fake(Mutex::new(tx), Mutex::new(Vec::new())));
        let slot = TalkSlot::new(Some(fake.clone()));
        assert!(slot.offered());
        let t0 = Instant::now();
        {
            let mut g = slot.lock();
            slot.claim(&mut g, "A", Duration::from_secs(2), t0, 1);
        }
        let src = Source::Interleaved {
            conn: 7,
            channel: 4,
        };
        // Before PLAY nothing is the talker's.
        assert!(!slot.on_interleaved(7, 4, &rtp(0, 1, &[1; 160]), t0));
        let rtcp = ReportTo::Interleaved {
            conn: 7,
            channel: 5,
        };
        slot.play("A", src, rtcp, t0);
        assert!(slot.on_interleaved(7, 4, &rtp(0, 1, &[1; 160]), t0));
        assert!(
            !slot.on_interleaved(7, 6, &rtp(0, 2, &[2; 160]), t0),
            "another channel"
        );
        assert!(
            !slot.on_interleaved(8, 4, &rtp(0, 2, &[2; 160]), t0),
            "another connection"
        );
        assert!(
            slot.on_interleaved(7, 4, b"garbage", t0),
            "the talker's, dropped"
        );
        assert!(slot.on_interleaved(7, 4, &rtp(8, 2, &[3; 160]), t0));
        let got: Vec<_> = (0..2)
            .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        assert_eq!(got[0], (AudioCodec::G711Ulaw, vec![1; 160]));
        assert_eq!(
            got[1],
            (AudioCodec::G711Alaw, vec![3; 160]),
            "a codec switch reopens"
        );
        // On the output the talker's profile names (its OutputToken), both times.
        assert_eq!(*lock(&fake.1), [1, 1]);
        let st = slot.stats();
        assert_eq!((st.packets, st.malformed), (2, 1));
        // Receiver reports: the first RR_FIRST after PLAY, to the RTCP channel, about the
        // talker's SSRC; the next one an interval later.
        let every = Duration::from_secs(5);
        assert!(slot.due_report(t0, every, "nvt").is_none());
        let (to, rr) = slot.due_report(t0 + RR_FIRST, every, "nvt").unwrap();
        assert_eq!(to, rtcp);
        assert_eq!((rr[0], rr[1]), (0x81, 201));
        assert_eq!(&rr[8..12], &1u32.to_be_bytes(), "the talker's SSRC");
        assert!(slot.due_report(t0 + RR_FIRST, every, "nvt").is_none());
        assert!(
            slot.due_report(t0 + RR_FIRST + every, every, "nvt")
                .is_some()
        );
        // Another session's end does not free it; silence past the timeout does.
        slot.end("B", "test");
        assert!(slot.lock().is_some());
        slot.expire_idle(t0 + Duration::from_secs(1));
        assert!(slot.lock().is_some());
        slot.expire_idle(t0 + Duration::from_secs(3));
        assert!(slot.lock().is_none());
        assert!(!slot.on_interleaved(7, 4, &rtp(0, 3, &[4; 160]), t0));
        assert_eq!(slot.stats().packets, 2, "the counters outlive the talker");
    }

    #[test]
    fn without_a_speaker_nothing_is_offered() {
        let slot = TalkSlot::new(None);
        assert!(!slot.offered());
        assert!(slot.codecs().is_empty());
    }
}

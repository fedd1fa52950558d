//! The TCP fan-out's direct write: the publisher writes a frame's interleaved bytes
//! straight to an idle viewer's socket, so a viewer that keeps up costs no wake-up of its
//! writer task per frame (issue 20; docs/PERFORMANCE.md, "Step 5").
//!
//! Two parties may write to one RTSP connection over a bare TCP socket ([`SharedTcp`]):
//! - the connection's **writer task** (replies, control writes, frames from the queue), and
//! - the **publisher** (`stream::StreamHub::publish`, through a viewer's [`ViewerSink`]),
//!   which only ever `try_write`s, never waits, and only while the viewer's queue is idle
//!   (`stream::direct`).
//!
//! They are arbitrated by one state word per connection ([`DirectLink`]):
//!
//! | state | who owns the socket |
//! |---|---|
//! | `IDLE` | no one: the publisher may take it (`IDLE -> DIRECT`), the writer too (`IDLE -> WRITER`) |
//! | `DIRECT` | the publisher, for one non-blocking `write` (a few microseconds); the writer spins |
//! | `PENDING` | a direct write was short: the rest of that frame waits for the writer, which must write it before anything else (`PENDING -> WRITER`); the publisher keeps off |
//! | `WRITER` | the writer task, for one write and any awaits inside it; the publisher keeps off |
//! | `CLOSED` | the writer has ended; the publisher keeps off for good |
//!
//! Why it is safe (the invariants of docs/rtsp.md):
//! - **No message is torn.** Bytes reach the socket only from the owner of the state word,
//!   and a short direct write leaves `PENDING`, which only the writer leaves, by writing the
//!   rest first ([`DirectLink::claim`] returns it): no reply, report or frame can come
//!   between a frame's first and last byte.
//! - **Frames stay in order.** The publisher writes a viewer's frame only when its queue is
//!   idle (nothing queued, nothing in the writer's hands: checked under the queue's lock,
//!   the lock the writer takes to take a unit and to report it sent), so it is exactly the
//!   frame the writer would have sent next. A short write puts the frame in the writer's
//!   hands (`Queue::offer_direct`), so later frames queue behind it and the lag bound still
//!   judges it.
//! - **No frame after a PAUSE or TEARDOWN reply.** The writer installs a viewer's sink
//!   when it handles the viewer's `Attach` (after the PLAY reply) and the sink goes when
//!   the viewer is dropped (`Viewer`'s drop clears it under the queue's lock, before it
//!   leaves the hub): a `Detach` is handled before the reply that follows it in the same
//!   channel, so no direct write of that session can start after the reply; one that
//!   started before left the socket `IDLE` (whole) or `PENDING` (whose rest the reply's
//!   claim writes first, completing a frame that began before the reply).
//! - **Sender reports keep their schedule** (RFC 3550 s6.2): the sink declines any frame
//!   that would carry one ([`SrSchedule::quiet_by_capture`] on the writer's last report,
//!   mirrored here), and the writer sends it with the report as before.
//! - **A slow viewer costs one failed try.** `WouldBlock` (or any error) declines, and the
//!   frame is queued as before; the publisher never waits on a socket.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::rtp::h264::RtpFrame;
use crate::rtp::rtcp::SrSchedule;
use crate::stream::{Direct, DirectSink};

const IDLE: u8 = 0;
const WRITER: u8 = 1;
const DIRECT: u8 = 2;
const PENDING: u8 = 3;
const CLOSED: u8 = 4;

/// A socket's non-blocking write (a `TcpStream`; a fake in the tests).
pub(crate) trait TryWrite: Send + Sync {
    fn try_write(&self, buf: &[u8]) -> io::Result<usize>;
}

impl TryWrite for TcpStream {
    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        TcpStream::try_write(self, buf)
    }
}

/// The rest of a frame a direct write left half-written, for the writer to finish.
#[derive(Debug)]
pub(crate) struct Partial {
    /// The bytes not yet written.
    pub(crate) rest: Bytes,
    /// The whole frame's bytes on the wire (what the viewer reports sent).
    pub(crate) total: usize,
    /// The viewer it belongs to ([`ViewerSink::new`]'s `viewer`).
    pub(crate) viewer: u64,
}

/// One connection's state word and socket (see the module's doc).
pub(crate) struct DirectLink<S = TcpStream> {
    state: AtomicU8,
    socket: Arc<S>,
    partial: Mutex<Option<Partial>>,
}

impl<S: TryWrite> DirectLink<S> {
    pub(crate) fn new(socket: Arc<S>) -> Self {
        Self {
            state: AtomicU8::new(IDLE),
            socket,
            partial: Mutex::new(None),
        }
    }

    /// The publisher's one try: `bytes` (a whole frame of `viewer`'s) to the socket now, if
    /// no one owns it. A short write leaves the rest to the writer ([`Direct::Part`]).
    pub(crate) fn try_direct(&self, bytes: &Bytes, viewer: u64) -> Direct {
        if self
            .state
            .compare_exchange(IDLE, DIRECT, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return Direct::Declined;
        }
        match self.socket.try_write(bytes) {
            Ok(n) if n == bytes.len() => {
                self.state.store(IDLE, Ordering::Release);
                whole(n)
            }
            Ok(n) if n > 0 => {
                *lock(&self.partial) = Some(Partial {
                    rest: bytes.slice(n..),
                    total: bytes.len(),
                    viewer,
                });
                self.state.store(PENDING, Ordering::Release);
                Direct::Part
            }
            // WouldBlock, a closed peer, nothing written: the writer's path, as before.
            _ => {
                self.state.store(IDLE, Ordering::Release);
                Direct::Declined
            }
        }
    }

    /// The writer takes the socket for one write (until [`DirectLink::release`]). Returns
    /// the rest of a half-written frame, to write before anything else. Waits out a direct
    /// write in progress (one non-blocking syscall) by spinning, then yielding the thread.
    pub(crate) fn claim(&self) -> Option<Partial> {
        let mut spins = 0u32;
        loop {
            match self.state.compare_exchange_weak(
                IDLE,
                WRITER,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return None,
                Err(PENDING) => {
                    if self
                        .state
                        .compare_exchange(PENDING, WRITER, Ordering::Acquire, Ordering::Relaxed)
                        .is_ok()
                    {
                        return lock(&self.partial).take();
                    }
                }
                // Already the writer's (claims do not nest; only the writer sets it), or
                // closed by it: nothing to wait for.
                Err(WRITER) | Err(CLOSED) => return None,
                // DIRECT, or a spurious failure of the weak exchange.
                Err(_) => {
                    spins += 1;
                    if spins < 64 {
                        std::hint::spin_loop();
                    } else {
                        std::thread::yield_now();
                    }
                }
            }
        }
    }

    /// The writer's write is done: the publisher may take the socket again.
    pub(crate) fn release(&self) {
        let _ = self
            .state
            .compare_exchange(WRITER, IDLE, Ordering::Release, Ordering::Relaxed);
    }

    /// A direct write was short and its rest waits for the writer.
    pub(crate) fn is_pending(&self) -> bool {
        self.state.load(Ordering::Acquire) == PENDING
    }

    /// The writer has ended: no direct write from now on (one in progress is waited out).
    pub(crate) fn close(&self) {
        let _ = self.claim();
        self.state.store(CLOSED, Ordering::Release);
    }
}

/// A whole frame went out directly. Not inlined: `bench/instructions.sh` counts the frames
/// a viewer received as the calls of this (direct) plus the writer's (queued).
#[inline(never)]
fn whole(bytes: usize) -> Direct {
    Direct::Whole(bytes)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One viewer's direct sink on its connection's [`DirectLink`]: RTP on
/// [`crate::rtp::wire::WIRE_CHANNEL`] (the frame's shared bytes as they are), frames that
/// carry no sender report.
pub(crate) struct ViewerSink<S = TcpStream> {
    link: Arc<DirectLink<S>>,
    viewer: u64,
    interval: Duration,
    /// The capture time of the frame the writer's last report went with, in nanoseconds
    /// plus one (0: no report yet, so the first frame goes through the writer with one).
    last_report: AtomicU64,
}

impl<S: TryWrite> ViewerSink<S> {
    /// `viewer` names it in a [`Partial`]; `interval` is its [`SrSchedule`]'s.
    pub(crate) fn new(link: Arc<DirectLink<S>>, viewer: u64, interval: Duration) -> Self {
        Self {
            link,
            viewer,
            interval,
            last_report: AtomicU64::new(0),
        }
    }

    /// Mirrors the writer's schedule after a frame it sent (before it reports the frame
    /// sent, so a direct write, which needs the queue idle, sees the report).
    pub(crate) fn follow(&self, reports: &SrSchedule) {
        let v = reports
            .last_capture()
            .map_or(0, |t| (t.as_nanos() as u64).saturating_add(1));
        self.last_report.store(v, Ordering::Release);
    }
}

impl<S: TryWrite> DirectSink<RtpFrame> for ViewerSink<S> {
    fn try_send(&self, f: &Arc<RtpFrame>) -> Direct {
        let last = match self.last_report.load(Ordering::Acquire) {
            0 => None,
            n => Some(Duration::from_nanos(n - 1)),
        };
        if !SrSchedule::quiet_by_capture(last, f.pts, self.interval) {
            return Direct::Declined;
        }
        self.link.try_direct(f.wire.shared(), self.viewer)
    }
}

/// A TCP connection shared by its reader, its writer task and the direct write (tokio's
/// `into_split` halves would each own it).
pub(crate) struct SharedTcp(pub(crate) Arc<TcpStream>);

impl AsyncRead for SharedTcp {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            ready!(self.0.poll_read_ready(cx))?;
            match self.0.try_read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for SharedTcp {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                r => return Poll::Ready(r),
            }
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write_vectored(bufs) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                r => return Poll::Ready(r),
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(socket2::SockRef::from(&*self.0).shutdown(std::net::Shutdown::Write))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;

    use super::*;

    /// A socket that takes at most `room` bytes (then `WouldBlock`), and records them.
    #[derive(Default)]
    struct Fake {
        room: Mutex<usize>,
        out: Mutex<Vec<u8>>,
        /// When set, a write waits here twice (entered, then let go): a direct write held
        /// in progress while the test moves the writer.
        hold: Option<Arc<Barrier>>,
    }

    impl Fake {
        fn with_room(room: usize) -> Arc<Self> {
            Arc::new(Self {
                room: Mutex::new(room),
                ..Default::default()
            })
        }

        /// The writer task's own write (it owns the socket after `claim`).
        fn write_all(&self, b: &[u8]) {
            lock(&self.out).extend_from_slice(b);
        }
    }

    impl TryWrite for Fake {
        fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
            if let Some(b) = &self.hold {
                b.wait();
                b.wait();
            }
            let mut room = lock(&self.room);
            let n = buf.len().min(*room);
            if n == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            *room -= n;
            lock(&self.out).extend_from_slice(&buf[..n]);
            Ok(n)
        }
    }

    fn bytes(b: &[u8]) -> Bytes {
        Bytes::copy_from_slice(b)
    }

    #[test]
    fn a_reply_in_progress_turns_the_direct_write_away_and_then_lets_it_in() {
        let s = Fake::with_room(usize::MAX);
        let link = DirectLink::new(s.clone());
        assert!(link.claim().is_none());
        assert_eq!(link.try_direct(&bytes(b"$frame"), 1), Direct::Declined);
        s.write_all(b"RTSP/1.0 200 OK\r\n\r\n");
        link.release();
        assert_eq!(link.try_direct(&bytes(b"$frame"), 1), Direct::Whole(6));
        assert_eq!(&lock(&s.out)[..], b"RTSP/1.0 200 OK\r\n\r\n$frame");
    }

    #[test]
    fn a_short_write_leaves_the_rest_to_the_writer_before_anything_else() {
        let s = Fake::with_room(4);
        let link = DirectLink::new(s.clone());
        assert_eq!(link.try_direct(&bytes(b"$one-frame"), 7), Direct::Part);
        assert!(link.is_pending());
        // The next frame (queued behind the first, in the writer's hands) cannot go direct,
        // not even with room again.
        *lock(&s.room) = usize::MAX;
        assert_eq!(link.try_direct(&bytes(b"$two"), 7), Direct::Declined);
        let p = link.claim().expect("the rest comes first");
        assert_eq!((&p.rest[..], p.total, p.viewer), (&b"-frame"[..], 10, 7));
        assert!(!link.is_pending());
        s.write_all(&p.rest);
        s.write_all(b"$two");
        link.release();
        assert_eq!(&lock(&s.out)[..], b"$one-frame$two");
        assert_eq!(link.try_direct(&bytes(b"$three"), 7), Direct::Whole(6));
    }

    #[test]
    fn a_full_socket_costs_one_try_and_leaves_the_socket_free() {
        let s = Fake::with_room(0);
        let link = DirectLink::new(s.clone());
        assert_eq!(link.try_direct(&bytes(b"$frame"), 1), Direct::Declined);
        assert!(!link.is_pending());
        assert!(link.claim().is_none(), "the writer takes it at once");
        link.release();
        assert!(lock(&s.out).is_empty());
    }

    #[test]
    fn a_pause_reply_waits_out_a_direct_write_in_progress() {
        let hold = Arc::new(Barrier::new(2));
        let s = Arc::new(Fake {
            room: Mutex::new(usize::MAX),
            out: Mutex::default(),
            hold: Some(hold.clone()),
        });
        let link = Arc::new(DirectLink::new(s.clone()));
        let publisher = {
            let link = link.clone();
            std::thread::spawn(move || link.try_direct(&bytes(b"$frame"), 1))
        };
        hold.wait(); // the publisher is inside its write
        let writer = {
            let (link, s) = (link.clone(), s.clone());
            std::thread::spawn(move || {
                // The PAUSE: its Detach dropped the viewer (no direct write can start), then
                // the reply claims the socket.
                assert!(link.claim().is_none());
                s.write_all(b"RTSP/1.0 200 OK\r\n\r\n");
                link.release();
            })
        };
        std::thread::sleep(Duration::from_millis(20));
        assert!(lock(&s.out).is_empty(), "the reply waits for the frame");
        hold.wait(); // let the frame go
        assert_eq!(publisher.join().unwrap(), Direct::Whole(6));
        writer.join().unwrap();
        assert_eq!(&lock(&s.out)[..], b"$frameRTSP/1.0 200 OK\r\n\r\n");
    }

    #[test]
    fn a_teardown_reply_after_a_short_write_finishes_the_frame_first() {
        let s = Fake::with_room(3);
        let link = DirectLink::new(s.clone());
        assert_eq!(link.try_direct(&bytes(b"$frame"), 1), Direct::Part);
        // TEARDOWN: Detach (no viewer any more), then the reply claims the socket.
        let p = link.claim().expect("the rest of the frame");
        s.write_all(&p.rest);
        s.write_all(b"RTSP/1.0 200 OK\r\n\r\n");
        link.release();
        assert_eq!(&lock(&s.out)[..], b"$frameRTSP/1.0 200 OK\r\n\r\n");
    }

    #[test]
    fn a_closed_connection_takes_no_direct_write() {
        let s = Fake::with_room(usize::MAX);
        let link = DirectLink::new(s.clone());
        link.close();
        assert_eq!(link.try_direct(&bytes(b"$frame"), 1), Direct::Declined);
        link.release();
        assert_eq!(link.try_direct(&bytes(b"$frame"), 1), Direct::Declined);
        assert!(lock(&s.out).is_empty());
    }

    fn rtp_frame(pts: Duration) -> Arc<RtpFrame> {
        let mut p = crate::rtp::h264::H264Packetizer::with_max_payload(7, 100, 0, 64);
        Arc::new(p.packetize(&crate::frame::Frame {
            channel: 0,
            seq: 0,
            pts,
            wallclock: std::time::SystemTime::now(),
            keyframe: false,
            nals: vec![Bytes::from(vec![0x41; 200])],
        }))
    }

    #[test]
    fn a_viewer_sink_leaves_every_sender_report_to_the_writer() {
        let s = Fake::with_room(usize::MAX);
        let link = Arc::new(DirectLink::new(s.clone()));
        let sink = ViewerSink::new(link, 1, Duration::from_secs(5));
        let at = Duration::from_secs;
        assert_eq!(
            sink.try_send(&rtp_frame(at(10))),
            Direct::Declined,
            "no report yet"
        );
        let mut reports = SrSchedule::new(Duration::from_secs(5), "cam");
        assert!(reports.report_by_capture(&rtp_frame(at(10))).is_some());
        sink.follow(&reports);
        let f = rtp_frame(at(12));
        assert_eq!(sink.try_send(&f), Direct::Whole(f.wire.shared().len()));
        assert_eq!(&lock(&s.out)[..], &f.wire.shared()[..]);
        assert_eq!(
            sink.try_send(&rtp_frame(at(15))),
            Direct::Declined,
            "a report is due"
        );
        assert_eq!(
            sink.try_send(&rtp_frame(at(9))),
            Direct::Declined,
            "a clock that restarted"
        );
    }
}

//! RTSP as a thin consumer of the stream core: what a PLAY needs of a stream, and what an
//! RTP viewer's task does with the frames its queue hands it.
//!
//! - [`describe`]: the stream as DESCRIBE and SETUP see it (parameter sets, settings, SSRC).
//! - [`first_packet`], [`metadata_first_packet`]: each track's `RTP-Info` entry of a PLAY
//!   (RFC 2326 s12.33, RFC 7826 s18.45) names the first packet of the first frame in the
//!   viewer's queue, which is exactly what its writer sends first.
//! - Sender reports: one [`SrSchedule`] per RTP sender, whatever the transport.
//! - [`send_udp`]: the one loop of UDP unicast viewers and multicast groups, paced
//!   (`rtp::pacing`) and batched (`udp_batch`: `sendmmsg`, with UDP GSO where the kernel
//!   allows).
//! - [`write_interleaved`]: a frame over TCP (RFC 2326 s10.12), one `writev`.
//! - [`Task`]: how every streaming task is stopped: by dropping it (see its doc).

use std::future::Future;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use super::sdp::{StreamParams, TrackKind, TrackParams};
use super::session;
use super::udp_batch::{self, RtpSocket};
use crate::rtp::h264::RtpFrame;
use crate::rtp::pacing::Pacer;
use crate::rtp::rtcp::SrSchedule;
use crate::rtp::wire::interleaved_header;
use crate::rtp::{AudioHub, MetadataHub, RtpHub, RtpViewer, RtpWatch};

/// How every streaming task (TCP connection writer, UDP viewer, multicast sender) is
/// stopped: by dropping its handle. Its owner holds it (the session table's entry, the
/// multicast group, the connection), so a task lives exactly as long as what it serves:
/// TEARDOWN, expiry, the last member leaving a group, the connection closing and the
/// server's shutdown all stop it the same way. Chosen over a `CancellationToken` because
/// the tasks have nothing to finish (a half-sent frame is never resumed: the viewer is gone)
/// and because it costs nothing per frame: a token must be polled on every frame of every
/// viewer (one more waiter registration, a mutex, on the hot path), an abort is a flag
/// the runtime checks when it would poll the task anyway.
#[derive(Debug)]
pub(crate) struct Task(JoinHandle<()>);

impl Task {
    pub(crate) fn spawn<F>(run: F) -> Task
    where
        F: Future<Output = ()> + Send + 'static,
    {
        Task(tokio::spawn(run))
    }

    /// The task has ended (do not poll it again).
    pub(crate) fn is_finished(&self) -> bool {
        self.0.is_finished()
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Resolves when the task has ended on its own (or panicked).
impl Future for Task {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

/// The stream as DESCRIBE and SETUP see it now.
pub(crate) fn describe(hub: &RtpHub) -> StreamParams {
    StreamParams::of(hub.description(), hub.packer(|p| p.ssrc()))
}

/// As [`describe`], once the stream's parameter sets are current or `wait` has passed (a
/// stream that just started, or whose encoder is being reconfigured).
pub(crate) async fn describe_when_ready(hub: &RtpHub, wait: Duration) -> StreamParams {
    let desc = match tokio::time::timeout(wait, hub.described()).await {
        Ok(d) => d,
        Err(_) => hub.description(),
    };
    StreamParams::of(desc, hub.packer(|p| p.ssrc()))
}

/// A PLAY's `RTP-Info` entry of a video viewer (`watch`): the sequence number and RTP
/// timestamp of the first packet it will send, waiting up to [`session::RTP_INFO_WAIT`] for
/// a frame (a viewer that starts at the next IDR). `None` when nothing came in time.
pub(crate) async fn first_packet(watch: &RtpWatch) -> Option<(u16, u32)> {
    let first = first_frame(watch).await?;
    Some((first.first_seq, first.rtp_ts))
}

/// The first frame a viewer (`watch`) will send, waiting as [`first_packet`] does: its
/// packets for RTP-Info, its capture time for the audio that starts with it.
pub(crate) async fn first_frame(watch: &RtpWatch) -> Option<Arc<RtpFrame>> {
    tokio::time::timeout(session::RTP_INFO_WAIT, watch.first())
        .await
        .ok()
        .flatten()
}

/// The metadata track as DESCRIBE and SETUP see it.
pub(crate) fn metadata_track(hub: &MetadataHub) -> TrackParams {
    TrackParams {
        kind: TrackKind::Metadata,
        ssrc: hub.packer(|p| p.ssrc()),
        multicast: hub.description().multicast,
    }
}

/// The audio track as DESCRIBE and SETUP see it.
pub(crate) fn audio_track(hub: &AudioHub) -> TrackParams {
    let (format, ssrc) = hub.packer(|p| (p.format(), p.ssrc()));
    TrackParams {
        kind: TrackKind::Audio(format),
        ssrc,
        // The audio encoder configuration's own group (ONVIF RTSS-3-2-22/23: a port or
        // address apart from the video's).
        multicast: hub.description().multicast,
    }
}

/// How long a metadata PLAY waits for the document its viewer asked for (the stream's
/// current property states, [`crate::stream::StreamHub::request_keyframe`] on a metadata hub) before
/// answering without it. The producer answers within milliseconds; a request the throttle
/// refused brings no document at all.
pub(crate) const METADATA_SYNC_WAIT: Duration = Duration::from_millis(300);

/// A PLAY's `RTP-Info` entry of a new metadata `viewer`, which asks its stream for a
/// synchronization point (ONVIF Streaming: the current states in a new document). Metadata
/// comes when events do, so this never waits long: with a document queued within
/// [`METADATA_SYNC_WAIT`], its first packet; without, the next sequence number the stream
/// will use and the RTP time of now on the capture clock (the next document's timestamp is
/// later: a client's timestamp base from it stays valid). Read after the viewer subscribed
/// and looked at once more after, a document published in between is the one named.
pub(crate) async fn metadata_first_packet(hub: &MetadataHub, watch: &RtpWatch) -> (u16, u32) {
    hub.request_keyframe(Instant::now());
    if let Ok(Some(f)) = tokio::time::timeout(METADATA_SYNC_WAIT, watch.first()).await {
        return (f.first_seq, f.rtp_ts);
    }
    let next = hub.packer(|p| {
        (
            p.next_seq(),
            p.rtp_timestamp(crate::sdk::capture_clock_now()),
        )
    });
    // A zero timeout polls the watch once (tokio polls the future before its deadline).
    match tokio::time::timeout(Duration::ZERO, watch.first()).await {
        Ok(Some(f)) => (f.first_seq, f.rtp_ts),
        _ => next,
    }
}

/// Where a UDP sender sends: RTP and RTCP sockets and destinations (RFC 3550 s11: RTCP on
/// the port after RTP's).
pub(crate) struct UdpDest<'a> {
    pub(crate) rtp: &'a RtpSocket,
    pub(crate) rtp_to: SocketAddr,
    pub(crate) rtcp: &'a UdpSocket,
    pub(crate) rtcp_to: SocketAddr,
}

/// Sends a viewer's frames over UDP, paced, with sender reports, until its [`Task`] is
/// dropped or the viewer is kicked. Unicast viewers share the server's socket pair; a
/// multicast group's one viewer sends to the group from its own socket.
pub(crate) async fn send_udp(viewer: RtpViewer, dest: UdpDest<'_>, mut reports: SrSchedule) {
    let mut pacer = Pacer::new();
    while let Ok(f) = viewer.next().await {
        pacer.start_frame(f.stream_rate, f.bytes + viewer.queued_bytes());
        if let Some(sr) = reports.report(Instant::now(), &f) {
            let _ = dest.rtcp.send_to(&sr, dest.rtcp_to).await;
        }
        match udp_batch::send_paced(dest.rtp, &mut pacer, &f.packets, dest.rtp_to).await {
            Ok(bytes) => viewer.sent(bytes),
            Err(_) => viewer.failed(),
        }
    }
}

/// Writes `f` interleaved on `rtp` (its packets) and `rtcp` (`sr`, if one is due, first)
/// (RFC 2326 s10.12: `$`, channel, 16-bit length, packet). The packets are the frame's
/// shared interleaved bytes (`rtp::wire`), one contiguous buffer: one `write` per frame, or
/// one `writev` of three slices with a sender report. Returns the bytes written.
pub(crate) async fn write_interleaved<W: AsyncWrite + Unpin>(
    wr: &mut W,
    f: &RtpFrame,
    sr: Option<&Bytes>,
    (rtp, rtcp): (u8, u8),
) -> io::Result<usize> {
    let wire = f.wire.on(rtp);
    let Some(sr) = sr else {
        wr.write_all(&wire).await?;
        return Ok(wire.len());
    };
    let head = interleaved_header(rtcp, sr.len());
    let mut iov = [IoSlice::new(&head), IoSlice::new(sr), IoSlice::new(&wire)];
    let total = head.len() + sr.len() + wire.len();
    write_all_vectored(wr, &mut iov).await?;
    Ok(total)
}

/// `write_all` for a scatter list: one `writev` per call, advancing over partial writes.
async fn write_all_vectored<W: AsyncWrite + Unpin>(
    wr: &mut W,
    mut iov: &mut [IoSlice<'_>],
) -> io::Result<()> {
    while !iov.is_empty() {
        let n = wr.write_vectored(iov).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut iov, n);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::frame::Frame;
    use crate::rtp::h264::H264Packetizer;
    use crate::rtp::rtcp::{RtcpPacket, parse_compound};

    #[tokio::test]
    async fn an_interleaved_frame_is_the_report_then_every_packet_framed() {
        let mut p = H264Packetizer::with_max_payload(7, 100, 0, 64);
        let f = p.packetize(&Frame {
            channel: 0,
            seq: 0,
            pts: Duration::ZERO,
            wallclock: std::time::SystemTime::now(),
            keyframe: false,
            nals: vec![Bytes::from(vec![0x41; 200])],
        });
        assert!(f.packets.len() > 1);
        let mut reports = SrSchedule::new(Duration::from_secs(5), "cam");
        let sr = reports.report(Instant::now(), &f);
        let mut out = Vec::new();
        let n = write_interleaved(&mut out, &f, sr.as_ref(), (2, 3))
            .await
            .unwrap();
        assert_eq!(n, out.len());
        let mut rest = &out[..];
        let mut got = Vec::new();
        while !rest.is_empty() {
            assert_eq!(rest[0], b'$');
            let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
            got.push((rest[1], rest[4..4 + len].to_vec()));
            rest = &rest[4 + len..];
        }
        assert_eq!(got[0].0, 3, "the SR on the RTCP channel, first");
        assert!(matches!(
            parse_compound(&got[0].1).unwrap()[0],
            RtcpPacket::SenderReport { ssrc: 7, .. }
        ));
        let packets: Vec<_> = got[1..].iter().map(|(c, p)| (*c, &p[..])).collect();
        assert_eq!(packets.len(), f.packets.len());
        for ((c, p), q) in packets.iter().zip(&f.packets) {
            assert_eq!((*c, *p), (2, &q[..]));
        }
    }

    #[tokio::test]
    async fn dropping_a_task_stops_it_and_what_it_owns() {
        let owned = Arc::new(());
        let held = owned.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = Task::spawn(async move {
            let _held = held;
            let _ = rx.await; // never sent: runs until stopped
        });
        tokio::task::yield_now().await;
        assert_eq!(Arc::strong_count(&owned), 2);
        drop(task);
        for _ in 0..100 {
            if Arc::strong_count(&owned) == 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(Arc::strong_count(&owned), 1, "the task's state was dropped");
        drop(tx);
        // A task that ends on its own resolves.
        Task::spawn(async {}).await;
    }
}

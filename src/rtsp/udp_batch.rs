//! Sending a frame's RTP packets to one UDP destination with as few syscalls, and as little
//! kernel work per datagram, as possible.
//!
//! Linux `sendmmsg(2)` sends every packet of a pacer burst in one call (through `nix`'s safe
//! wrapper: no `unsafe` here). With **UDP GSO** (`UDP_SEGMENT`, Linux >= 4.18, udp(7)) each
//! message of that call carries a run of packets the kernel cuts into datagrams itself: the
//! run travels the IP stack, the qdisc and, on loopback, the receive path up to the
//! receiving socket as one buffer instead of one per packet, and the receiver still reads
//! each packet as its own datagram (the device segments it, or the kernel does before a
//! device that cannot; a datagram delivered locally is cut up at the receiving socket,
//! `udp_queue_rcv_skb` -> `udp_rcv_segment`, net/ipv4/udp.c). RFC 6184's FU-A fragments of
//! a NAL unit are all [`crate::rtp::h264::MAX_RTP_PAYLOAD`] long but the last, which is the
//! shape GSO takes: [`plan_gso`] groups a burst so.
//!
//! Where GSO is unavailable (a kernel before 4.18, whose `getsockopt(UDP_SEGMENT)` fails) or
//! refused for a destination (`EIO`, `EINVAL`, `EMSGSIZE`: a route through IPsec, a device
//! without checksum offload on older kernels, a path MTU under a segment), the socket
//! remembers it and sends plain `sendmmsg` from then on, starting with the refused burst,
//! so nothing is lost. Where `sendmmsg` itself fails with anything but `EAGAIN`, the sender
//! falls back to one `send_to` per packet for good.
//!
//! [`send_paced`] sends a frame in the batches and at the times a [`Pacer`] allows
//! (`rtp::pacing`: a receiver never gets more than one small burst at once), which is how
//! every UDP viewer and multicast group is served. GSO changes how a burst is handed to the
//! kernel, not which packets go when.

use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use bytes::Bytes;
use tokio::io::Interest;
use tokio::net::UdpSocket;

use crate::rtp::pacing::{Pace, Pacer};

/// Most packets per `sendmmsg` call (Linux UIO_MAXIOV is 1024).
const MAX_BATCH: usize = 64;

/// Most datagrams one GSO message may be cut into: `UDP_MAX_SEGMENTS` (include/linux/udp.h),
/// 64 since GSO came in 4.18 (later kernels allow more; 64 works on all). `udp_send_skb`
/// refuses a message of more than `gso_size * UDP_MAX_SEGMENTS` bytes with `EINVAL`.
pub(crate) const GSO_MAX_SEGMENTS: usize = 64;

/// Most payload bytes one GSO message may carry: it is built as one UDP datagram first, so
/// IPv4's 16-bit total length bounds it, 65,535 - 20 (IPv4 header) - 8 (UDP header)
/// (`__ip_append_data` answers `EMSGSIZE` beyond; IPv6 allows 20 more).
pub(crate) const GSO_MAX_BYTES: usize = 65_507;

/// Set once `sendmmsg` failed in a way that means "not supported here".
static MMSG_BROKEN: AtomicBool = AtomicBool::new(false);

const GSO_UNKNOWN: u8 = 0;
const GSO_ON: u8 = 1;
const GSO_OFF: u8 = 2;

/// A UDP socket RTP is sent from, and whether it may use GSO: asked of the kernel at the
/// first send (`getsockopt(UDP_SEGMENT)`, which a kernel without GSO does not know), and
/// turned off for good when a send with GSO is refused. One per socket, not per process: the
/// server's unicast pair and each multicast group have their own.
#[derive(Debug)]
pub(crate) struct RtpSocket {
    sock: UdpSocket,
    gso: AtomicU8,
}

impl RtpSocket {
    /// `sock`, sending with GSO where the kernel allows if `gso`, with plain `sendmmsg`
    /// otherwise.
    pub(crate) fn new(sock: UdpSocket, gso: bool) -> Self {
        let state = if gso { GSO_UNKNOWN } else { GSO_OFF };
        Self {
            sock,
            gso: AtomicU8::new(state),
        }
    }

    /// Whether sends use GSO now (asks the kernel the first time).
    pub(crate) fn gso(&self) -> bool {
        match self.gso.load(Ordering::Relaxed) {
            GSO_ON => true,
            GSO_OFF => false,
            _ => {
                let probe = nix::sys::socket::getsockopt(
                    &self.sock,
                    nix::sys::socket::sockopt::UdpGsoSegment,
                );
                match probe {
                    Ok(_) => {
                        self.gso.store(GSO_ON, Ordering::Relaxed);
                        true
                    }
                    Err(e) => {
                        self.refuse_gso(&io::Error::from(e));
                        false
                    }
                }
            }
        }
    }

    fn refuse_gso(&self, why: &io::Error) {
        if self.gso.swap(GSO_OFF, Ordering::Relaxed) != GSO_OFF {
            tracing::info!(
                error = %why,
                local = ?self.sock.local_addr().ok(),
                "UDP GSO not available on this socket: RTP goes out with plain sendmmsg"
            );
        }
    }
}

impl Deref for RtpSocket {
    type Target = UdpSocket;
    fn deref(&self) -> &UdpSocket {
        &self.sock
    }
}

/// How a batch of packets goes out as GSO messages in one `sendmmsg`. The `UDP_SEGMENT`
/// control message is the same for every message of the call, so all share one segment
/// size, the batch's largest packet; each message is one packet (the kernel sends a message
/// no longer than the segment size as a plain datagram: `udp_send_skb` only segments when
/// `datalen > gso_size`), or a run of packets of exactly the segment size with at most one
/// shorter packet last (the kernel cuts a message into `gso_size` datagrams of which only
/// the last may be shorter, net/ipv4/udp_offload.c `__udp_gso_segment`). A NAL unit's FU-A
/// fragments are such a run; a STAP-A or a small NAL goes alone.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct GsoPlan {
    /// The `UDP_SEGMENT` size, bytes.
    pub(crate) segment: usize,
    /// Packets per message, in order; they add up to the batch.
    pub(crate) messages: Vec<usize>,
}

/// Groups a batch of packets of `sizes` (in sending order) into GSO messages (see
/// [`GsoPlan`]), each within [`GSO_MAX_SEGMENTS`] and [`GSO_MAX_BYTES`].
pub(crate) fn plan_gso(sizes: impl Iterator<Item = usize> + Clone) -> GsoPlan {
    let segment = sizes.clone().max().unwrap_or(0);
    let mut messages = Vec::new();
    let mut it = sizes.peekable();
    while let Some(first) = it.next() {
        let mut n = 1;
        let mut bytes = first;
        if first == segment && segment > 0 {
            while let Some(&next) = it.peek() {
                if n == GSO_MAX_SEGMENTS || bytes + next > GSO_MAX_BYTES {
                    break;
                }
                it.next();
                n += 1;
                bytes += next;
                if next != segment {
                    // Shorter (`segment` is the largest): the message's last datagram.
                    break;
                }
            }
        }
        messages.push(n);
    }
    GsoPlan { segment, messages }
}

/// Sends all `packets` to `dest`; returns the bytes sent.
pub(crate) async fn send_all(
    sock: &RtpSocket,
    packets: &[Bytes],
    dest: SocketAddr,
) -> io::Result<usize> {
    let mut bytes = 0;
    let mut rest = packets;
    while !rest.is_empty() {
        if MMSG_BROKEN.load(Ordering::Relaxed) {
            for p in rest {
                bytes += sock.send_to(p, dest).await?;
            }
            return Ok(bytes);
        }
        let batch = &rest[..rest.len().min(MAX_BATCH)];
        let plan = sock
            .gso()
            .then(|| plan_gso(batch.iter().map(Bytes::len)))
            .filter(|p| p.messages.len() < batch.len() && p.segment <= usize::from(u16::MAX));
        let res = match &plan {
            Some(plan) => {
                sock.async_io(Interest::WRITABLE, || sendmmsg_gso(sock, batch, plan, dest))
                    .await
            }
            None => {
                sock.async_io(Interest::WRITABLE, || sendmmsg(sock, batch, dest))
                    .await
            }
        };
        match res {
            Ok((0, _)) => return Err(io::ErrorKind::WriteZero.into()),
            Ok((n, b)) => {
                bytes += b;
                rest = &rest[n..];
            }
            // GSO refused for this socket or destination: the same packets again, without.
            Err(e)
                if plan.is_some()
                    && matches!(
                        e.raw_os_error(),
                        Some(libc::EIO | libc::EINVAL | libc::EMSGSIZE | libc::ENOPROTOOPT)
                    ) =>
            {
                sock.refuse_gso(&e);
            }
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EINVAL)) => {
                MMSG_BROKEN.store(true, Ordering::Relaxed);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(bytes)
}

/// Sends `packets` to `dest` as `pacer` allows, sleeping in between; returns the bytes sent.
pub(crate) async fn send_paced(
    sock: &RtpSocket,
    pacer: &mut Pacer,
    packets: &[Bytes],
    dest: SocketAddr,
) -> io::Result<usize> {
    let mut bytes = 0;
    let mut rest = packets;
    while !rest.is_empty() {
        match pacer.poll(std::time::Instant::now(), rest) {
            Pace::Send(n) => {
                bytes += send_all(sock, &rest[..n], dest).await?;
                rest = &rest[n..];
            }
            Pace::Wait(d) => tokio::time::sleep(d).await,
        }
    }
    Ok(bytes)
}

/// One `sendmmsg` call; returns (packets sent, bytes sent). `WouldBlock` makes tokio wait
/// for writability and retry.
fn sendmmsg(sock: &UdpSocket, batch: &[Bytes], dest: SocketAddr) -> io::Result<(usize, usize)> {
    use nix::sys::socket::{MsgFlags, MultiHeaders, SockaddrStorage};
    let iovs: Vec<[io::IoSlice<'_>; 1]> = batch.iter().map(|p| [io::IoSlice::new(p)]).collect();
    let addr = SockaddrStorage::from(dest);
    let addrs: Vec<Option<SockaddrStorage>> = vec![Some(addr); batch.len()];
    let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(batch.len(), None);
    let cmsgs: [nix::sys::socket::ControlMessage<'_>; 0] = [];
    let sent = nix::sys::socket::sendmmsg(
        sock.as_raw_fd(),
        &mut headers,
        &iovs,
        &addrs,
        cmsgs,
        MsgFlags::empty(),
    )
    .map_err(io::Error::from)?;
    let mut n = 0;
    let mut bytes = 0;
    for r in sent {
        n += 1;
        bytes += r.bytes;
    }
    Ok((n, bytes))
}

/// One `sendmmsg` call of `batch` as `plan`'s GSO messages (each a scatter list of its
/// packets, with the shared `UDP_SEGMENT` control message); returns (packets sent, bytes
/// sent) of the messages the kernel took. `WouldBlock` makes tokio wait and retry.
fn sendmmsg_gso(
    sock: &UdpSocket,
    batch: &[Bytes],
    plan: &GsoPlan,
    dest: SocketAddr,
) -> io::Result<(usize, usize)> {
    use nix::sys::socket::{ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage};
    let iovs: Vec<io::IoSlice<'_>> = batch.iter().map(|p| io::IoSlice::new(p)).collect();
    let mut messages: Vec<&[io::IoSlice<'_>]> = Vec::with_capacity(plan.messages.len());
    let mut at = 0;
    for &n in &plan.messages {
        messages.push(&iovs[at..at + n]);
        at += n;
    }
    let addr = SockaddrStorage::from(dest);
    let addrs: Vec<Option<SockaddrStorage>> = vec![Some(addr); messages.len()];
    let mut headers =
        MultiHeaders::<SockaddrStorage>::preallocate(messages.len(), Some(nix::cmsg_space!(u16)));
    let segment = plan.segment as u16;
    let cmsgs = [ControlMessage::UdpGsoSegments(&segment)];
    let sent = nix::sys::socket::sendmmsg(
        sock.as_raw_fd(),
        &mut headers,
        &messages,
        &addrs,
        cmsgs,
        MsgFlags::empty(),
    )
    .map_err(io::Error::from)?;
    let mut packets = 0;
    let mut bytes = 0;
    for (r, &n) in sent.zip(&plan.messages) {
        packets += n;
        bytes += r.bytes;
    }
    Ok((packets, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame as the H.264 packetizer cuts it: a STAP-A, then NAL units of `nals` bytes each
    /// in 1,412-byte FU-A packets (12 + 1,400) with a shorter last one.
    fn frame_sizes(stap: usize, nals: &[usize]) -> Vec<usize> {
        let mut v = vec![stap];
        for &n in nals {
            let chunk = crate::rtp::h264::MAX_RTP_PAYLOAD - 2;
            let body = n - 1;
            for i in 0..body.div_ceil(chunk) {
                v.push(12 + 2 + chunk.min(body - i * chunk));
            }
        }
        v
    }

    #[test]
    fn plan_groups_each_nal_s_fragments_with_its_short_last() {
        // STAP-A alone; 3 full fragments + the last of 100 bytes; 2 full + a 600-byte last.
        let sizes = frame_sizes(40, &[1 + 3 * 1398 + 86, 1 + 2 * 1398 + 586]);
        assert_eq!(sizes, [40, 1412, 1412, 1412, 100, 1412, 1412, 600]);
        let plan = plan_gso(sizes.iter().copied());
        assert_eq!(plan.segment, 1412);
        assert_eq!(plan.messages, [1, 4, 3]);
    }

    #[test]
    fn plan_sends_packets_of_other_sizes_alone() {
        // Small single-NAL packets (a multi-slice P frame): not the largest, so one each.
        let plan = plan_gso([700usize, 700, 1412, 900, 300].into_iter());
        assert_eq!(plan.segment, 1412);
        assert_eq!(plan.messages, [1, 1, 2, 1]);
        // All equal: one message.
        let plan = plan_gso([500usize; 5].into_iter());
        assert_eq!((plan.segment, plan.messages), (500, vec![5]));
        // A full-size run that ends the batch without a short packet.
        assert_eq!(plan_gso([9usize, 20, 20].into_iter()).messages, [1, 2]);
        assert_eq!(plan_gso(std::iter::empty()).messages, Vec::<usize>::new());
    }

    #[test]
    fn plan_stays_within_the_kernel_s_bounds() {
        // 200 full fragments: at most 46 of 1,412 bytes fit 65,507 (46 x 1412 = 64,952).
        let plan = plan_gso([1412usize; 200].into_iter());
        assert!(plan.messages.iter().all(|&n| n * 1412 <= GSO_MAX_BYTES));
        assert_eq!(plan.messages, [46, 46, 46, 46, 16]);
        // Small segments: at most GSO_MAX_SEGMENTS per message.
        let plan = plan_gso([100usize; 150].into_iter());
        assert_eq!(plan.messages, [64, 64, 22]);
        // The short last packet is left for the next message when it would not fit.
        let mut sizes = vec![1412usize; 46];
        sizes.push(700);
        assert_eq!(plan_gso(sizes.into_iter()).messages, [46, 1]);
        let mut sizes = vec![1412usize; 64];
        sizes.push(5);
        assert_eq!(plan_gso(sizes.into_iter()).messages, [46, 19]);
    }

    /// Reads `sizes.len()` datagrams from `rx` and checks each one's size and its first byte
    /// (the packet's index).
    async fn receive_each(rx: &UdpSocket, sizes: &[usize]) {
        let mut buf = vec![0u8; 70_000];
        for (i, &len) in sizes.iter().enumerate() {
            let n = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv(&mut buf))
                .await
                .expect("every packet arrives")
                .unwrap();
            assert_eq!((n, buf[0]), (len, i as u8), "packet {i}");
        }
    }

    fn numbered(sizes: &[usize]) -> Vec<Bytes> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| Bytes::from(vec![i as u8; n]))
            .collect()
    }

    #[tokio::test]
    async fn gso_batch_arrives_as_one_datagram_per_packet() {
        let rx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let tx = RtpSocket::new(UdpSocket::bind("127.0.0.1:0").await.unwrap(), true);
        let sizes = frame_sizes(40, &[30_000, 5_000, 200, 2_797]);
        let packets = numbered(&sizes);
        let sent = send_all(&tx, &packets, rx.local_addr().unwrap())
            .await
            .unwrap();
        assert_eq!(sent, sizes.iter().sum::<usize>());
        assert!(tx.gso(), "this kernel (>= 4.18) sends with GSO");
        receive_each(&rx, &sizes).await;
    }

    #[tokio::test]
    async fn without_gso_the_same_batch_arrives_the_same() {
        let rx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let tx = RtpSocket::new(UdpSocket::bind("127.0.0.1:0").await.unwrap(), false);
        let sizes = frame_sizes(40, &[30_000, 5_000, 200, 2_797]);
        let sent = send_all(&tx, &numbered(&sizes), rx.local_addr().unwrap())
            .await
            .unwrap();
        assert_eq!(sent, sizes.iter().sum::<usize>());
        assert!(!tx.gso());
        receive_each(&rx, &sizes).await;
    }

    /// A kernel that refuses GSO for a destination, for real: in a network namespace of its
    /// own whose loopback MTU (1,280) is under a segment (1,412 + 28 bytes of headers),
    /// `udp_send_skb` answers `EMSGSIZE` (`EINVAL` on kernels from before 2025, whose check
    /// was `hlen + gso_size > fragsize`). The socket turns GSO off and sends the same burst
    /// as plain datagrams (fragmented by IP and reassembled),
    /// and the receiver gets every packet, whole and in order. Runs this test binary again
    /// under `unshare -n` (root); says so and passes without root or `unshare`.
    #[test]
    fn refused_gso_falls_back_to_plain_datagrams_and_loses_nothing() {
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new("unshare")
            .args(["-n", "sh", "-c"])
            .arg(
                "ip link set lo up mtu 1280 && exec \"$0\" --exact --include-ignored \
                  rtsp::udp_batch::tests::in_small_mtu_netns_child",
            )
            .arg(&exe)
            .env("NVT_TEST_SMALL_MTU_NETNS", "1")
            .output();
        let Ok(out) = out else {
            eprintln!("skipped: no unshare (util-linux)");
            return;
        };
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("unshare failed") {
            eprintln!("skipped: unshare -n needs root: {err}");
            return;
        }
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("1 passed"),
            "{text}\n{err}"
        );
    }

    #[tokio::test]
    #[ignore = "run by refused_gso_falls_back_to_plain_datagrams_and_loses_nothing"]
    async fn in_small_mtu_netns_child() {
        assert!(std::env::var_os("NVT_TEST_SMALL_MTU_NETNS").is_some());
        let rx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let tx = RtpSocket::new(UdpSocket::bind("127.0.0.1:0").await.unwrap(), true);
        assert!(tx.gso(), "the kernel knows UDP_SEGMENT");
        let sizes = frame_sizes(40, &[30_000, 5_000, 200, 2_797]);
        let sent = send_all(&tx, &numbered(&sizes), rx.local_addr().unwrap())
            .await
            .unwrap();
        assert_eq!(sent, sizes.iter().sum::<usize>());
        assert!(!tx.gso(), "GSO refused, and remembered");
        receive_each(&rx, &sizes).await;
    }

    #[tokio::test]
    async fn batch_arrives_in_order() {
        let rx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let tx = RtpSocket::new(UdpSocket::bind("127.0.0.1:0").await.unwrap(), true);
        let packets: Vec<Bytes> = (0..150u8)
            .map(|i| Bytes::from(vec![i; 100 + usize::from(i)]))
            .collect();
        let sent = send_all(&tx, &packets, rx.local_addr().unwrap())
            .await
            .unwrap();
        assert_eq!(sent, packets.iter().map(Bytes::len).sum::<usize>());
        let mut buf = [0u8; 2048];
        for i in 0..150u8 {
            let n = rx.recv(&mut buf).await.unwrap();
            assert_eq!(n, 100 + usize::from(i));
            assert_eq!(buf[0], i);
        }
    }

    #[tokio::test]
    async fn paced_frame_never_overflows_a_receiver_that_stalls() {
        // A receiver with Linux's default buffer (~90 datagrams of 1.4 kB) that reads nothing
        // for the first 50 ms; 600 kB sent to it as one frame.
        let rx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let tx = RtpSocket::new(UdpSocket::bind("127.0.0.1:0").await.unwrap(), true);
        let packets: Vec<Bytes> = (0..430u16)
            .map(|i| {
                let mut p = vec![0u8; 1400];
                p[..2].copy_from_slice(&i.to_be_bytes());
                Bytes::from(p)
            })
            .collect();
        let dest = rx.local_addr().unwrap();
        let reader = tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            let mut buf = [0u8; 2048];
            let mut next = 0u16;
            while next < 430 {
                let n = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv(&mut buf))
                    .await
                    .expect("every packet arrives")
                    .unwrap();
                assert_eq!(n, 1400);
                assert_eq!(u16::from_be_bytes([buf[0], buf[1]]), next, "no loss");
                next += 1;
            }
        });
        let mut pacer = Pacer::new();
        pacer.start_frame(0, 0);
        let sent = send_paced(&tx, &mut pacer, &packets, dest).await.unwrap();
        assert_eq!(sent, 430 * 1400);
        reader.await.unwrap();
    }
}

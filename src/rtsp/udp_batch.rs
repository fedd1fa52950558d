//! Sending a frame's RTP packets to one UDP destination with as few syscalls as possible.
//!
//! Linux `sendmmsg(2)` sends every packet of a frame in one call (through `nix`'s safe
//! wrapper: no `unsafe` here). Where it is unavailable or fails with anything but
//! `EAGAIN`, the sender falls back to one `send_to` per packet for good.
//! UDP GSO (`UDP_SEGMENT`) would need equal-sized segments; RFC 6184 frames mix STAP-A,
//! FU-A fragments and a short last fragment, so it would take several calls per frame anyway.
//!
//! [`send_paced`] sends a frame in the batches and at the times a [`Pacer`] allows
//! (`rtp::pacing`: a receiver never gets more than one small burst at once), which is how
//! every UDP viewer and multicast group is served.

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use tokio::io::Interest;
use tokio::net::UdpSocket;

use crate::rtp::pacing::{Pace, Pacer};

/// Most packets per `sendmmsg` call (Linux UIO_MAXIOV is 1024).
const MAX_BATCH: usize = 64;

/// Set once `sendmmsg` failed in a way that means "not supported here".
static MMSG_BROKEN: AtomicBool = AtomicBool::new(false);

/// Sends all `packets` to `dest`; returns the bytes sent.
pub(crate) async fn send_all(
    sock: &UdpSocket,
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
        let res = sock
            .async_io(Interest::WRITABLE, || sendmmsg(sock, batch, dest))
            .await;
        match res {
            Ok((0, _)) => return Err(io::ErrorKind::WriteZero.into()),
            Ok((n, b)) => {
                bytes += b;
                rest = &rest[n..];
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
    sock: &UdpSocket,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn batch_arrives_in_order() {
        let rx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
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
        let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
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

//! A frame's RTP packets as every viewer sends them, built once per frame: one buffer with
//! each packet behind the 4-byte header of RTSP interleaving (RFC 2326 s10.12: `$`, the
//! channel, the packet's length, 16 bits), so a TCP viewer's frame is one contiguous `write`
//! of the shared bytes, and a UDP viewer's packets are slices of the same buffer past each
//! header (no copy, no per-viewer framing).
//!
//! Why: a TCP viewer's frame used to go out as a scatter list of two iovecs per packet (a
//! 4-byte header built per viewer per frame, then the packet), ~40 iovecs for a 720p P-frame.
//! At 200 viewers the kernel spent twice the floor's time copying the same bytes into socket
//! buffers (`_copy_from_iter`: the per-segment cost of many small iovecs) plus the iovec
//! import itself (docs/PERFORMANCE.md, "the fan-out at the kernel's floor").
//!
//! The buffer is written for [`WIRE_CHANNEL`], the channel nearly every client asks its
//! first track on (`interleaved=0-1`). A viewer on another channel (a client that set up
//! audio or metadata first, or either of those tracks) gets a copy with its channel, made by
//! the first viewer that asks and shared by the others ([`Wire::on`]).

use std::sync::Mutex;

use bytes::{BufMut, Bytes, BytesMut};

/// RTP header size without CSRCs or extensions (RFC 3550 s5.1): every packet nvt sends has
/// exactly this header, which the sender's octet count leaves out.
pub(crate) const RTP_HEADER_LEN: usize = 12;

/// `$`, channel, 16-bit length (RFC 2326 s10.12).
pub(crate) const INTERLEAVED_HEADER_LEN: usize = 4;

/// The channel the shared buffer is written for.
pub(crate) const WIRE_CHANNEL: u8 = 0;

/// The 4-byte interleaved header of a packet of `len` bytes on `channel`.
pub(crate) fn interleaved_header(channel: u8, len: usize) -> [u8; 4] {
    debug_assert!(
        len <= usize::from(u16::MAX),
        "an RTP packet fits a TCP frame"
    );
    let l = (len as u16).to_be_bytes();
    [b'$', channel, l[0], l[1]]
}

/// Writes one frame's packets: [`PacketWriter::begin`] before each packet's RTP header, then
/// the header and payload through `Deref` to the buffer; [`PacketWriter::finish`] fills in
/// the lengths and slices the packets out.
pub(crate) struct PacketWriter {
    buf: BytesMut,
    /// Where each packet's RTP header starts.
    starts: Vec<usize>,
}

impl PacketWriter {
    /// Room for `rtp_bytes` of RTP in `packets` packets (a hint).
    pub(crate) fn with_capacity(rtp_bytes: usize, packets: usize) -> Self {
        Self {
            buf: BytesMut::with_capacity(rtp_bytes + packets * INTERLEAVED_HEADER_LEN),
            starts: Vec::with_capacity(packets),
        }
    }

    /// Starts a packet: what is put from now on is its RTP header and payload.
    pub(crate) fn begin(&mut self) {
        self.buf.put_slice(&[b'$', WIRE_CHANNEL, 0, 0]);
        self.starts.push(self.buf.len());
    }

    /// The frame: its interleaved bytes, its RTP packets as slices of them (each counted
    /// into the sender's RTCP counters, RFC 3550 s6.4.1: packets, and payload octets without
    /// the fixed header) and their total size.
    pub(crate) fn finish(
        self,
        (packet_count, octet_count): (&mut u32, &mut u32),
    ) -> (Wire, Vec<Bytes>, usize) {
        let Self { mut buf, starts } = self;
        let ends: Vec<usize> = starts
            .iter()
            .skip(1)
            .map(|s| s - INTERLEAVED_HEADER_LEN)
            .chain(std::iter::once(buf.len()))
            .collect();
        for (&start, &end) in starts.iter().zip(&ends) {
            let len = (end - start) as u16;
            buf[start - 2..start].copy_from_slice(&len.to_be_bytes());
        }
        let bytes = buf.freeze();
        let mut packets = Vec::with_capacity(starts.len());
        for (&start, &end) in starts.iter().zip(&ends) {
            packets.push(bytes.slice(start..end));
            *packet_count = packet_count.wrapping_add(1);
            *octet_count = octet_count.wrapping_add((end - start - RTP_HEADER_LEN) as u32);
        }
        let rtp_bytes = bytes.len() - starts.len() * INTERLEAVED_HEADER_LEN;
        let wire = Wire {
            bytes,
            others: Mutex::default(),
        };
        (wire, packets, rtp_bytes)
    }
}

impl std::ops::Deref for PacketWriter {
    type Target = BytesMut;
    fn deref(&self) -> &BytesMut {
        &self.buf
    }
}

impl std::ops::DerefMut for PacketWriter {
    fn deref_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }
}

/// One frame's packets over RTSP interleaving, as [`PacketWriter`] made them.
#[derive(Debug)]
pub struct Wire {
    /// Every packet behind its interleaved header on [`WIRE_CHANNEL`], back to back.
    bytes: Bytes,
    /// `bytes` on other channels, for the viewers that asked.
    others: Mutex<Vec<(u8, Bytes)>>,
}

impl Wire {
    /// The shared bytes, on [`WIRE_CHANNEL`], borrowed (the direct write's: no count taken).
    pub(crate) fn shared(&self) -> &Bytes {
        &self.bytes
    }

    /// The frame as a TCP viewer whose RTP goes on `channel` receives it: the shared bytes on
    /// [`WIRE_CHANNEL`] (no lock, no copy), else a copy for that channel made once.
    pub(crate) fn on(&self, channel: u8) -> Bytes {
        if channel == WIRE_CHANNEL {
            return self.bytes.clone();
        }
        let mut others = self.others.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, b)) = others.iter().find(|(c, _)| *c == channel) {
            return b.clone();
        }
        let mut copy = BytesMut::from(&self.bytes[..]);
        let mut at = 0;
        while at + INTERLEAVED_HEADER_LEN <= copy.len() {
            copy[at + 1] = channel;
            at += INTERLEAVED_HEADER_LEN
                + usize::from(u16::from_be_bytes([copy[at + 2], copy[at + 3]]));
        }
        let copy = copy.freeze();
        others.push((channel, copy.clone()));
        copy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(sizes: &[usize]) -> (Wire, Vec<Bytes>, usize) {
        let mut w = PacketWriter::with_capacity(0, 0);
        for (i, &n) in sizes.iter().enumerate() {
            w.begin();
            w.put_slice(&[0x80, 96, 0, i as u8, 0, 0, 0, 0, 0, 0, 0, 7]);
            w.put_slice(&vec![i as u8; n]);
        }
        let (mut p, mut o) = (0, 0);
        let out = w.finish((&mut p, &mut o));
        assert_eq!(
            (p, o),
            (sizes.len() as u32, sizes.iter().sum::<usize>() as u32)
        );
        out
    }

    /// What a receiver reads off the connection: (channel, packet) of each interleaved frame.
    fn parse(mut b: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let mut out = Vec::new();
        while !b.is_empty() {
            assert_eq!(b[0], b'$');
            let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
            out.push((b[1], b[4..4 + len].to_vec()));
            b = &b[4 + len..];
        }
        out
    }

    #[test]
    fn the_shared_bytes_are_every_packet_behind_its_header() {
        let (wire, packets, rtp_bytes) = frame(&[0, 1, 1400, 3]);
        assert_eq!(packets.len(), 4);
        assert_eq!(rtp_bytes, 4 * 12 + 1404);
        let got = parse(&wire.on(WIRE_CHANNEL));
        let want: Vec<(u8, Vec<u8>)> = packets.iter().map(|p| (0, p.to_vec())).collect();
        assert_eq!(got, want);
        assert_eq!(packets[2].len(), 1412);
        assert_eq!(packets[2][3], 2, "the packet itself, header first");
    }

    #[test]
    fn another_channel_gets_its_own_copy_made_once() {
        let (wire, packets, _) = frame(&[10, 300]);
        let a = wire.on(4);
        let got = parse(&a);
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|(c, _)| *c == 4));
        assert_eq!(got[1].1, packets[1].to_vec());
        assert_eq!(a.as_ptr(), wire.on(4).as_ptr(), "shared by later viewers");
        assert_eq!(parse(&wire.on(0))[0].0, 0, "the shared bytes are untouched");
    }
}

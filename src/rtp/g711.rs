//! G.711 over RTP: PCMU and PCMA (RFC 3551 s4.5.14), sans-IO.
//!
//! - Static payload types 0 (PCMU) and 8 (PCMA), clock rate 8000, one channel (RFC 3551
//!   Table 4): a client needs no `a=rtpmap`, though we send one for clarity (s6).
//! - One octet per sample, no header inside the payload (s4.5.14).
//! - Packets of 20 ms, 160 octets: the default packetization interval (s4.2 "the default
//!   packetization interval SHOULD have a duration of 20 ms"). The SDK delivers frames of
//!   160 samples; a larger frame is split into 20 ms packets, each stamped with the time of
//!   its first sample.

/// Static payload type of G.711 µ-law (RFC 3551 Table 4).
pub(crate) const PCMU: u8 = 0;
/// Static payload type of G.711 A-law.
pub(crate) const PCMA: u8 = 8;
/// G.711's RTP clock: its sampling rate (RFC 3551 s4.5.14).
pub(crate) const CLOCK_RATE: u32 = 8000;
/// Octets in a 20 ms packet (s4.2).
pub(crate) const PACKET_OCTETS: usize = 160;

/// The payloads of one encoded frame: 20 ms pieces (one for a frame of 160 samples), each
/// with the offset of its first sample in the frame (its RTP timestamp's, at 8 kHz).
pub(crate) fn payloads(frame: &[u8]) -> Vec<(u32, Vec<u8>)> {
    frame
        .chunks(PACKET_OCTETS)
        .enumerate()
        .map(|(i, p)| ((i * PACKET_OCTETS) as u32, p.to_vec()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_into_20ms_packets() {
        assert_eq!(payloads(&[1; 160]).len(), 1);
        let p = payloads(&[2; 400]);
        let shape: Vec<_> = p.iter().map(|(ts, d)| (*ts, d.len())).collect();
        assert_eq!(shape, [(0, 160), (160, 160), (320, 80)]);
        assert!(payloads(&[]).is_empty());
    }
}

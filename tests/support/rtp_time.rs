//! RTP times against the wall clock, as a receiver measures sync between tracks: each
//! track's RTP time maps to the sender's wall clock through that track's last RTCP sender
//! report (RFC 3550 s6.4.1: NTP timestamp and the RTP timestamp of the same instant).
//! The A/V and metadata sync tests (rtsp_audio, rtsp_audio_aac, rtsp_metadata) share them.

/// The RTP timestamp of an RTP packet (RFC 3550 s5.1, bytes 4..8).
pub fn rtp_ts(p: &[u8]) -> u32 {
    u32::from_be_bytes(p[4..8].try_into().unwrap())
}

/// (NTP time as seconds since the Unix epoch, RTP time) of a sender report (packet type
/// 200); None for any other RTCP packet.
pub fn sender_report(p: &[u8]) -> Option<(f64, u32)> {
    (p.len() >= 28 && p[1] == 200).then(|| {
        let secs = u32::from_be_bytes(p[8..12].try_into().unwrap());
        let frac = u32::from_be_bytes(p[12..16].try_into().unwrap());
        let ntp = f64::from(secs) + f64::from(frac) / 4_294_967_296.0;
        // NTP counts from 1900, Unix from 1970.
        (ntp - 2_208_988_800.0, rtp_ts(&p[12..]))
    })
}

/// The wall clock of RTP time `ts` through its track's sender report `sr`, at `rate` Hz
/// (the difference taken as signed: `ts` may come before the report).
pub fn wall_of(ts: u32, sr: (f64, u32), rate: f64) -> f64 {
    sr.0 + f64::from(ts.wrapping_sub(sr.1) as i32) / rate
}

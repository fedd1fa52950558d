//! AAC over RTP: RFC 3640 `mpeg4-generic`, mode AAC-hbr, sans-IO.
//!
//! - Mode AAC-hbr (RFC 3640 s3.3.6): each payload is an AU-headers-length field (16 bits,
//!   the length of the AU headers in bits), one 16-bit AU header (13-bit AU-size, 3-bit
//!   AU-Index 0, the `sizelength=13;indexlength=3;indexdeltalength=3` of the SDP) and the
//!   access unit. One access unit per packet: at camera bitrates an AAC frame (1024
//!   samples) is a few hundred bytes, and one per packet keeps a loss to one frame.
//! - An access unit larger than the payload limit is fragmented (s3.2.3): every fragment
//!   repeats the AU header with the size of the whole unit; the marker bit is set on the
//!   last (s3.2.1: "set to 1 to indicate that the RTP packet payload contains the final
//!   fragment of a fragmented Access Unit" and on a packet holding whole units).
//! - The RTP clock is the sampling rate (s3.2.3.1 lets the SDP choose it; the rate is what
//!   every receiver expects), the timestamp that of the unit's first sample.
//! - The SDP carries the AudioSpecificConfig (ISO/IEC 14496-3 s1.6.2.1) in hex as `config`
//!   and `streamtype=5` (audio), `profile-level-id=15` (no audio profile specified beyond
//!   the config, ISO/IEC 14496-3 Table 1.14: 0x0F "High Quality Audio Profile L2" is the
//!   value common encoders write for AAC-LC).

use super::h264::MAX_RTP_PAYLOAD;

/// Dynamic payload type of AAC in our SDP (video is 96, metadata 107).
pub(crate) const PAYLOAD_TYPE: u8 = 97;

/// AAC-LC's audio object type (ISO/IEC 14496-3 Table 1.17).
const AOT_AAC_LC: u8 = 2;

/// The sampling frequencies indexable in an AudioSpecificConfig (ISO/IEC 14496-3
/// Table 1.18), index = position.
const SAMPLE_RATES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/// The parameters of an AAC-LC stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AacConfig {
    pub sample_rate: u32,
    pub channels: u8,
}

impl AacConfig {
    /// The two-byte AudioSpecificConfig of AAC-LC (ISO/IEC 14496-3 s1.6.2.1): object type
    /// (5 bits), sampling frequency index (4), channel configuration (4), then the
    /// GASpecificConfig's frameLengthFlag, dependsOnCoreCoder and extensionFlag, all 0
    /// (1024-sample frames). `None` for a rate without an index.
    pub fn audio_specific_config(&self) -> Option<[u8; 2]> {
        let idx = SAMPLE_RATES.iter().position(|&r| r == self.sample_rate)? as u16;
        if self.channels == 0 || self.channels > 7 {
            return None;
        }
        let v = (u16::from(AOT_AAC_LC) << 11) | (idx << 7) | (u16::from(self.channels) << 3);
        Some(v.to_be_bytes())
    }

    /// `a=rtpmap` and `a=fmtp` of RFC 3640 s4.1 for AAC-hbr.
    pub(crate) fn sdp_attributes(&self) -> String {
        let config = self
            .audio_specific_config()
            .map(|c| format!("{:02X}{:02X}", c[0], c[1]))
            .unwrap_or_default();
        format!(
            "a=rtpmap:{PAYLOAD_TYPE} mpeg4-generic/{}/{}\r\n\
             a=fmtp:{PAYLOAD_TYPE} streamtype=5;profile-level-id=15;mode=AAC-hbr;\
             sizelength=13;indexlength=3;indexdeltalength=3;config={config}\r\n",
            self.sample_rate, self.channels
        )
    }
}

/// Largest access unit the 13-bit AU-size can describe.
pub(crate) const MAX_AU: usize = (1 << 13) - 1;

/// The payloads of one access unit (raw AAC, no ADTS header): (payload, marker) pairs. A
/// unit larger than [`MAX_AU`] cannot be described and is dropped (no payload at all).
pub(crate) fn payloads(au: &[u8]) -> Vec<(Vec<u8>, bool)> {
    payloads_limited(au, MAX_RTP_PAYLOAD)
}

pub(crate) fn payloads_limited(au: &[u8], max_payload: usize) -> Vec<(Vec<u8>, bool)> {
    if au.len() > MAX_AU {
        return Vec::new();
    }
    // AU-headers-length 16 (bits), AU-size in the top 13 bits, AU-Index 0.
    let header = [
        0x00,
        0x10,
        (au.len() >> 5) as u8,
        ((au.len() & 0x1F) << 3) as u8,
    ];
    let room = max_payload.saturating_sub(header.len()).max(1);
    let pieces: Vec<&[u8]> = if au.is_empty() {
        vec![au]
    } else {
        au.chunks(room).collect()
    };
    let last = pieces.len() - 1;
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let mut p = Vec::with_capacity(header.len() + piece.len());
            p.extend_from_slice(&header);
            p.extend_from_slice(piece);
            (p, i == last)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_specific_config_of_common_rates() {
        // Values as ffmpeg writes them (`extradata` of its aac encoder).
        let c = |sample_rate, channels| AacConfig {
            sample_rate,
            channels,
        };
        assert_eq!(c(8000, 1).audio_specific_config(), Some([0x15, 0x88]));
        assert_eq!(c(16000, 1).audio_specific_config(), Some([0x14, 0x08]));
        assert_eq!(c(44100, 2).audio_specific_config(), Some([0x12, 0x10]));
        assert_eq!(c(48000, 2).audio_specific_config(), Some([0x11, 0x90]));
        assert_eq!(c(8001, 1).audio_specific_config(), None);
        assert_eq!(
            c(16000, 1).sdp_attributes(),
            "a=rtpmap:97 mpeg4-generic/16000/1\r\na=fmtp:97 streamtype=5;profile-level-id=15;\
             mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1408\r\n"
        );
    }

    #[test]
    fn one_access_unit_per_packet_with_its_au_header() {
        let au: Vec<u8> = (0..300u16).map(|i| i as u8).collect();
        let p = payloads(&au);
        assert_eq!(p.len(), 1);
        let (payload, marker) = &p[0];
        assert!(marker);
        assert_eq!(&payload[..2], &[0x00, 0x10], "16 bits of AU headers");
        let header = u16::from_be_bytes([payload[2], payload[3]]);
        assert_eq!(
            (header >> 3, header & 7),
            (300, 0),
            "AU-size 300, AU-Index 0"
        );
        assert_eq!(&payload[4..], &au[..]);
    }

    #[test]
    fn a_large_access_unit_is_fragmented_with_the_whole_size() {
        let au = vec![0xAB; 2500];
        let p = payloads_limited(&au, 1000);
        assert_eq!(p.len(), 3);
        assert_eq!(
            p.iter().map(|(_, m)| *m).collect::<Vec<_>>(),
            [false, false, true],
            "marker on the last fragment"
        );
        for (payload, _) in &p {
            assert!(payload.len() <= 1000);
            assert_eq!(u16::from_be_bytes([payload[2], payload[3]]) >> 3, 2500);
        }
        let data: usize = p.iter().map(|(x, _)| x.len() - 4).sum();
        assert_eq!(data, 2500);
        assert!(payloads(&vec![0; MAX_AU + 1]).is_empty());
    }

    /// The access units of an ADTS stream (ISO/IEC 14496-3 s1.A.2.2): (the stream's AAC-LC
    /// parameters from the first header, the raw units).
    fn adts_units(mut data: &[u8]) -> (AacConfig, Vec<&[u8]>) {
        let mut config = None;
        let mut units = Vec::new();
        while data.len() >= 7 {
            assert_eq!(
                (data[0], data[1] & 0xF6),
                (0xFF, 0xF0),
                "ADTS sync, layer 0"
            );
            let protection_absent = data[1] & 1 == 1;
            let object_type = (data[2] >> 6) + 1;
            let rate = SAMPLE_RATES[usize::from((data[2] >> 2) & 0x0F)];
            let channels = ((data[2] & 1) << 2) | (data[3] >> 6);
            let len = (usize::from(data[3] & 3) << 11)
                | (usize::from(data[4]) << 3)
                | usize::from(data[5] >> 5);
            assert_eq!(object_type, AOT_AAC_LC);
            config.get_or_insert(AacConfig {
                sample_rate: rate,
                channels,
            });
            let header = if protection_absent { 7 } else { 9 };
            units.push(&data[header..len]);
            data = &data[len..];
        }
        (config.expect("an ADTS frame"), units)
    }

    /// A capture made with ffmpeg (tests/data/README.md): the SDP's config is what its
    /// headers say, and every unit travels whole, with its size in the AU header and its
    /// timestamp 1024 samples after the last.
    #[test]
    fn an_ffmpeg_capture_packetizes_unit_by_unit() {
        use crate::rtp::audio::{AudioFormat, AudioPacketizer};
        use std::time::{Duration, SystemTime};

        let capture = include_bytes!("../../tests/data/aac-lc-16k-mono.aac");
        let (config, units) = adts_units(capture);
        assert_eq!(
            config,
            AacConfig {
                sample_rate: 16000,
                channels: 1
            }
        );
        assert!(units.len() >= 15, "{} units", units.len());
        assert!(config.sdp_attributes().contains("config=1408"));
        let mut p = AudioPacketizer::with_state(AudioFormat::Aac(config), 7, 100, 0);
        let mut last_ts = None;
        for (i, au) in units.iter().enumerate() {
            let pts = Duration::from_micros(i as u64 * 1024 * 1_000_000 / 16000);
            let f = p.packetize(au, pts, SystemTime::UNIX_EPOCH);
            assert_eq!(f.packets.len(), 1);
            let pkt = &f.packets[0];
            assert_eq!(pkt[1], 0x80 | PAYLOAD_TYPE, "marker and payload type 97");
            let ts = u32::from_be_bytes([pkt[4], pkt[5], pkt[6], pkt[7]]);
            if let Some(last) = last_ts {
                assert_eq!(ts.wrapping_sub(last), 1024);
            }
            last_ts = Some(ts);
            let payload = &pkt[12..];
            assert_eq!(&payload[..2], &[0, 16]);
            assert_eq!(
                usize::from(u16::from_be_bytes([payload[2], payload[3]]) >> 3),
                au.len()
            );
            assert_eq!(&payload[4..], *au);
        }
    }
}

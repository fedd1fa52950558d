//! Replay mode: every channel emits the access units of a recorded Annex-B H.264 file,
//! looping, instead of encoding the test pattern. The file is parsed once at Init.
//!
//! Nothing is decoded to stream it. A snapshot, the one consumer that needs the picture,
//! gets the access unit a channel emitted last, decoded on demand ([`Recording::picture`]):
//! openh264's decoder from the IDR that starts its GOP through it, so a snapshot shows what
//! the viewers see (not the test pattern, which nobody streams in replay mode).

use std::path::Path;
use std::sync::{Arc, Mutex};

use openh264::decoder::Decoder;
use openh264::formats::YUVSource;

use super::annexb;
use super::frame::I420;
use super::sps;

/// One access unit ready to be queued: bare NAL units, SPS and PPS first on keyframes.
#[derive(Debug)]
pub struct ReplayAu {
    pub nals: Vec<Vec<u8>>,
    pub keyframe: bool,
}

/// The parsed recording.
#[derive(Debug)]
pub struct Recording {
    pub aus: Vec<Arc<ReplayAu>>,
    pub width: u32,
    pub height: u32,
    pub profile_idc: u8,
    /// Access units from one IDR to the next (the first spacing; the AU count if there is
    /// only one IDR).
    pub gop: u32,
    /// Average bitrate at `fps`, kbit/s.
    pub bitrate_kbps: u32,
    /// The picture last decoded for a snapshot, by access unit: snapshots while the stream
    /// stands on one access unit decode it once.
    decoded: Mutex<Option<(usize, Arc<I420>)>>,
}

impl Recording {
    pub fn load(path: &Path, fps: u32) -> Result<Recording, String> {
        let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&data, fps)
    }

    pub fn parse(data: &[u8], fps: u32) -> Result<Recording, String> {
        let nals = annexb::split(data);
        let groups = annexb::access_units(&nals);
        let mut sps: Option<Vec<u8>> = None;
        let mut pps: Option<Vec<u8>> = None;
        let mut info = None;
        let mut aus = Vec::new();
        let mut idr_positions = Vec::new();
        let mut bytes = 0usize;
        for group in groups {
            let keyframe = group.iter().any(|n| annexb::nal_type(n) == 5);
            for n in &group {
                match annexb::nal_type(n) {
                    7 => {
                        sps = Some(n.to_vec());
                        info = info.or_else(|| sps::parse(n));
                    }
                    8 => pps = Some(n.to_vec()),
                    _ => {}
                }
            }
            // Start at the first IDR for which the parameter sets are known.
            if aus.is_empty() && !(keyframe && sps.is_some() && pps.is_some()) {
                continue;
            }
            let mut out: Vec<Vec<u8>> = Vec::with_capacity(group.len() + 2);
            if keyframe {
                // The contract promises SPS and PPS first in every IDR access unit; many
                // recordings carry them only once, so repeat the latest ones.
                out.push(sps.clone().unwrap_or_default());
                out.push(pps.clone().unwrap_or_default());
                idr_positions.push(aus.len());
            }
            for n in group {
                let t = annexb::nal_type(n);
                // Drop AUDs, and parameter sets already put first.
                if t == 9 || (keyframe && (t == 7 || t == 8)) {
                    continue;
                }
                out.push(n.to_vec());
            }
            bytes += out.iter().map(|n| n.len()).sum::<usize>();
            aus.push(Arc::new(ReplayAu {
                nals: out,
                keyframe,
            }));
        }
        if aus.is_empty() {
            return Err("no IDR access unit with SPS and PPS in the file".into());
        }
        let info = info.ok_or("SPS not parsable")?;
        let gop = match idr_positions.as_slice() {
            [a, b, ..] => b - a,
            _ => aus.len(),
        } as u32;
        let bitrate_kbps = (bytes as u64 * 8 * fps as u64 / aus.len() as u64 / 1000) as u32;
        Ok(Recording {
            width: info.width,
            height: info.height,
            profile_idc: info.profile_idc,
            gop,
            bitrate_kbps: bitrate_kbps.max(1),
            aus,
            decoded: Mutex::new(None),
        })
    }

    /// The picture of access unit `index` (taken modulo the recording's length): decoded
    /// from the IDR at or before it through it (at most a GOP of access units; P-frames
    /// need their references). Planes cropped to even sizes, as I420 is.
    pub fn picture(&self, index: usize) -> Result<Arc<I420>, String> {
        let index = index % self.aus.len();
        let mut cache = super::lock(&self.decoded);
        if let Some((i, pic)) = cache.as_ref()
            && *i == index
        {
            return Ok(pic.clone());
        }
        // aus[0] is an IDR (parse starts there), so the search always ends.
        let start = (0..=index)
            .rev()
            .find(|&i| self.aus[i].keyframe)
            .unwrap_or(0);
        let mut decoder = Decoder::new().map_err(|e| format!("h264 decoder: {e}"))?;
        let mut annexb = Vec::new();
        let mut last = None;
        for au in &self.aus[start..=index] {
            annexb.clear();
            for nal in &au.nals {
                annexb.extend_from_slice(&[0, 0, 0, 1]);
                annexb.extend_from_slice(nal);
            }
            let yuv = decoder
                .decode(&annexb)
                .map_err(|e| format!("h264 decode: {e}"))?;
            last = yuv.map(|yuv| to_i420(&yuv));
        }
        let pic = Arc::new(last.ok_or("the decoder returned no picture")?);
        *cache = Some((index, pic.clone()));
        Ok(pic)
    }
}

/// Copies a decoded picture (planes with strides) into a tightly packed I420.
fn to_i420(yuv: &impl YUVSource) -> I420 {
    let (w, h) = yuv.dimensions();
    let (sy, su, sv) = yuv.strides();
    let mut img = I420::new(w & !1, h & !1);
    let (w, h) = (img.width, img.height);
    let (y, u, v) = img.planes_mut();
    for (plane, src, stride, pw, ph) in [
        (y, yuv.y(), sy, w, h),
        (u, yuv.u(), su, w / 2, h / 2),
        (v, yuv.v(), sv, w / 2, h / 2),
    ] {
        for r in 0..ph {
            plane[r * pw..][..pw].copy_from_slice(&src[r * stride..][..pw]);
        }
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_the_test_file() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/testsrc2-640x360-baseline.h264");
        let r = Recording::load(&path, 25).unwrap();
        assert_eq!((r.width, r.height, r.profile_idc), (640, 360, 66));
        assert_eq!(r.aus.len(), 50);
        assert_eq!(r.gop, 25);
        assert!(r.aus[0].keyframe && r.aus[25].keyframe && !r.aus[1].keyframe);
        let types: Vec<u8> = r.aus[25].nals.iter().map(|n| annexb::nal_type(n)).collect();
        assert_eq!(&types[..2], &[7, 8]);
        assert!(types.contains(&5));
    }

    #[test]
    fn skips_to_the_first_idr() {
        let sps = [
            0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00, 0x03,
            0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0f, 0x16, 0x2e, 0x48,
        ];
        let mut data = vec![0, 0, 0, 1, 0x41, 0x9a, 0, 0, 0, 1, 0x41, 0x9a]; // two P frames
        data.extend_from_slice(&[0, 0, 0, 1]);
        data.extend_from_slice(&sps);
        data.extend_from_slice(&[0, 0, 0, 1, 0x68, 0xce, 0, 0, 0, 1, 0x65, 0x88, 0x84]);
        data.extend_from_slice(&[0, 0, 0, 1, 0x41, 0x9a]);
        let r = Recording::parse(&data, 25).unwrap();
        assert_eq!(r.aus.len(), 2);
        assert!(r.aus[0].keyframe);
        assert!(Recording::parse(&[0, 0, 1, 0x41, 0x9a], 25).is_err());
    }
}

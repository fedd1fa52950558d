//! Fragmented MP4 (CMAF, ISO/IEC 23000-19) for one H.264 video track and, when the profile's
//! audio is AAC, one AAC-LC audio track: the initialization segment (`ftyp` + `moov`) and
//! media fragments (`moof` + `mdat`), written with `super::isobmff`'s box writer.
//!
//! Choices, each the CMAF/HLS rule behind it:
//! - timescale 90 kHz, the RTP clock of the same frames, so both paths share one timing;
//! - samples carry their own duration, size and flags in `trun` (no defaults), and
//!   `default-base-is-moof` with a `data_offset` into the `mdat` right after (CMAF s7.3.2.3);
//! - `avc1`: SPS/PPS in `avcC`; they also stay in-band in IDR samples, which decoders
//!   accept, so a sample is the access unit as the encoder made it (less AUDs);
//! - audio (ISO/IEC 14496-14 s5.6, `mp4a` with an `esds` whose DecoderSpecificInfo is the
//!   AudioSpecificConfig of ISO/IEC 14496-3 s1.6.2.1): timescale = the sample rate, each
//!   sample one raw AAC access unit of 1024 samples, `smhd`;
//! - both tracks in one fragment: a second `traf` in the same `moof`, the audio bytes after
//!   the video's in the one `mdat` (ISO/IEC 14496-12 s8.8.4: a `moof` holds a `traf` per
//!   track). A muxed segment is what Apple's HLS authoring spec calls a muxed variant: Safari
//!   plays it natively, hls.js (its passthrough remuxer reads every `traf` of the `moof`)
//!   feeds it to one `audiovideo` MSE SourceBuffer, and Chromium's MSE ISO-BMFF parser
//!   accepts several tracks per fragment (tests/web_chromium.rs plays it). One `moof` per
//!   part keeps a part one request and audio cut exactly where the video part is cut.

use bytes::Bytes;

use super::isobmff::{
    Boxes, TRUN_DATA_OFFSET, TRUN_DURATION, TRUN_FIRST_SAMPLE_FLAGS, TRUN_FLAGS, TRUN_SIZE,
};
use crate::frame::{Frame, nal_type};
use crate::rtp::aac::AacConfig;

/// Media timescale (ticks per second) of the video track.
pub(crate) const TIMESCALE: u32 = 90_000;
const TRACK_ID: u32 = 1;
/// The audio track's ID, when there is one.
const AUDIO_TRACK_ID: u32 = 2;
/// Samples per AAC-LC access unit (ISO/IEC 14496-3 s4.5.1.1: frameLengthFlag 0, the
/// AudioSpecificConfig [`AacConfig`] writes).
pub(crate) const AAC_FRAME_SAMPLES: u32 = 1024;
/// RFC 6381 s3.3 codec string of AAC-LC: `mp4a`, the MPEG-4 Audio objectTypeIndication
/// (0x40) and the audio object type (2).
pub(crate) const AAC_LC_CODEC: &str = "mp4a.40.2";
/// objectTypeIndication "Audio ISO/IEC 14496-3" and streamType "AudioStream" (ISO/IEC
/// 14496-1 Tables 5 and 6).
const OTI_MPEG4_AUDIO: u8 = 0x40;
const STREAM_TYPE_AUDIO: u8 = 0x05;

/// The audio track of the initialization segment: an AAC-LC stream whose
/// AudioSpecificConfig exists (its sample rate has an index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AudioParams {
    pub(crate) config: AacConfig,
    asc: [u8; 2],
}

impl AudioParams {
    /// `None` for a configuration without an AudioSpecificConfig (no sample-rate index).
    pub(crate) fn new(config: AacConfig) -> Option<Self> {
        Some(AudioParams {
            config,
            asc: config.audio_specific_config()?,
        })
    }

    /// The track's timescale: its sample rate.
    pub(crate) fn timescale(&self) -> u32 {
        self.config.sample_rate
    }
}

/// What the initialization segment describes, from the stream's SPS and PPS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackParams {
    pub(crate) sps: Bytes,
    pub(crate) pps: Bytes,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

/// The SPS is not one this muxer can describe.
#[derive(Debug, thiserror::Error)]
#[error("unusable SPS: {0}")]
pub(crate) struct BadSps(String);

impl TrackParams {
    /// Parses the SPS (ITU-T H.264 s7.3.2.1.1) for the picture size.
    pub(crate) fn new(sps: Bytes, pps: Bytes) -> Result<Self, BadSps> {
        if sps.len() < 4 {
            return Err(BadSps("too short".into()));
        }
        let rbsp = h264_reader::rbsp::decode_nal(&sps).map_err(|e| BadSps(format!("{e:?}")))?;
        let parsed = h264_reader::nal::sps::SeqParameterSet::from_bits(
            h264_reader::rbsp::BitReader::new(&rbsp[..]),
        )
        .map_err(|e| BadSps(format!("{e:?}")))?;
        let (width, height) = parsed
            .pixel_dimensions()
            .map_err(|e| BadSps(format!("{e:?}")))?;
        Ok(TrackParams {
            sps,
            pps,
            width,
            height,
        })
    }

    /// RFC 6381 s3.3 codec string: `avc1.PPCCLL` from the SPS's profile, constraint flags
    /// and level bytes.
    pub(crate) fn codec(&self) -> String {
        format!(
            "avc1.{:02x}{:02x}{:02x}",
            self.sps[1], self.sps[2], self.sps[3]
        )
    }
}

/// The initialization segment: `ftyp` (CMAF brands) and a `moov` with one video track (and
/// the audio track if `audio`) and an `mvex` announcing fragments.
pub(crate) fn init_segment(p: &TrackParams, audio: Option<&AudioParams>) -> Bytes {
    let mut out = Boxes::with_capacity(1024);
    out.ftyp(b"iso6", &[b"iso6", b"cmfc", b"mp41"]);
    let moov = out.open(b"moov");
    let last_track = if audio.is_some() {
        AUDIO_TRACK_ID
    } else {
        TRACK_ID
    };
    out.mvhd(1000, last_track + 1);
    let mvex = out.open(b"mvex");
    out.trex(TRACK_ID);
    if audio.is_some() {
        out.trex(AUDIO_TRACK_ID);
    }
    out.close(mvex);
    video_trak(&mut out, p);
    if let Some(a) = audio {
        audio_trak(&mut out, a);
    }
    out.close(moov);
    Bytes::from(out.into_vec())
}

/// What a `trak` says of its track beside its sample entry.
struct Track {
    id: u32,
    /// 8.8 fixed point: 1.0 for audio, 0 for video.
    volume: u16,
    width: u16,
    height: u16,
    timescale: u32,
    /// `vide` (with a `vmhd`) or `soun` (with an `smhd`).
    handler: &'static [u8; 4],
    name: &'static str,
}

/// A `trak` of a fragmented track: `tkhd`, `mdia` with its headers, and a `stbl` of the one
/// sample entry `entry` writes and empty tables (the samples are in the fragments).
fn trak(out: &mut Boxes, t: &Track, entry: impl FnOnce(&mut Boxes)) {
    let trak = out.open(b"trak");
    out.tkhd(t.id, t.volume, t.width, t.height);
    let mdia = out.open(b"mdia");
    out.mdhd(t.timescale);
    out.hdlr(t.handler, t.name);
    let minf = out.open(b"minf");
    if t.handler == b"vide" {
        out.vmhd();
    } else {
        out.smhd();
    }
    out.dinf();
    let stbl = out.open(b"stbl");
    let stsd = out.open_full(b"stsd", 0, 0);
    out.u32(1); // entry_count
    entry(out);
    out.close(stsd);
    out.empty_sample_tables();
    out.close(stbl);
    out.close(minf);
    out.close(mdia);
    out.close(trak);
}

/// The video `trak`: `avc1` + `avcC` (ISO/IEC 14496-15 s5.4), timescale [`TIMESCALE`].
fn video_trak(out: &mut Boxes, p: &TrackParams) {
    let (w, h) = (
        p.width.min(u16::MAX as u32) as u16,
        p.height.min(u16::MAX as u32) as u16,
    );
    let track = Track {
        id: TRACK_ID,
        volume: 0,
        width: w,
        height: h,
        timescale: TIMESCALE,
        handler: b"vide",
        name: "nvt video",
    };
    trak(out, &track, |out| {
        // VisualSampleEntry (ISO/IEC 14496-12 s12.1.3).
        let avc1 = out.open(b"avc1");
        out.sample_entry_head();
        out.bytes(&[0; 16]); // pre_defined, reserved
        out.u16(w);
        out.u16(h);
        out.u32(0x0048_0000); // horizresolution: 72 dpi
        out.u32(0x0048_0000); // vertresolution
        out.u32(0); // reserved
        out.u16(1); // frame_count
        // compressorname: a length byte and the name, padded to 32 bytes.
        let name = b"nvt";
        out.u8(name.len() as u8);
        out.bytes(name);
        out.bytes(&[0; 31][..31 - name.len()]);
        out.u16(0x0018); // depth
        out.u16(0xffff); // pre_defined = -1
        // AVCDecoderConfigurationRecord (ISO/IEC 14496-15 s5.3.3.1). Its High-profile
        // extension is left out, as for Baseline and Main (s5.3.3.1.2 makes it optional).
        let avcc = out.open(b"avcC");
        out.u8(1); // configurationVersion
        out.bytes(&p.sps[1..4]); // profile, compatibility, level
        out.u8(0xfc | 3); // lengthSizeMinusOne: 4-byte NAL lengths
        out.u8(0xe0 | 1); // one SPS
        out.u16(p.sps.len() as u16);
        out.bytes(&p.sps);
        out.u8(1); // one PPS
        out.u16(p.pps.len() as u16);
        out.bytes(&p.pps);
        out.close(avcc);
        out.close(avc1);
    });
}

/// The audio `trak`: `mp4a` + `esds` (ISO/IEC 14496-14 s5.6.1), timescale = the sample rate
/// so every AAC frame lasts exactly [`AAC_FRAME_SAMPLES`] ticks.
fn audio_trak(out: &mut Boxes, a: &AudioParams) {
    let track = Track {
        id: AUDIO_TRACK_ID,
        volume: 0x0100,
        width: 0,
        height: 0,
        timescale: a.timescale(),
        handler: b"soun",
        name: "nvt audio",
    };
    trak(out, &track, |out| {
        // AudioSampleEntry (ISO/IEC 14496-12 s12.2.3).
        let mp4a = out.open(b"mp4a");
        out.sample_entry_head();
        out.bytes(&[0; 8]); // reserved
        out.u16(u16::from(a.config.channels));
        out.u16(16); // samplesize
        out.u32(0); // pre_defined, reserved
        // 16.16 fixed point: rates above 65535 Hz do not fit, and the esds's config is what
        // decoders read (ISO/IEC 14496-14 s5.6.1 leaves this field to the ASC).
        out.u32(a.config.sample_rate.min(u32::from(u16::MAX)) << 16);
        // ES_Descriptor > DecoderConfigDescriptor > DecoderSpecificInfo (the
        // AudioSpecificConfig), then the SLConfigDescriptor (ISO/IEC 14496-1 s7.2.6).
        let esds = out.open_full(b"esds", 0, 0);
        let es = out.open_descriptor(0x03);
        out.u16(AUDIO_TRACK_ID as u16); // ES_ID
        out.u8(0); // no dependency, URL or OCR stream
        let config = out.open_descriptor(0x04);
        out.u8(OTI_MPEG4_AUDIO);
        out.u8(STREAM_TYPE_AUDIO << 2 | 1); // upStream 0, reserved 1
        out.bytes(&[0; 3]); // bufferSizeDB
        out.u32(0); // maxBitrate
        out.u32(0); // avgBitrate
        let specific = out.open_descriptor(0x05);
        out.bytes(&a.asc);
        out.close_descriptor(specific);
        out.close_descriptor(config);
        let sl = out.open_descriptor(0x06);
        out.u8(2); // predefined: MP4 files
        out.close_descriptor(sl);
        out.close_descriptor(es);
        out.close(esds);
        out.close(mp4a);
    });
}

/// The audio of a fragment: raw AAC access units (no ADTS header), each
/// [`AAC_FRAME_SAMPLES`] long, the first decoded at `decode_time` (audio timescale ticks).
#[derive(Clone, Copy, Debug)]
pub(crate) struct AudioRun<'a> {
    pub(crate) decode_time: u64,
    pub(crate) units: &'a [Bytes],
}

/// One sample (access unit) of a fragment.
#[derive(Clone, Debug)]
pub(crate) struct Sample {
    pub(crate) frame: std::sync::Arc<Frame>,
    /// Duration in [`TIMESCALE`] ticks.
    pub(crate) duration: u32,
}

/// `sample_flags` (ISO/IEC 14496-12 s8.8.3.1): sync samples depend on nothing; others
/// depend on earlier ones and are non-sync.
const SYNC_FLAGS: u32 = 0x0200_0000;
const NON_SYNC_FLAGS: u32 = 0x0101_0000;

/// The NAL units that go into a sample: all but access unit delimiters, which MP4 omits
/// (ISO/IEC 14496-15 s5.3.1).
fn sample_nals(frame: &Frame) -> impl Iterator<Item = &Bytes> {
    frame
        .nals
        .iter()
        .filter(|n| n.first().map(|b| b & 0x1f) != Some(nal_type::AUD))
}

fn sample_size(frame: &Frame) -> usize {
    sample_nals(frame).map(|n| 4 + n.len()).sum()
}

/// A media fragment (`moof` + `mdat`) of `samples`, the first decoded at `decode_time`
/// ticks, and of `audio` if it has any units (a second `traf`, its bytes after the
/// video's); `sequence` is the `mfhd` sequence number (increasing per fragment).
pub(crate) fn fragment(
    sequence: u32,
    decode_time: u64,
    samples: &[Sample],
    audio: Option<AudioRun<'_>>,
) -> Bytes {
    let audio = audio.filter(|a| !a.units.is_empty());
    let video_bytes: usize = samples.iter().map(|s| sample_size(&s.frame)).sum();
    let audio_bytes: usize = audio.map_or(0, |a| a.units.iter().map(Bytes::len).sum());
    let video_run = samples.iter().map(|s| {
        let flags = if s.frame.keyframe {
            SYNC_FLAGS
        } else {
            NON_SYNC_FLAGS
        };
        (s.duration, sample_size(&s.frame) as u32, flags)
    });
    let mut out = Boxes::with_capacity(256 + 16 * samples.len() + video_bytes + audio_bytes);
    let moof = out.open(b"moof");
    out.mfhd(sequence);
    let video_offset = traf(&mut out, TRACK_ID, decode_time, samples.len(), video_run);
    let audio_offset = audio.map(|a| {
        let run = a
            .units
            .iter()
            .map(|u| (AAC_FRAME_SAMPLES, u.len() as u32, SYNC_FLAGS));
        traf(&mut out, AUDIO_TRACK_ID, a.decode_time, a.units.len(), run)
    });
    out.close(moof);
    // `default-base-is-moof`: data offsets count from the moof's first byte, which is the
    // buffer's; the data starts after the moof and the 8-byte mdat header.
    let data = out.len() + 8;
    out.patch_u32(video_offset, data as u32);
    if let Some(at) = audio_offset {
        out.patch_u32(at, (data + video_bytes) as u32);
    }
    out.u32((8 + video_bytes + audio_bytes) as u32);
    out.bytes(b"mdat");
    for s in samples {
        for nal in sample_nals(&s.frame) {
            out.u32(nal.len() as u32);
            out.bytes(nal);
        }
    }
    for u in audio.iter().flat_map(|a| a.units) {
        out.bytes(u);
    }
    Bytes::from(out.into_vec())
}

/// A `traf` of one track's run (duration, size, flags per sample): `tfhd`, `tfdt`, `trun`
/// (version 1). Returns where the `trun`'s data offset is, to be filled in once the `moof`'s
/// size is known. A run of one sample gives its flags as `first_sample_flags`, as
/// `mp4-atom` did, so the bytes are what players have been fed.
fn traf(
    out: &mut Boxes,
    track_id: u32,
    decode_time: u64,
    count: usize,
    run: impl Iterator<Item = (u32, u32, u32)>,
) -> usize {
    let traf = out.open(b"traf");
    out.tfhd(track_id);
    out.tfdt(decode_time);
    let first_only = count == 1;
    let per_sample = match count {
        // No samples: no per-sample fields to announce.
        0 => 0,
        1 => TRUN_DURATION | TRUN_SIZE | TRUN_FIRST_SAMPLE_FLAGS,
        _ => TRUN_DURATION | TRUN_SIZE | TRUN_FLAGS,
    };
    let trun = out.open_full(b"trun", 1, TRUN_DATA_OFFSET | per_sample);
    out.u32(count as u32);
    let offset_at = out.len();
    out.u32(0); // data_offset, patched by the caller
    for (i, (duration, size, flags)) in run.enumerate() {
        if first_only && i == 0 {
            out.u32(flags);
        }
        out.u32(duration);
        out.u32(size);
        if !first_only {
            out.u32(flags);
        }
    }
    out.close(trun);
    out.close(traf);
    offset_at
}

#[cfg(test)]
mod tests {
    use super::*;
    use mp4_atom::{Decode, Ftyp, Moof, Moov};
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    // What `mp4-atom` wrote before `super::super::isobmff` replaced it: the reference the
    // writer is checked against.
    use mp4_atom::esds::{DecoderConfig, DecoderSpecific, EsDescriptor, SLConfig};
    use mp4_atom::{
        Audio, Avc1, Avcc, Dinf, Dref, Encode, Esds, Hdlr, Mdhd, Mdia, Mfhd, Minf, Mp4a, Mvex,
        Mvhd, Smhd, Stbl, Stco, Stsc, Stsd, Stsz, Stts, Tfdt, Tfhd, Tkhd, Traf, Trak, Trex, Trun,
        TrunEntry, Url, Visual, Vmhd,
    };

    fn reference_init_segment(p: &TrackParams, audio: Option<&AudioParams>) -> Bytes {
        let ftyp = Ftyp {
            major_brand: b"iso6".into(),
            minor_version: 0,
            compatible_brands: vec![b"iso6".into(), b"cmfc".into(), b"mp41".into()],
        };
        let (w, h) = (
            p.width.min(u16::MAX as u32) as u16,
            p.height.min(u16::MAX as u32) as u16,
        );
        let avc1 = Avc1 {
            visual: Visual {
                data_reference_index: 1,
                width: w,
                height: h,
                compressor: "nvt".into(),
                ..Default::default()
            },
            avcc: Avcc {
                configuration_version: 1,
                avc_profile_indication: p.sps[1],
                profile_compatibility: p.sps[2],
                avc_level_indication: p.sps[3],
                length_size: 4,
                sequence_parameter_sets: vec![p.sps.to_vec()],
                picture_parameter_sets: vec![p.pps.to_vec()],
                // The extension is for High profiles and up only (ISO/IEC 14496-15 s5.3.3.1.2).
                ext: None,
            },
            btrt: None,
            colr: None,
            pasp: None,
            taic: None,
            fiel: None,
        };
        let mut moov = Moov {
            mvhd: Mvhd {
                timescale: 1000,
                rate: 1.into(),
                volume: 1.into(),
                next_track_id: TRACK_ID + 1,
                matrix: Default::default(),
                ..Default::default()
            },
            mvex: Some(Mvex {
                mehd: None,
                trex: vec![Trex {
                    track_id: TRACK_ID,
                    default_sample_description_index: 1,
                    ..Default::default()
                }],
            }),
            trak: vec![reference_trak(
                Tkhd {
                    track_id: TRACK_ID,
                    enabled: true,
                    in_movie: true,
                    width: w.into(),
                    height: h.into(),
                    matrix: Default::default(),
                    ..Default::default()
                },
                TIMESCALE,
                b"vide",
                "nvt video",
                avc1.into(),
            )],
            ..Default::default()
        };
        if let Some(a) = audio {
            moov.mvhd.next_track_id = AUDIO_TRACK_ID + 1;
            if let Some(mvex) = moov.mvex.as_mut() {
                mvex.trex.push(Trex {
                    track_id: AUDIO_TRACK_ID,
                    default_sample_description_index: 1,
                    ..Default::default()
                });
            }
            moov.trak.push(reference_audio_trak(a));
        }
        let mut out = Vec::with_capacity(1024);
        // Encoding into a Vec cannot run out of room; the boxes above are all well-formed.
        ftyp.encode(&mut out).expect("ftyp encodes");
        moov.encode(&mut out).expect("moov encodes");
        Bytes::from(out)
    }

    fn reference_audio_trak(a: &AudioParams) -> Trak {
        let mp4a = Mp4a {
            audio: Audio {
                data_reference_index: 1,
                channel_count: u16::from(a.config.channels),
                sample_size: 16,
                // 16.16 fixed point: rates above 65535 Hz do not fit, and the esds's config is
                // what decoders read (ISO/IEC 14496-14 s5.6.1 leaves this field to the ASC).
                sample_rate: (a.config.sample_rate.min(u32::from(u16::MAX)) as u16).into(),
            },
            esds: Esds {
                es_desc: EsDescriptor {
                    es_id: AUDIO_TRACK_ID as u16,
                    dec_config: DecoderConfig {
                        object_type_indication: OTI_MPEG4_AUDIO,
                        stream_type: STREAM_TYPE_AUDIO,
                        up_stream: 0,
                        buffer_size_db: Default::default(),
                        max_bitrate: 0,
                        avg_bitrate: 0,
                        dec_specific: Some(DecoderSpecific {
                            profile: a.asc[0] >> 3,
                            freq_index: ((a.asc[0] & 7) << 1) | (a.asc[1] >> 7),
                            chan_conf: (a.asc[1] >> 3) & 0x0f,
                            raw: a.asc.to_vec(),
                        }),
                    },
                    sl_config: SLConfig {},
                },
            },
            btrt: None,
            taic: None,
        };
        reference_trak(
            Tkhd {
                track_id: AUDIO_TRACK_ID,
                enabled: true,
                in_movie: true,
                volume: 1.into(),
                matrix: Default::default(),
                ..Default::default()
            },
            a.timescale(),
            b"soun",
            "nvt audio",
            mp4a.into(),
        )
    }

    /// A `trak` as the muxer's were built with mp4-atom: the media header by the handler.
    fn reference_trak(
        tkhd: Tkhd,
        timescale: u32,
        handler: &[u8; 4],
        name: &str,
        codec: mp4_atom::Codec,
    ) -> Trak {
        let video = handler == b"vide";
        Trak {
            tkhd,
            mdia: Mdia {
                mdhd: Mdhd {
                    timescale,
                    language: "und".into(),
                    ..Default::default()
                },
                hdlr: Hdlr {
                    handler: handler.into(),
                    name: name.into(),
                },
                minf: Minf {
                    vmhd: video.then(Vmhd::default),
                    smhd: (!video).then(Smhd::default),
                    dinf: Dinf {
                        dref: Dref {
                            urls: vec![Url::default()],
                        },
                    },
                    stbl: Stbl {
                        stsd: Stsd {
                            codecs: vec![codec],
                        },
                        stts: Stts::default(),
                        stsc: Stsc::default(),
                        stsz: Stsz::default(),
                        stco: Some(Stco::default()),
                        ..Default::default()
                    },
                    ..Default::default()
                },
            },
            ..Default::default()
        }
    }

    /// The `moof` mp4-atom wrote for a fragment (the `mdat` after it was always written by hand).
    fn reference_moof(
        sequence: u32,
        decode_time: u64,
        samples: &[Sample],
        audio: Option<AudioRun<'_>>,
    ) -> Vec<u8> {
        let audio = audio.filter(|a| !a.units.is_empty());
        let entries: Vec<TrunEntry> = samples
            .iter()
            .map(|s| TrunEntry {
                duration: Some(s.duration),
                size: Some(sample_size(&s.frame) as u32),
                flags: Some(if s.frame.keyframe {
                    SYNC_FLAGS
                } else {
                    NON_SYNC_FLAGS
                }),
                cts: None,
            })
            .collect();
        let mut moof = Moof {
            mfhd: Mfhd {
                sequence_number: sequence,
            },
            traf: vec![Traf {
                tfhd: Tfhd {
                    track_id: TRACK_ID,
                    default_base_is_moof: true,
                    ..Default::default()
                },
                tfdt: Some(Tfdt {
                    base_media_decode_time: decode_time,
                }),
                trun: vec![Trun {
                    data_offset: Some(0),
                    entries,
                }],
                ..Default::default()
            }],
        };
        let video_bytes: usize = samples.iter().map(|s| sample_size(&s.frame)).sum();
        if let Some(a) = audio {
            moof.traf.push(Traf {
                tfhd: Tfhd {
                    track_id: AUDIO_TRACK_ID,
                    default_base_is_moof: true,
                    ..Default::default()
                },
                tfdt: Some(Tfdt {
                    base_media_decode_time: a.decode_time,
                }),
                trun: vec![Trun {
                    data_offset: Some(0),
                    entries: a
                        .units
                        .iter()
                        .map(|u| TrunEntry {
                            duration: Some(AAC_FRAME_SAMPLES),
                            size: Some(u.len() as u32),
                            flags: Some(SYNC_FLAGS),
                            cts: None,
                        })
                        .collect(),
                }],
                ..Default::default()
            });
        }
        let mut head = Vec::new();
        moof.encode(&mut head).expect("moof encodes");
        // The data starts after the moof and the 8-byte mdat header; the offset's value does not
        // change the moof's size, so a second encoding gives the final box.
        moof.traf[0].trun[0].data_offset = Some(head.len() as i32 + 8);
        if audio.is_some() {
            moof.traf[1].trun[0].data_offset = Some((head.len() + 8 + video_bytes) as i32);
        }
        head.clear();
        moof.encode(&mut head).expect("moof encodes");
        head
    }

    // The SPS/PPS of tests/data/baseline-640x360-25fps.h264.
    const SPS: &[u8] = &[
        0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00,
        0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0f, 0x16, 0x2e, 0x48,
    ];
    const PPS: &[u8] = &[0x68, 0xcb, 0x83, 0xcb, 0x20];

    fn params() -> TrackParams {
        TrackParams::new(Bytes::from_static(SPS), Bytes::from_static(PPS)).unwrap()
    }

    #[test]
    fn sps_gives_size_and_codec() {
        let p = params();
        assert_eq!((p.width, p.height), (640, 360));
        assert_eq!(p.codec(), "avc1.42c01e");
        assert!(TrackParams::new(Bytes::from_static(&[0x67, 1]), Bytes::new()).is_err());
    }

    #[test]
    fn init_segment_round_trips() {
        let init = init_segment(&params(), None);
        let mut buf = std::io::Cursor::new(&init[..]);
        let ftyp = Ftyp::decode(&mut buf).unwrap();
        assert_eq!(ftyp.major_brand, b"iso6".into());
        let moov = Moov::decode(&mut buf).unwrap();
        assert_eq!(moov.trak[0].mdia.mdhd.timescale, TIMESCALE);
        assert!(moov.mvex.is_some());
    }

    /// A frame of an AUD and one slice of `len` bytes (an IDR if `key`).
    fn frame(key: bool, len: usize) -> Arc<Frame> {
        Arc::new(Frame {
            channel: 0,
            seq: 0,
            pts: Duration::ZERO,
            wallclock: SystemTime::now(),
            keyframe: key,
            nals: vec![
                Bytes::from_static(&[0x09, 0xf0]),
                Bytes::from(vec![if key { 0x65 } else { 0x41 }; len]),
            ],
        })
    }

    #[test]
    fn fragment_offsets_point_at_samples() {
        let samples = [
            Sample {
                frame: frame(true, 100),
                duration: 3600,
            },
            Sample {
                frame: frame(false, 100),
                duration: 3600,
            },
        ];
        let frag = fragment(7, 90_000, &samples, None);
        let mut buf = std::io::Cursor::new(&frag[..]);
        let moof = Moof::decode(&mut buf).unwrap();
        assert_eq!(moof.mfhd.sequence_number, 7);
        let trun = &moof.traf[0].trun[0];
        let off = trun.data_offset.unwrap() as usize;
        // First sample: a 4-byte length then the IDR slice (the AUD is gone).
        assert_eq!(&frag[off..off + 5], &[0, 0, 0, 100, 0x65]);
        assert_eq!(trun.entries[0].size, Some(104));
        assert_eq!(trun.entries[1].flags, Some(NON_SYNC_FLAGS));
        assert_eq!(frag.len(), off + 208);
        assert_eq!(&frag[off - 4..off], b"mdat");
    }

    fn aac16k() -> AudioParams {
        AudioParams::new(AacConfig {
            sample_rate: 16_000,
            channels: 1,
        })
        .unwrap()
    }

    #[test]
    fn init_segment_with_audio_has_an_mp4a_track() {
        let init = init_segment(&params(), Some(&aac16k()));
        let mut buf = std::io::Cursor::new(&init[..]);
        Ftyp::decode(&mut buf).unwrap();
        let moov = Moov::decode(&mut buf).unwrap();
        assert_eq!(moov.trak.len(), 2);
        assert_eq!(moov.mvhd.next_track_id, 3);
        let trex: Vec<u32> = moov.mvex.unwrap().trex.iter().map(|t| t.track_id).collect();
        assert_eq!(trex, [1, 2]);
        let a = &moov.trak[1];
        assert_eq!(a.tkhd.track_id, AUDIO_TRACK_ID);
        assert_eq!(a.mdia.mdhd.timescale, 16_000);
        assert_eq!(a.mdia.hdlr.handler, b"soun".into());
        assert!(a.mdia.minf.smhd.is_some() && a.mdia.minf.vmhd.is_none());
        let mp4_atom::Codec::Mp4a(mp4a) = &a.mdia.minf.stbl.stsd.codecs[0] else {
            panic!("not mp4a: {:?}", a.mdia.minf.stbl.stsd.codecs[0]);
        };
        assert_eq!(mp4a.audio.channel_count, 1);
        let dc = &mp4a.esds.es_desc.dec_config;
        assert_eq!((dc.object_type_indication, dc.stream_type), (0x40, 5));
        // AAC-LC (2), 16 kHz (index 8), mono: 00010 1000 0001 000 (ISO/IEC 14496-3 s1.6.2.1).
        let asc = dc.dec_specific.as_ref().unwrap();
        assert_eq!(asc.raw, [0x14, 0x08]);
        assert_eq!((asc.profile, asc.freq_index, asc.chan_conf), (2, 8, 1));
        // No ASC for a rate without an index: no audio track.
        assert!(
            AudioParams::new(AacConfig {
                sample_rate: 12_345,
                channels: 1
            })
            .is_none()
        );
    }

    #[test]
    fn fragment_with_audio_has_a_second_traf_after_the_video_bytes() {
        let frame = Arc::new(Frame {
            channel: 0,
            seq: 0,
            pts: Duration::ZERO,
            wallclock: SystemTime::now(),
            keyframe: true,
            nals: vec![Bytes::from(vec![0x65; 50])],
        });
        let units = [Bytes::from(vec![0xa1; 30]), Bytes::from(vec![0xa2; 40])];
        let frag = fragment(
            1,
            0,
            &[Sample {
                frame,
                duration: 3600,
            }],
            Some(AudioRun {
                decode_time: 16_000,
                units: &units,
            }),
        );
        let mut buf = std::io::Cursor::new(&frag[..]);
        let moof = Moof::decode(&mut buf).unwrap();
        assert_eq!(moof.traf.len(), 2);
        let a = &moof.traf[1];
        assert_eq!(a.tfhd.track_id, AUDIO_TRACK_ID);
        assert_eq!(a.tfdt.as_ref().unwrap().base_media_decode_time, 16_000);
        let trun = &a.trun[0];
        let off = trun.data_offset.unwrap() as usize;
        assert_eq!(off, moof.traf[0].trun[0].data_offset.unwrap() as usize + 54);
        assert_eq!(&frag[off..off + 30], &[0xa1; 30]);
        assert_eq!(&frag[off + 30..], &[0xa2; 40]);
        let sizes: Vec<_> = trun.entries.iter().map(|e| e.size).collect();
        assert_eq!(sizes, [Some(30), Some(40)]);
        assert!(trun.entries.iter().all(|e| e.duration == Some(1024)));
        // No units: no audio traf at all.
        let frag = fragment(
            2,
            0,
            &[],
            Some(AudioRun {
                decode_time: 0,
                units: &[],
            }),
        );
        let moof = Moof::decode(&mut std::io::Cursor::new(&frag[..])).unwrap();
        assert_eq!(moof.traf.len(), 1);
    }

    fn decode_init(b: &[u8]) -> (Ftyp, Moov) {
        let mut buf = std::io::Cursor::new(b);
        let ftyp = Ftyp::decode(&mut buf).unwrap();
        let moov = Moov::decode(&mut buf).unwrap();
        assert_eq!(buf.position() as usize, b.len(), "bytes after the moov");
        (ftyp, moov)
    }

    #[test]
    fn init_segments_are_what_mp4_atom_wrote() {
        for audio in [None, Some(aac16k())] {
            let ours = init_segment(&params(), audio.as_ref());
            let reference = reference_init_segment(&params(), audio.as_ref());
            // The same boxes; `minf` in the standard's order (ISO/IEC 14496-12 s8.4.4:
            // the media header first), where mp4-atom put it last.
            assert_eq!(ours.len(), reference.len());
            assert_eq!(
                decode_init(&ours),
                decode_init(&reference),
                "audio {audio:?}"
            );
        }
    }

    #[test]
    fn fragments_are_what_mp4_atom_wrote() {
        let units = [Bytes::from(vec![0xa1; 30]), Bytes::from(vec![0xa2; 40])];
        let samples: Vec<Sample> = (0..3)
            .map(|i| Sample {
                frame: frame(i == 0, 100 + i),
                duration: 3600,
            })
            .collect();
        for n in 0..=3 {
            for audio_units in [&units[..0], &units[..1], &units[..]] {
                let audio = Some(AudioRun {
                    decode_time: 16_000 * 3600,
                    units: audio_units,
                });
                let time = 90_000 * 3600 * 24;
                let ours = fragment(9, time, &samples[..n], audio);
                let moof = reference_moof(9, time, &samples[..n], audio);
                // The moof byte for byte: the box order and every field are mp4-atom's.
                assert!(
                    ours[..moof.len()] == moof[..],
                    "{n} samples, {} audio units:\n{:02x?}\n{:02x?}",
                    audio_units.len(),
                    &ours[..moof.len()],
                    &moof
                );
                // Then the mdat: every sample's NAL units with 4-byte lengths, the AUDs
                // left out, then the audio units.
                let mut mdat = Vec::new();
                for s in &samples[..n] {
                    for nal in &s.frame.nals[1..] {
                        mdat.extend_from_slice(&(nal.len() as u32).to_be_bytes());
                        mdat.extend_from_slice(nal);
                    }
                }
                audio_units.iter().for_each(|u| mdat.extend_from_slice(u));
                let rest = &ours[moof.len()..];
                assert_eq!(rest[..4], ((8 + mdat.len()) as u32).to_be_bytes());
                assert_eq!(&rest[4..8], b"mdat");
                assert!(rest[8..] == mdat[..], "mdat of {n} samples");
            }
        }
    }
}

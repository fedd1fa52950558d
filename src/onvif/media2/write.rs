//! Media 2's writes as camera-core changes: `tr2:ConfigurationRef` lists as
//! [`ConfigRef`]s and [`ConfigKind`]s, `tt:VideoEncoder2Configuration` as an
//! [`EncoderRequest`] (bitrate clamped, left-out values kept), and a refused change as the
//! Media2 fault. Only translation: every rule is the camera core's (`camera::change`), the
//! same Media 1's writes are held to.

use crate::camera::ChangeError;
use crate::camera::change::{
    BitrateMode, ConfigKind, ConfigRef, EncoderRequest, H264Request, RateRequest,
};
use crate::onvif::generated::{tr2, tt};
use crate::onvif::media::{change_fault, multicast_from_tt};
use crate::sdk::{Codec, H264Profile};
use crate::soap::{Code, Fault};

use super::render;

/// What a `tr2:ConfigurationRef@Type` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RefType {
    /// A kind nvt's profiles hold.
    Kind(ConfigKind),
    /// `All`: ignored by CreateProfile and AddConfiguration, every kind for
    /// RemoveConfiguration.
    All,
    /// A kind of `tr2:ConfigurationEnumeration` the device has no configuration of
    /// (analytics, receiver), or a value the enumeration does not have.
    None,
}

impl RefType {
    pub(crate) fn parse(s: &str) -> RefType {
        match s.trim() {
            "VideoSource" => RefType::Kind(ConfigKind::VideoSource),
            "VideoEncoder" => RefType::Kind(ConfigKind::VideoEncoder),
            "AudioSource" => RefType::Kind(ConfigKind::AudioSource),
            "AudioEncoder" => RefType::Kind(ConfigKind::AudioEncoder),
            "Metadata" => RefType::Kind(ConfigKind::Metadata),
            "PTZ" => RefType::Kind(ConfigKind::Ptz),
            "AudioOutput" => RefType::Kind(ConfigKind::AudioOutput),
            "AudioDecoder" => RefType::Kind(ConfigKind::AudioDecoder),
            "All" => RefType::All,
            _ => RefType::None,
        }
    }
}

fn no_config(reason: String) -> Fault {
    Fault::invalid_arg_val(Some("NoConfig"), reason)
}

/// Media spec, AddPTZConfiguration's fault on a device without a head (Media 1 answers the
/// same; Media 2 names none of its own for it).
pub(crate) fn no_ptz(reason: impl Into<String>) -> Fault {
    Fault::new(
        Code::Receiver,
        &["ActionNotSupported", "PTZNotSupported"],
        reason.into(),
    )
}

/// CreateProfile's and AddConfiguration's list as references to add (Media2 spec: entries
/// of type `All` "shall be ignored"). A type the device has no configuration of is NoConfig
/// ("One of the provided configurations ... does not exist"); PTZ on a device without a head
/// is PTZNotSupported, as Media 1's AddPTZConfiguration answers; audio on a device without a
/// microphone (`audio` false) is NoConfig: it lists no audio configurations. The tokens are
/// the core's to check.
pub(crate) fn to_add(
    list: &[tr2::ConfigurationRef],
    ptz: bool,
    audio: bool,
) -> Result<Vec<ConfigRef>, Fault> {
    let mut out = Vec::with_capacity(list.len());
    for r in list {
        match RefType::parse(&r.type_) {
            RefType::All => {}
            RefType::None => {
                return Err(no_config(format!(
                    "the device has no {} configuration{}",
                    r.type_.trim(),
                    r.token
                        .as_deref()
                        .map(|t| format!(" {t:?}"))
                        .unwrap_or_default()
                )));
            }
            RefType::Kind(ConfigKind::Ptz) if !ptz => {
                return Err(no_ptz("the device has no PTZ head"));
            }
            RefType::Kind(ConfigKind::AudioSource | ConfigKind::AudioEncoder) if !audio => {
                return Err(no_config(format!(
                    "the device has no microphone: no {} configuration",
                    r.type_.trim()
                )));
            }
            RefType::Kind(kind) => out.push(ConfigRef {
                kind,
                token: r.token.clone(),
            }),
        }
    }
    Ok(out)
}

/// RemoveConfiguration's list as the kinds to remove (Media2 spec: tokens "shall be
/// ignored", `All` empties the profile, "Removing a non-existing configuration shall be
/// ignored": a kind the device has none of removes nothing).
pub(crate) fn to_remove(list: &[tr2::ConfigurationRef]) -> Vec<ConfigKind> {
    let mut kinds = Vec::new();
    for r in list {
        match RefType::parse(&r.type_) {
            RefType::All => return ConfigKind::ALL.to_vec(),
            RefType::Kind(k) if !kinds.contains(&k) => kinds.push(k),
            RefType::Kind(_) | RefType::None => {}
        }
    }
    kinds
}

/// `tt:VideoEncodingProfiles` of an H.264 profile the SDK has; Err: the name, for the
/// refusal (Extended, or no H.264 profile at all).
fn h264_profile(name: &str) -> Result<H264Profile, String> {
    [H264Profile::Baseline, H264Profile::Main, H264Profile::High]
        .into_iter()
        .find(|&p| render::profile_name(p) == name.trim())
        .ok_or_else(|| name.to_owned())
}

/// SetVideoEncoderConfiguration's request as a change. Media 2 differs from Media 1 in what
/// it may leave out (GovLength, Profile, ConstantBitRate, Multicast, the whole RateControl:
/// the stored values are kept; it has no SessionTimeout) and in the bitrate, which is
/// clamped into range (Media2 spec, "Set<entity>Configuration"). The encoding is a MIME name
/// (`tt:VideoEncodingMimeNames`); only H.264 is streamed.
pub(crate) fn encoder_request(c: &tt::VideoEncoder2Configuration) -> Result<EncoderRequest, Fault> {
    let codec = match c.encoding.trim() {
        render::H264 => Some(Codec::H264),
        "JPEG" => Some(Codec::Mjpeg),
        _ => None,
    };
    let multicast = match &c.multicast {
        Some(m) => Some(multicast_from_tt(m)?),
        None => None,
    };
    Ok(EncoderRequest {
        token: c.token.clone(),
        name: c.name.clone(),
        codec,
        codec_label: c.encoding.clone(),
        guaranteed_frame_rate: c.guaranteed_frame_rate == Some(true),
        width: c.resolution.width,
        height: c.resolution.height,
        quality: c.quality,
        rate: c.rate_control.as_ref().map(|rc| RateRequest {
            fps: rc.frame_rate_limit,
            // Media 2 has no EncodingInterval: every frame the rate allows.
            encoding_interval: 1,
            bitrate_kbps: rc.bitrate_limit,
        }),
        h264: Some(H264Request {
            gov_length: c.gov_length,
            profile: c.profile.as_deref().map(h264_profile),
        }),
        constant_bit_rate: c.rate_control.as_ref().and_then(|rc| rc.constant_bit_rate),
        multicast,
        session_timeout_secs: None,
        bitrate: BitrateMode::Clamp,
    })
}

/// The Media2 fault for a refused change: the subcodes are Media 1's (the Media2 spec names
/// the same ones), but for a fixed profile, which Media 2 gives as a Sender fault
/// (`env:Sender/ter:Action/ter:DeletionOfFixedProfile`, "DeleteProfile").
pub(crate) fn fault(e: ChangeError, invalid: fn(String) -> Fault) -> Fault {
    match e {
        ChangeError::FixedProfile(t) => Fault::new(
            Code::Sender,
            &["Action", "DeletionOfFixedProfile"],
            format!("profile {t:?} is fixed"),
        ),
        e => change_fault(e, invalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(ty: &str, token: Option<&str>) -> tr2::ConfigurationRef {
        tr2::ConfigurationRef {
            type_: ty.into(),
            token: token.map(String::from),
        }
    }

    #[test]
    fn references_to_add() {
        let list = [
            r("VideoSource", Some("vsc0")),
            r("All", None),
            r("VideoEncoder", None),
            r("PTZ", Some("ptz_0")),
        ];
        let refs = to_add(&list, true, true).unwrap();
        assert_eq!(
            refs,
            [
                ConfigRef {
                    kind: ConfigKind::VideoSource,
                    token: Some("vsc0".into())
                },
                ConfigRef {
                    kind: ConfigKind::VideoEncoder,
                    token: None
                },
                ConfigRef {
                    kind: ConfigKind::Ptz,
                    token: Some("ptz_0".into())
                },
            ]
        );
        let f = to_add(&list, false, true).unwrap_err();
        assert_eq!(f.subcodes, ["ActionNotSupported", "PTZNotSupported"]);
        let audio = [r("AudioSource", None), r("AudioEncoder", Some("aenc0"))];
        assert_eq!(to_add(&audio, false, true).unwrap().len(), 2);
        let f = to_add(&audio, false, false).unwrap_err();
        assert_eq!(f.subcodes, ["InvalidArgVal", "NoConfig"]);
        for ty in ["Analytics", "Receiver", "Bogus"] {
            let f = to_add(&[r(ty, Some("a"))], true, true).unwrap_err();
            assert_eq!(f.subcodes, ["InvalidArgVal", "NoConfig"], "{ty}");
        }
    }

    #[test]
    fn kinds_to_remove() {
        use ConfigKind::*;
        assert_eq!(
            to_remove(&[
                r("Metadata", Some("ignored")),
                r("Analytics", None),
                r("Metadata", None)
            ]),
            [Metadata]
        );
        assert_eq!(
            to_remove(&[r("PTZ", None), r("All", None)]),
            ConfigKind::ALL
        );
        assert_eq!(to_remove(&[r("AudioDecoder", None)]), [AudioDecoder]);
        assert!(to_remove(&[r("Receiver", None)]).is_empty());
    }

    #[test]
    fn the_encoder_request_keeps_what_is_left_out_and_clamps_the_bitrate() {
        let s = crate::settings::Settings::default();
        let mut c = render::encoder(&s, "venc_main").unwrap();
        let req = encoder_request(&c).unwrap();
        assert_eq!(req.codec, Some(Codec::H264));
        assert_eq!(req.bitrate, BitrateMode::Clamp);
        assert_eq!(req.session_timeout_secs, None);
        assert_eq!(req.constant_bit_rate, Some(true));
        let h = req.h264.as_ref().unwrap();
        assert_eq!(
            (h.gov_length, h.profile.clone()),
            (Some(50), Some(Ok(H264Profile::Main)))
        );
        c.gov_length = None;
        c.profile = Some("Extended".into());
        c.multicast = None;
        c.encoding = "H265".into();
        let req = encoder_request(&c).unwrap();
        let h = req.h264.as_ref().unwrap();
        assert_eq!(
            (h.gov_length, h.profile.clone()),
            (None, Some(Err("Extended".into())))
        );
        assert_eq!((req.codec, req.multicast), (None, None));
        c.profile = None;
        c.rate_control = None;
        let req = encoder_request(&c).unwrap();
        assert_eq!((req.rate, req.constant_bit_rate), (None, None));
        assert_eq!(req.h264.unwrap().profile, None);
    }

    #[test]
    fn a_fixed_profile_is_a_sender_fault() {
        let f = fault(ChangeError::FixedProfile("main".into()), |r| {
            Fault::invalid_arg_val(None, r)
        });
        assert_eq!(f.code, Code::Sender);
        assert_eq!(f.subcodes, ["Action", "DeletionOfFixedProfile"]);
        let f = fault(ChangeError::MaxProfiles, |r| {
            Fault::invalid_arg_val(None, r)
        });
        assert_eq!(f.subcodes, ["Action", "MaxNVTProfiles"]);
    }
}

//! The OSD operations Media 2 and Media 1 share (Media2 s."OSD", Media s."OSD"): one
//! translation of `tt:OSDConfiguration` to the camera core's [`OsdRequest`] and back, the
//! options, the listing and the fault of a refused change. Both services' methods only
//! delegate here.
//!
//! What is offered (GetOSDOptions): Type Text only (Plain, Date, Time, DateAndTime), the five
//! position types, FontSize 8..64, font and background colours in YCbCr or RGB 0..255 with
//! Transparent 0..100, the schema's date and time formats, as many OSDs per video source as
//! the SDK has regions. An Image OSD is refused with ConfigModify ("the configuration
//! parameters are not possible to set"): the SDK blends bitmaps but nvt has no image store
//! (GetOSDOptions lists no ImageOption, so no client is offered one). Values a client leaves
//! out are adapted (Media2 s."CreateOSD": "may be adapted to the appropriate value"): Plain
//! text empty, DateFormat `yyyy-MM-dd`, TimeFormat `HH:mm:ss`, a Custom position without Pos
//! at the window's upper-left corner. IsPersistentText is not kept: every text persists
//! (TemporaryOSDText is false).

use std::sync::Arc;

use crate::camera::change::{OsdChange, OsdRequest};
use crate::camera::{Change, ChangeError, Core, Outcome};
use crate::onvif::generated::tt;
use crate::osd::{
    Colour, ColourSpace, Content, DATE_FORMATS, FONT_SIZE_RANGE, MAX_TRANSPARENT, Position,
    TIME_FORMATS, TextStyle,
};
use crate::sdk::OsdInfo;
use crate::settings::{OsdConfig, Settings};
use crate::soap::{Code, Fault};

/// Which service asks: the specifications give ConfigModify different codes (Media2:
/// env:Receiver, Media 1: env:Sender).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Service {
    Media,
    Media2,
}

/// DateFormat and TimeFormat of a configuration that names none.
const DEFAULT_DATE: &str = "yyyy-MM-dd";
const DEFAULT_TIME: &str = "HH:mm:ss";

fn no_config(what: &str, token: &str) -> Fault {
    Fault::invalid_arg_val(Some("NoConfig"), format!("no {what} {token:?}"))
}

fn config_modify(service: Service, reason: impl Into<String>) -> Fault {
    let code = match service {
        Service::Media => Code::Sender,
        Service::Media2 => Code::Receiver,
    };
    Fault::new(code, &["InvalidArgVal", "ConfigModify"], reason.into())
}

/// The fault of a refused OSD change.
fn change_fault(service: Service, e: ChangeError) -> Fault {
    match e {
        ChangeError::NoConfig(t) => no_config("configuration", &t),
        ChangeError::Invalid(r) => config_modify(service, r),
        ChangeError::MaxOsds(n) => {
            Fault::action("MaxOSDs", format!("at most {n} OSDs on this video source"))
        }
        e => Fault::new(Code::Receiver, &["Action"], e.to_string()),
    }
}

fn colour(service: Service, c: &tt::OSDColor) -> Result<Colour, Fault> {
    let space = ColourSpace::from_uri(c.color.colorspace.as_deref()).ok_or_else(|| {
        config_modify(
            service,
            format!("colour space {:?} is not offered", c.color.colorspace),
        )
    })?;
    let transparent = u32::try_from(c.transparent.unwrap_or(0)).map_err(|_| {
        config_modify(
            service,
            format!("Transparent outside 0..={MAX_TRANSPARENT}"),
        )
    })?;
    Ok(Colour {
        space,
        x: c.color.x,
        y: c.color.y,
        z: c.color.z,
        transparent,
    })
}

fn position(service: Service, p: &tt::OSDPosConfiguration) -> Result<Position, Fault> {
    Ok(match p.type_.trim() {
        "UpperLeft" => Position::UpperLeft,
        "UpperRight" => Position::UpperRight,
        "LowerLeft" => Position::LowerLeft,
        "LowerRight" => Position::LowerRight,
        "Custom" => {
            let v = p.pos.clone().unwrap_or(tt::Vector { x: -1.0, y: 1.0 });
            Position::Custom { x: v.x, y: v.y }
        }
        other => {
            return Err(config_modify(
                service,
                format!("position type {other:?} is not offered"),
            ));
        }
    })
}

/// A `tt:OSDConfiguration` as the camera core's request (values checked by its plan).
pub(crate) fn request(service: Service, c: &tt::OSDConfiguration) -> Result<OsdRequest, Fault> {
    if c.type_ != tt::OSDType::Text {
        return Err(config_modify(
            service,
            format!("OSD type {:?} is not offered (Text only)", c.type_),
        ));
    }
    let t = c
        .text_string
        .as_ref()
        .ok_or_else(|| config_modify(service, "a Text OSD needs its TextString"))?;
    let date = || t.date_format.clone().unwrap_or_else(|| DEFAULT_DATE.into());
    let time = || t.time_format.clone().unwrap_or_else(|| DEFAULT_TIME.into());
    let content = match t.type_.trim() {
        "Plain" => Content::Plain(t.plain_text.clone().unwrap_or_default()),
        "Date" => Content::Date(date()),
        "Time" => Content::Time(time()),
        "DateAndTime" => Content::DateAndTime {
            date: date(),
            time: time(),
        },
        other => {
            return Err(config_modify(
                service,
                format!("text type {other:?} is not offered"),
            ));
        }
    };
    let font_size = t
        .font_size
        .map(|s| u32::try_from(s).map_err(|_| config_modify(service, format!("FontSize {s}"))))
        .transpose()?;
    Ok(OsdRequest {
        token: c.token.clone(),
        video_source: c.video_source_configuration_token.value.clone(),
        position: position(service, &c.position)?,
        text: TextStyle {
            content,
            font_size,
            font_colour: t
                .font_color
                .as_ref()
                .map(|f| colour(service, f))
                .transpose()?,
            background: (t.background_color.as_ref())
                .map(|b| colour(service, b))
                .transpose()?,
        },
    })
}

fn tt_colour(c: &Colour) -> tt::OSDColor {
    tt::OSDColor {
        transparent: Some(c.transparent as i32),
        color: tt::Color {
            x: c.x,
            y: c.y,
            z: c.z,
            colorspace: Some(c.space.uri().to_owned()),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A stored OSD as `tt:OSDConfiguration`.
pub(crate) fn to_tt(o: &OsdConfig) -> tt::OSDConfiguration {
    let (pos_type, pos) = match o.position {
        Position::Custom { x, y } => ("Custom", Some(tt::Vector { x, y })),
        p => (p.name(), None),
    };
    let text = &o.text;
    let (kind, date, time, plain) = match &text.content {
        Content::Plain(t) => ("Plain", None, None, Some(t.clone())),
        Content::Date(d) => ("Date", Some(d.clone()), None, None),
        Content::Time(t) => ("Time", None, Some(t.clone()), None),
        Content::DateAndTime { date, time } => {
            ("DateAndTime", Some(date.clone()), Some(time.clone()), None)
        }
    };
    tt::OSDConfiguration {
        token: o.token.clone(),
        video_source_configuration_token: tt::OSDReference {
            value: o.video_source.clone(),
            ..Default::default()
        },
        type_: tt::OSDType::Text,
        position: tt::OSDPosConfiguration {
            type_: pos_type.to_owned(),
            pos,
            ..Default::default()
        },
        text_string: Some(tt::OSDTextConfiguration {
            type_: kind.to_owned(),
            date_format: date,
            time_format: time,
            font_size: text.font_size.map(|s| s as i32),
            font_color: text.font_colour.as_ref().map(tt_colour),
            background_color: text.background.as_ref().map(tt_colour),
            plain_text: plain,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// GetOSDs (Media2: by OSD token, by video source configuration token, or all; Media 1: by
/// video source configuration token or all). An unknown token of either kind is NoConfig.
pub(crate) fn list(
    s: &Settings,
    osd: Option<&str>,
    configuration: Option<&str>,
) -> Result<Vec<tt::OSDConfiguration>, Fault> {
    if let Some(t) = osd
        && s.osd(t).is_none()
    {
        return Err(no_config("OSD", t));
    }
    if let Some(t) = configuration
        && !s.media.video_sources.iter().any(|v| v.token == t)
    {
        return Err(no_config("video source configuration", t));
    }
    Ok((s.media.osd.iter())
        .filter(|o| osd.is_none_or(|t| o.token == t))
        .filter(|o| configuration.is_none_or(|t| o.video_source == t))
        .map(to_tt)
        .collect())
}

/// Media 1 GetOSD: one OSD by its token.
pub(crate) fn one(s: &Settings, token: &str) -> Result<tt::OSDConfiguration, Fault> {
    s.osd(token)
        .map(to_tt)
        .ok_or_else(|| no_config("OSD", token))
}

fn float_range(min: f32, max: f32) -> tt::FloatRange {
    tt::FloatRange { min, max }
}

/// Every colour nvt takes: both spaces, 0..=255 per component, Transparent 0..=100.
fn colour_options() -> tt::OSDColorOptions {
    let range = |space: ColourSpace| tt::ColorspaceRange {
        x: float_range(0.0, 255.0),
        y: float_range(0.0, 255.0),
        z: float_range(0.0, 255.0),
        colorspace: space.uri().to_owned(),
        ..Default::default()
    };
    tt::OSDColorOptions {
        color: Some(tt::ColorOptions {
            colorspace_range: vec![range(ColourSpace::YCbCr), range(ColourSpace::Rgb)],
            ..Default::default()
        }),
        transparent: Some(tt::IntRange {
            min: 0,
            max: MAX_TRANSPARENT as i32,
        }),
        ..Default::default()
    }
}

/// GetOSDOptions of the video source configuration `token` (NoConfig if there is none):
/// what the plan accepts (see the module doc), with the region count of its source.
pub(crate) fn options(core: &Core, token: &str) -> Result<tt::OSDConfigurationOptions, Fault> {
    let s = core.store().get();
    let vsc = (s.media.video_sources.iter())
        .find(|v| v.token == token)
        .ok_or_else(|| no_config("video source configuration", token))?;
    let camera = core
        .camera()
        .ok_or_else(|| Fault::new(Code::Receiver, &["Action"], "the camera is stopping"))?;
    let info: OsdInfo = camera.facts().osd(vsc.source);
    Ok(tt::OSDConfigurationOptions {
        maximum_number_of_os_ds: tt::MaximumNumberOfOSDs {
            total: info.max_regions as i32,
            ..Default::default()
        },
        type_: vec![tt::OSDType::Text],
        position_option: Position::NAMES.iter().map(|p| p.to_string()).collect(),
        text_option: Some(tt::OSDTextOptions {
            type_: Content::NAMES.iter().map(|t| t.to_string()).collect(),
            font_size_range: Some(tt::IntRange {
                min: FONT_SIZE_RANGE.0 as i32,
                max: FONT_SIZE_RANGE.1 as i32,
            }),
            date_format: DATE_FORMATS.iter().map(|f| f.to_string()).collect(),
            time_format: TIME_FORMATS.iter().map(|f| f.to_string()).collect(),
            font_color: Some(colour_options()),
            background_color: Some(colour_options()),
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// CreateOSD: the new OSD's token.
pub(crate) async fn create(
    core: &Arc<Core>,
    service: Service,
    c: &tt::OSDConfiguration,
) -> Result<String, Fault> {
    let req = request(service, c)?;
    match core.apply(Change::Osd(OsdChange::Create(req))).await {
        Ok(Outcome::OsdCreated(token)) => Ok(token),
        Ok(other) => Err(Fault::new(
            Code::Receiver,
            &["Action"],
            format!("CreateOSD produced {other:?}"),
        )),
        Err(e) => Err(change_fault(service, e)),
    }
}

/// SetOSD.
pub(crate) async fn set(
    core: &Arc<Core>,
    service: Service,
    c: &tt::OSDConfiguration,
) -> Result<(), Fault> {
    // An unknown OSD is NoConfig whatever else is wrong with the request.
    if core.store().get().osd(&c.token).is_none() {
        return Err(no_config("OSD", &c.token));
    }
    let req = request(service, c)?;
    (core.apply(Change::Osd(OsdChange::Set(req))).await)
        .map(|_| ())
        .map_err(|e| change_fault(service, e))
}

/// DeleteOSD.
pub(crate) async fn delete(core: &Arc<Core>, service: Service, token: &str) -> Result<(), Fault> {
    (core
        .apply(Change::Osd(OsdChange::Delete(token.to_owned())))
        .await)
        .map(|_| ())
        .map_err(|e| change_fault(service, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_osd(kind: &str) -> tt::OSDConfiguration {
        tt::OSDConfiguration {
            token: "x".into(),
            video_source_configuration_token: tt::OSDReference {
                value: "vsc0".into(),
                ..Default::default()
            },
            type_: tt::OSDType::Text,
            position: tt::OSDPosConfiguration {
                type_: "Custom".into(),
                pos: Some(tt::Vector { x: 0.5, y: -0.25 }),
                ..Default::default()
            },
            text_string: Some(tt::OSDTextConfiguration {
                type_: kind.into(),
                plain_text: Some("Gate 3".into()),
                font_size: Some(24),
                font_color: Some(tt::OSDColor {
                    transparent: Some(10),
                    color: tt::Color {
                        x: 1.0,
                        y: 2.0,
                        z: 3.0,
                        colorspace: Some(ColourSpace::RGB_URI.into()),
                        ..Default::default()
                    },
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_configuration_round_trips_through_the_model() {
        for kind in ["Plain", "Date", "Time", "DateAndTime"] {
            let req = request(Service::Media2, &text_osd(kind)).unwrap();
            let stored = OsdConfig {
                token: "osd_0".into(),
                video_source: req.video_source.clone(),
                position: req.position,
                text: req.text.clone(),
            };
            let back = to_tt(&stored);
            let again = request(Service::Media, &back).unwrap();
            assert_eq!((again.position, &again.text), (req.position, &req.text));
            assert_eq!(back.video_source_configuration_token.value, "vsc0");
        }
        let r = request(Service::Media2, &text_osd("DateAndTime")).unwrap();
        assert_eq!(
            r.text.content,
            Content::DateAndTime {
                date: DEFAULT_DATE.into(),
                time: DEFAULT_TIME.into()
            }
        );
        assert_eq!(r.position, Position::Custom { x: 0.5, y: -0.25 });
        assert_eq!(r.text.font_colour.unwrap().space, ColourSpace::Rgb);
    }

    #[test]
    fn what_is_not_offered_is_config_modify() {
        let mut image = text_osd("Plain");
        image.type_ = tt::OSDType::Image;
        let f = request(Service::Media2, &image).unwrap_err();
        assert_eq!(
            (f.code, f.subcodes.as_slice()),
            (Code::Receiver, &["InvalidArgVal", "ConfigModify"][..])
        );
        let f = request(Service::Media, &image).unwrap_err();
        assert_eq!(f.code, Code::Sender);
        let mut bad = text_osd("Marquee");
        assert!(request(Service::Media2, &bad).is_err());
        bad = text_osd("Plain");
        bad.position.type_ = "Middle".into();
        assert!(request(Service::Media2, &bad).is_err());
        bad = text_osd("Plain");
        bad.text_string
            .as_mut()
            .unwrap()
            .font_color
            .as_mut()
            .unwrap()
            .color
            .colorspace = Some("http://www.onvif.org/ver10/colorspace/HSV".into());
        assert!(request(Service::Media2, &bad).is_err());
        bad = text_osd("Plain");
        bad.text_string = None;
        assert!(request(Service::Media2, &bad).is_err());
    }

    #[test]
    fn listing_filters_and_faults_unknown_tokens() {
        let mut s = Settings::default();
        for n in 0..2 {
            let req = request(Service::Media2, &text_osd("Plain")).unwrap();
            s.media.osd.push(OsdConfig {
                token: format!("osd_{n}"),
                video_source: req.video_source,
                position: req.position,
                text: req.text,
            });
        }
        assert_eq!(list(&s, None, None).unwrap().len(), 2);
        assert_eq!(list(&s, Some("osd_1"), None).unwrap()[0].token, "osd_1");
        assert_eq!(list(&s, None, Some("vsc0")).unwrap().len(), 2);
        let f = list(&s, Some("osd_7"), None).unwrap_err();
        assert_eq!(f.subcodes, ["InvalidArgVal", "NoConfig"]);
        let f = list(&s, None, Some("vsc7")).unwrap_err();
        assert_eq!(f.subcodes, ["InvalidArgVal", "NoConfig"]);
        assert!(one(&s, "osd_0").is_ok() && one(&s, "nope").is_err());
    }
}

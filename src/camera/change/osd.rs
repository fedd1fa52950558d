//! On-screen texts: CreateOSD, SetOSD and DeleteOSD (Media2 s."OSD", Media s."OSD") planned
//! against the overlay unit of the video source they are shown on.
//!
//! An OSD belongs to a video source configuration; the SDK's regions belong to the video
//! source under it, so the count of OSDs a source may have is its `OsdInfo::max_regions`,
//! shared by every configuration of that source (MaxOSDs past it). The values are held to
//! what GetOSDOptions offers (`osd::TextStyle::check`, `Position::check`; ConfigModify
//! otherwise), and the text is laid out once here, so one the hardware could not show is
//! refused before anything is written. The core then shows the committed OSDs
//! (`camera::osd`).

use crate::osd::{self, LocalTime, Position, TextStyle};
use crate::settings::{OsdConfig, Settings};

use super::super::caps::Facts;
use super::error::ChangeError;

/// CreateOSD's and SetOSD's values (`tt:OSDConfiguration` of Type Text).
#[derive(Clone, Debug, PartialEq)]
pub struct OsdRequest {
    /// SetOSD: the OSD changed. CreateOSD: ignored (Media2: "OSD token in CreateOSDRequest
    /// can be ignored"; the device assigns one).
    pub(crate) token: String,
    /// The video source configuration the OSD is shown in.
    pub(crate) video_source: String,
    pub(crate) position: Position,
    pub(crate) text: TextStyle,
}

/// The OSD operations that change settings.
#[derive(Clone, Debug, PartialEq)]
pub enum OsdChange {
    Create(OsdRequest),
    Set(OsdRequest),
    Delete(String),
}

/// Plans `change`; CreateOSD returns the new OSD's token.
pub(crate) fn osd(
    facts: Facts<'_>,
    next: &mut Settings,
    change: OsdChange,
    now_unix_ms: i64,
) -> Result<Option<String>, ChangeError> {
    match change {
        OsdChange::Delete(token) => {
            let before = next.media.osd.len();
            next.media.osd.retain(|o| o.token != token);
            if next.media.osd.len() == before {
                return Err(ChangeError::NoConfig(token));
            }
            Ok(None)
        }
        OsdChange::Create(req) => {
            let token = new_token(next);
            check(facts, next, &req, None, now_unix_ms)?;
            next.media.osd.push(OsdConfig {
                token: token.clone(),
                video_source: req.video_source,
                position: req.position,
                text: req.text,
            });
            Ok(Some(token))
        }
        OsdChange::Set(req) => {
            if next.osd(&req.token).is_none() {
                return Err(ChangeError::NoConfig(req.token));
            }
            check(facts, next, &req, Some(&req.token), now_unix_ms)?;
            let o = (next.media.osd.iter_mut())
                .find(|o| o.token == req.token)
                .expect("found above");
            o.video_source = req.video_source;
            o.position = req.position;
            o.text = req.text;
            Ok(None)
        }
    }
}

/// `osd_N`, the first N not taken.
fn new_token(s: &Settings) -> String {
    (0..)
        .map(|n| format!("osd_{n}"))
        .find(|t| s.osd(t).is_none())
        .expect("fewer OSDs than numbers")
}

/// The request against the options and its source's overlay; `replacing`: the OSD a SetOSD
/// changes (it frees its own region).
fn check(
    facts: Facts<'_>,
    s: &Settings,
    req: &OsdRequest,
    replacing: Option<&str>,
    now_unix_ms: i64,
) -> Result<(), ChangeError> {
    let vsc = (s.media.video_sources.iter())
        .find(|v| v.token == req.video_source)
        .ok_or_else(|| ChangeError::NoConfig(req.video_source.clone()))?;
    let info = facts.osd(vsc.source);
    let on_source = shown_on(s, vsc.source)
        .filter(|o| Some(o.token.as_str()) != replacing)
        .count();
    if on_source >= info.max_regions as usize {
        return Err(ChangeError::MaxOsds(info.max_regions));
    }
    req.text.check().map_err(ChangeError::Invalid)?;
    req.position.check().map_err(ChangeError::Invalid)?;
    let source = facts
        .sources
        .get(vsc.source as usize)
        .ok_or_else(|| ChangeError::NoSource(vsc.token.clone()))?;
    let b = vsc.bounds;
    let window = osd::Window {
        x: b.x,
        y: b.y,
        width: b.width,
        height: b.height,
    };
    osd::render(
        &req.text,
        req.position,
        &LocalTime::from_unix_ms(now_unix_ms),
        (source.width, source.height),
        window,
        &info,
    )
    .map_err(|e| ChangeError::Invalid(format!("the OSD cannot be shown: {e}")))?;
    Ok(())
}

/// The OSDs shown on video source `vi`, in the settings' order: the n-th is SDK region n of
/// the source (`camera::osd`).
pub(crate) fn shown_on(s: &Settings, vi: u32) -> impl Iterator<Item = &OsdConfig> {
    s.media.osd.iter().filter(move |o| {
        (s.media.video_sources.iter()).any(|v| v.token == o.video_source && v.source == vi)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::change::ptz_tests::Hw;
    use crate::camera::change::{Change, Context, Outcome, plan};
    use crate::osd::{Colour, ColourSpace, Content};
    use crate::sdk::OsdInfo;

    const INFO: OsdInfo = OsdInfo {
        max_regions: 2,
        max_width: 1280,
        max_height: 720,
        align_x: 2,
        align_y: 2,
        alpha_levels: 256,
    };

    fn req(token: &str, text: &str) -> OsdRequest {
        OsdRequest {
            token: token.into(),
            video_source: "vsc0".into(),
            position: Position::UpperLeft,
            text: TextStyle {
                content: Content::Plain(text.into()),
                font_size: Some(16),
                font_colour: Some(Colour {
                    space: ColourSpace::YCbCr,
                    x: 235.0,
                    y: 128.0,
                    z: 128.0,
                    transparent: 0,
                }),
                background: None,
            },
        }
    }

    fn run(
        hw: &Hw,
        osd: &[OsdInfo],
        s: &Settings,
        change: OsdChange,
    ) -> Result<(Settings, Outcome), ChangeError> {
        let facts = Facts { osd, ..hw.facts() };
        let ctx = Context {
            facts: Some(facts),
            now_unix_ms: 0,
        };
        plan(s, &ctx, Change::Osd(change))
    }

    #[test]
    fn create_set_delete_within_the_regions_of_the_source() {
        let hw = Hw::new(vec![None]);
        let s = Settings::default();
        let (s, out) = run(&hw, &[INFO], &s, OsdChange::Create(req("ignored", "a"))).unwrap();
        assert_eq!(out, Outcome::OsdCreated("osd_0".into()));
        let (s, out) = run(&hw, &[INFO], &s, OsdChange::Create(req("", "b"))).unwrap();
        assert_eq!(out, Outcome::OsdCreated("osd_1".into()));
        assert_eq!(
            run(&hw, &[INFO], &s, OsdChange::Create(req("", "c"))).unwrap_err(),
            ChangeError::MaxOsds(2)
        );
        // A SetOSD frees its own region: no MaxOSDs at the limit.
        let (s, _) = run(&hw, &[INFO], &s, OsdChange::Set(req("osd_1", "B"))).unwrap();
        assert_eq!(
            s.osd("osd_1").unwrap().text.content,
            Content::Plain("B".into())
        );
        let (s, _) = run(&hw, &[INFO], &s, OsdChange::Delete("osd_0".into())).unwrap();
        assert_eq!(s.media.osd.len(), 1);
        // The freed token is given again.
        let (s, out) = run(&hw, &[INFO], &s, OsdChange::Create(req("", "c"))).unwrap();
        assert_eq!(out, Outcome::OsdCreated("osd_0".into()));
        assert_eq!(shown_on(&s, 0).count(), 2);
        assert_eq!(shown_on(&s, 1).count(), 0);
    }

    #[test]
    fn refusals_change_nothing_and_name_the_fault() {
        let hw = Hw::new(vec![None]);
        let s = Settings::default();
        let f = |c| run(&hw, &[INFO], &s, c).unwrap_err();
        assert_eq!(
            f(OsdChange::Set(req("osd_9", "x"))),
            ChangeError::NoConfig("osd_9".into())
        );
        assert_eq!(
            f(OsdChange::Delete("osd_9".into())),
            ChangeError::NoConfig("osd_9".into())
        );
        let mut other = req("", "x");
        other.video_source = "vsc9".into();
        assert_eq!(
            f(OsdChange::Create(other)),
            ChangeError::NoConfig("vsc9".into())
        );
        let mut big = req("", "x");
        big.text.font_size = Some(100);
        assert!(matches!(f(OsdChange::Create(big)), ChangeError::Invalid(_)));
        let mut far = req("", "x");
        far.position = Position::Custom { x: 1.5, y: 0.0 };
        assert!(matches!(f(OsdChange::Create(far)), ChangeError::Invalid(_)));
        // No overlay on the source: no region to give.
        assert_eq!(
            run(&hw, &[], &s, OsdChange::Create(req("", "x"))).unwrap_err(),
            ChangeError::MaxOsds(0)
        );
    }
}

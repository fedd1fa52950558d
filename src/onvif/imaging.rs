//! The Imaging service (ONVIF Imaging Service Specification, ver20, `timg`), implementing the
//! generated `ImagingService` over the camera's ISP and focus motor.
//!
//! - Values are in the SDK's own units; GetOptions reports the SDK's ranges
//!   (`NVT_ISP_GetRange`, `NVT_FOCUS_GetInfo`), which the Imaging spec allows ("unspecified
//!   unit" for the levels; s.5.1). Fractional values are rounded to the SDK's integers.
//! - SetImagingSettings changes only the elements present. Anything outside the ranges, or
//!   a feature GetOptions does not offer, faults `env:Sender/ter:InvalidArgVal/
//!   ter:SettingsInvalid` (s.5.1.2) and changes nothing. Accepted settings go through the
//!   camera core (computed from the current settings under the settings writer lock, applied
//!   to the ISP, written atomically), so the picture and the file agree and no concurrent
//!   change is lost; ForcePersistence (deprecated) is ignored: settings always persist.
//! - Focus is manual: Move (Absolute, Relative, Continuous as `NVT_FOCUS_*` provide), Stop,
//!   GetStatus. The motor moves in the background; GetStatus reports MOVING until it arrives.
//! - A token that is no video source faults `env:Sender/ter:InvalidArgVal/ter:NoSource`.

use std::sync::Arc;

use crate::camera::change::IspPatch;
use crate::camera::{Camera, Change, ChangeError, Core, source_index, source_token};
use crate::onvif::directory::{Advertised, Registration};
use crate::onvif::generated::{imaging, imaging::ImagingService, timg, tt};
use crate::onvif::rt::{RequestContext, ToXml};
use crate::sdk::{
    AutoMode, ErrorCode, FocusInfo, FocusState, IrCutMode, IspAttr, IspRange, Range, SdkError,
};
use crate::settings::SettingsStore;
use crate::soap::{Code, Fault};
use crate::xml::XmlWriter;

/// The Imaging service over the camera.
pub(crate) struct Imaging {
    camera: Arc<Camera>,
    store: Arc<SettingsStore>,
    /// SetImagingSettings goes through it.
    core: Arc<Core>,
    /// Focus motor of each video source; None for a fixed-focus lens.
    focus: Vec<Option<FocusInfo>>,
}

impl Imaging {
    pub(crate) fn new(camera: Arc<Camera>, core: Arc<Core>) -> Self {
        let store = core.store().clone();
        let focus = (0..camera.video_sources().len() as u32)
            .map(|vi| match camera.sdk().focus_info(vi) {
                Ok(i) if i.supported && i.position_max > i.position_min && i.speed_max > 0 => {
                    Some(i)
                }
                Ok(_) => None,
                Err(e) => {
                    tracing::warn!(vi, error = %e, "no focus information; focus disabled");
                    None
                }
            })
            .collect();
        Imaging {
            camera,
            store,
            core,
            focus,
        }
    }

    /// The SDK index of an ONVIF video source token, or the NoSource fault.
    fn source(&self, token: &str) -> Result<u32, Fault> {
        source_index(token)
            .ok()
            .filter(|&vi| (vi as usize) < self.camera.video_sources().len())
            .filter(|&vi| source_token(vi) == token)
            .ok_or_else(|| {
                Fault::invalid_arg_val(Some("NoSource"), format!("no video source {token:?}"))
            })
    }

    fn range(&self, vi: u32) -> Result<&IspRange, Fault> {
        self.camera.isp_range(vi).ok_or_else(no_imaging)
    }

    fn focus(&self, vi: u32) -> Option<FocusInfo> {
        self.focus.get(vi as usize).copied().flatten()
    }

    fn moving_focus(&self, vi: u32) -> Result<FocusInfo, Fault> {
        self.focus(vi).ok_or_else(|| {
            Fault::new(
                Code::Receiver,
                &["ActionNotSupported"],
                "this video source has a fixed-focus lens (GetMoveOptions is empty)",
            )
        })
    }
}

fn no_imaging() -> Fault {
    Fault::new(
        Code::Receiver,
        &["ActionNotSupported", "NoImagingForSource"],
        "the video source has no imaging settings",
    )
}

fn settings_invalid(reason: String) -> Fault {
    Fault::invalid_arg_val(Some("SettingsInvalid"), reason)
}

fn sdk_fault(e: SdkError) -> Fault {
    match e.code {
        ErrorCode::InvalidArg => Fault::invalid_arg_val(None, format!("camera refused: {e}")),
        ErrorCode::NotSupported => {
            Fault::new(Code::Receiver, &["ActionNotSupported"], e.to_string())
        }
        _ => Fault::new(Code::Receiver, &["Action"], format!("camera SDK: {e}")),
    }
}

/// Runs SDK calls on tokio's blocking pool: a focus motor driver may block (I2C, a stepper
/// waiting for its previous step), and an async worker must never wait on hardware.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SdkError> + Send + 'static,
) -> Result<T, Fault> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Fault::new(Code::Receiver, &["Action"], format!("camera SDK call: {e}")))?
        .map_err(sdk_fault)
}

fn float_range(r: Range) -> tt::FloatRange {
    tt::FloatRange {
        min: r.min as f32,
        max: r.max as f32,
    }
}

/// A level in `r`, rounded to the SDK's integer; `name` is the ONVIF element.
fn level(name: &str, v: f32, r: Range) -> Result<i32, String> {
    if !v.is_finite() || v < r.min as f32 || v > r.max as f32 {
        return Err(format!("{name} {v} outside {}..={}", r.min, r.max));
    }
    Ok((v.round() as i32).clamp(r.min, r.max))
}

fn ircut_to_onvif(m: IrCutMode) -> tt::IrCutFilterMode {
    match m {
        // ON: the filter is in, day mode (Imaging s.5.1).
        IrCutMode::Day => tt::IrCutFilterMode::ON,
        IrCutMode::Night => tt::IrCutFilterMode::OFF,
        IrCutMode::Auto => tt::IrCutFilterMode::AUTO,
    }
}

fn ircut_from_onvif(m: tt::IrCutFilterMode) -> IrCutMode {
    match m {
        tt::IrCutFilterMode::ON => IrCutMode::Day,
        tt::IrCutFilterMode::OFF => IrCutMode::Night,
        tt::IrCutFilterMode::AUTO => IrCutMode::Auto,
    }
}

fn exposure_mode(m: AutoMode) -> tt::ExposureMode {
    match m {
        AutoMode::Auto => tt::ExposureMode::AUTO,
        AutoMode::Manual => tt::ExposureMode::MANUAL,
    }
}

fn wb_mode(m: AutoMode) -> tt::WhiteBalanceMode {
    match m {
        AutoMode::Auto => tt::WhiteBalanceMode::AUTO,
        AutoMode::Manual => tt::WhiteBalanceMode::MANUAL,
    }
}

fn on_off(on: bool) -> tt::BacklightCompensationMode {
    if on {
        tt::BacklightCompensationMode::ON
    } else {
        tt::BacklightCompensationMode::OFF
    }
}

fn wdr_mode(on: bool) -> tt::WideDynamicMode {
    if on {
        tt::WideDynamicMode::ON
    } else {
        tt::WideDynamicMode::OFF
    }
}

/// GetImagingSettings: the stored ISP settings, with only the features the hardware has.
pub(crate) fn settings20(
    a: &IspAttr,
    r: &IspRange,
    focus: Option<FocusInfo>,
) -> tt::ImagingSettings20 {
    tt::ImagingSettings20 {
        backlight_compensation: r.has_backlight.then(|| tt::BacklightCompensation20 {
            mode: on_off(a.backlight),
            level: Some(a.backlight_level as f32),
        }),
        brightness: r.levels.brightness.then_some(a.brightness as f32),
        color_saturation: r.levels.saturation.then_some(a.saturation as f32),
        contrast: r.levels.contrast.then_some(a.contrast as f32),
        exposure: (!r.exposure_modes.is_empty()).then(|| tt::Exposure20 {
            mode: exposure_mode(a.exposure_mode),
            exposure_time: Some(a.exposure_time_us as f32),
            gain: r.levels.gain.then_some(a.gain as f32),
            ..Default::default()
        }),
        focus: focus.map(|_| tt::FocusConfiguration20 {
            auto_focus_mode: tt::AutoFocusMode::MANUAL,
            ..Default::default()
        }),
        ir_cut_filter: r
            .ircut_modes
            .contains(&a.ircut)
            .then(|| ircut_to_onvif(a.ircut)),
        sharpness: r.levels.sharpness.then_some(a.sharpness as f32),
        wide_dynamic_range: r.has_wdr.then(|| tt::WideDynamicRange20 {
            mode: wdr_mode(a.wdr),
            level: Some(a.wdr_level as f32),
        }),
        white_balance: (!r.wb_modes.is_empty()).then(|| tt::WhiteBalance20 {
            mode: wb_mode(a.wb_mode),
            cr_gain: Some(a.wb_cr_gain as f32),
            cb_gain: Some(a.wb_cb_gain as f32),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// GetOptions: exactly what SetImagingSettings accepts.
pub(crate) fn options20(r: &IspRange, focus: Option<FocusInfo>) -> tt::ImagingOptions20 {
    tt::ImagingOptions20 {
        backlight_compensation: r.has_backlight.then(|| tt::BacklightCompensationOptions20 {
            mode: vec![on_off(false), on_off(true)],
            level: Some(float_range(r.backlight_level)),
        }),
        brightness: r.levels.brightness.then(|| float_range(r.brightness)),
        color_saturation: r.levels.saturation.then(|| float_range(r.saturation)),
        contrast: r.levels.contrast.then(|| float_range(r.contrast)),
        exposure: (!r.exposure_modes.is_empty()).then(|| tt::ExposureOptions20 {
            mode: r
                .exposure_modes
                .iter()
                .copied()
                .map(exposure_mode)
                .collect(),
            exposure_time: Some(float_range(r.exposure_time_us)),
            gain: r.levels.gain.then(|| float_range(r.gain)),
            ..Default::default()
        }),
        focus: focus.map(|_| tt::FocusOptions20 {
            auto_focus_modes: vec![tt::AutoFocusMode::MANUAL],
            ..Default::default()
        }),
        ir_cut_filter_modes: r.ircut_modes.iter().copied().map(ircut_to_onvif).collect(),
        sharpness: r.levels.sharpness.then(|| float_range(r.sharpness)),
        wide_dynamic_range: r.has_wdr.then(|| tt::WideDynamicRangeOptions20 {
            mode: vec![wdr_mode(false), wdr_mode(true)],
            level: Some(float_range(r.wdr_level)),
        }),
        white_balance: (!r.wb_modes.is_empty()).then(|| tt::WhiteBalanceOptions20 {
            mode: r.wb_modes.iter().copied().map(wb_mode).collect(),
            // The schema names the manual gains YrGain/YbGain in the options and
            // CrGain/CbGain in the settings; they are the same two values.
            yr_gain: Some(float_range(r.wb_cr_gain)),
            yb_gain: Some(float_range(r.wb_cb_gain)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// SetImagingSettings as a change: the elements present in `req`, in the model's terms. An
/// element the model has no place for (exposure windows and limits, iris, focus settings on
/// a fixed lens or in auto mode, stabilisation, tone compensation...) is refused here,
/// naming it; the values themselves are checked once, by the camera core's plan, against
/// the ranges GetOptions reports.
pub(crate) fn isp_patch(
    req: &tt::ImagingSettings20,
    focus: Option<FocusInfo>,
) -> Result<IspPatch, String> {
    let auto = |manual: bool| {
        if manual {
            AutoMode::Manual
        } else {
            AutoMode::Auto
        }
    };
    let mut p = IspPatch {
        brightness: req.brightness,
        contrast: req.contrast,
        saturation: req.color_saturation,
        sharpness: req.sharpness,
        backlight: req
            .backlight_compensation
            .as_ref()
            .map(|b| (b.mode == tt::BacklightCompensationMode::ON, b.level)),
        wdr: req
            .wide_dynamic_range
            .as_ref()
            .map(|w| (w.mode == tt::WideDynamicMode::ON, w.level)),
        ircut: req.ir_cut_filter.map(ircut_from_onvif),
        ..IspPatch::default()
    };
    if let Some(e) = &req.exposure {
        let unsupported = [
            ("Priority", e.priority.is_some()),
            ("Window", e.window.is_some()),
            ("MinExposureTime", e.min_exposure_time.is_some()),
            ("MaxExposureTime", e.max_exposure_time.is_some()),
            ("MinGain", e.min_gain.is_some()),
            ("MaxGain", e.max_gain.is_some()),
            ("MinIris", e.min_iris.is_some()),
            ("MaxIris", e.max_iris.is_some()),
            ("Iris", e.iris.is_some()),
        ];
        if let Some((name, _)) = unsupported.iter().find(|(_, present)| *present) {
            return Err(format!("Exposure/{name} is not supported (see GetOptions)"));
        }
        p.exposure = Some((
            auto(e.mode == tt::ExposureMode::MANUAL),
            e.exposure_time,
            e.gain,
        ));
    }
    if let Some(w) = &req.white_balance {
        p.white_balance = Some((
            auto(w.mode == tt::WhiteBalanceMode::MANUAL),
            w.cr_gain,
            w.cb_gain,
        ));
    }
    if let Some(f) = &req.focus {
        if focus.is_none() {
            return Err("Focus is not adjustable (fixed-focus lens)".into());
        }
        if f.auto_focus_mode != tt::AutoFocusMode::MANUAL {
            return Err("Focus/AutoFocusMode AUTO is not supported (focus is manual: Move)".into());
        }
        if f.default_speed.is_some() || f.near_limit.is_some() || f.far_limit.is_some() {
            return Err("Focus DefaultSpeed/NearLimit/FarLimit are not supported".into());
        }
    }
    if let Some(x) = &req.extension {
        let x2 = x.extension.as_ref();
        let x3 = x2.and_then(|x2| x2.extension.as_ref());
        if x.image_stabilization.is_some() {
            return Err("ImageStabilization is not supported".into());
        }
        if x2.is_some_and(|x2| !x2.ir_cut_filter_auto_adjustment.is_empty()) {
            return Err("IrCutFilterAutoAdjustment is not supported".into());
        }
        if x3.is_some_and(|x3| {
            x3.tone_compensation.is_some() || x3.defogging.is_some() || x3.noise_reduction.is_some()
        }) {
            return Err("ToneCompensation/Defogging/NoiseReduction are not supported".into());
        }
    }
    Ok(p)
}

/// GetMoveOptions: the moves `NVT_FOCUS_*` provide, in its units; empty for a fixed lens.
pub(crate) fn move_options(focus: Option<FocusInfo>) -> tt::MoveOptions20 {
    let Some(f) = focus else {
        return tt::MoveOptions20::default();
    };
    let speed = tt::FloatRange {
        min: 1.0,
        max: f.speed_max as f32,
    };
    let span = (f.position_max - f.position_min) as f32;
    tt::MoveOptions20 {
        absolute: Some(tt::AbsoluteFocusOptions {
            position: tt::FloatRange {
                min: f.position_min as f32,
                max: f.position_max as f32,
            },
            speed: Some(speed.clone()),
        }),
        relative: Some(tt::RelativeFocusOptions20 {
            distance: tt::FloatRange {
                min: -span,
                max: span,
            },
            speed: Some(speed),
        }),
        continuous: Some(tt::ContinuousFocusOptions {
            speed: tt::FloatRange {
                min: -(f.speed_max as f32),
                max: f.speed_max as f32,
            },
        }),
    }
}

/// What a Move asks of the motor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FocusCommand {
    /// To `position` at `speed` (Absolute, and Relative resolved against the position).
    To {
        position: i32,
        speed: i32,
    },
    /// At signed `speed` until Stop or an end stop.
    Continuous {
        speed: i32,
    },
    Stop,
}

/// Resolves a Move against the motor's ranges and its `position` now. Speed defaults to the
/// fastest. A Relative move that would pass an end stop stops there (as a lens does);
/// values outside GetMoveOptions' ranges are refused. Continuous at speed 0 is Stop; a
/// speed below 0.5 but not 0 moves at the slowest speed.
pub(crate) fn focus_command(
    m: &tt::FocusMove,
    f: FocusInfo,
    position: i32,
) -> Result<FocusCommand, String> {
    let given = [
        m.absolute.is_some(),
        m.relative.is_some(),
        m.continuous.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err("Move takes exactly one of Absolute, Relative and Continuous".into());
    }
    let speed_range = Range {
        min: 1,
        max: f.speed_max,
    };
    let speed = |s: Option<f32>| s.map_or(Ok(f.speed_max), |s| level("Speed", s, speed_range));
    if let Some(a) = &m.absolute {
        let range = Range {
            min: f.position_min,
            max: f.position_max,
        };
        return Ok(FocusCommand::To {
            position: level("Absolute/Position", a.position, range)?,
            speed: speed(a.speed)?,
        });
    }
    if let Some(r) = &m.relative {
        let span = f.position_max - f.position_min;
        let distance = level(
            "Relative/Distance",
            r.distance,
            Range {
                min: -span,
                max: span,
            },
        )?;
        return Ok(FocusCommand::To {
            position: position
                .saturating_add(distance)
                .clamp(f.position_min, f.position_max),
            speed: speed(r.speed)?,
        });
    }
    let c = m.continuous.as_ref().expect("one command is given");
    let s = level(
        "Continuous/Speed",
        c.speed,
        Range {
            min: -f.speed_max,
            max: f.speed_max,
        },
    )?;
    // A speed that rounds to 0 but is not 0 asks for the slowest move in its direction, not
    // for Stop: only an exact 0 stops.
    let s = if s == 0 && c.speed != 0.0 {
        if c.speed > 0.0 { 1 } else { -1 }
    } else {
        s
    };
    Ok(if s == 0 {
        FocusCommand::Stop
    } else {
        FocusCommand::Continuous { speed: s }
    })
}

fn capabilities() -> timg::Capabilities {
    timg::Capabilities {
        image_stabilization: Some(false),
        presets: Some(false),
        adaptable_preset: Some(false),
        ..Default::default()
    }
}

impl ImagingService for Imaging {
    async fn get_service_capabilities(
        &self,
        _: &RequestContext,
        _: timg::GetServiceCapabilities,
    ) -> Result<timg::GetServiceCapabilitiesResponse, Fault> {
        Ok(timg::GetServiceCapabilitiesResponse {
            capabilities: capabilities(),
        })
    }

    async fn get_imaging_settings(
        &self,
        _: &RequestContext,
        req: timg::GetImagingSettings,
    ) -> Result<timg::GetImagingSettingsResponse, Fault> {
        let vi = self.source(&req.video_source_token)?;
        let range = self.range(vi)?;
        let settings = self.store.get();
        let imaging = settings
            .imaging(&req.video_source_token)
            .ok_or_else(no_imaging)?;
        Ok(timg::GetImagingSettingsResponse {
            imaging_settings: settings20(&imaging.isp, range, self.focus(vi)),
        })
    }

    async fn set_imaging_settings(
        &self,
        _: &RequestContext,
        req: timg::SetImagingSettings,
    ) -> Result<timg::SetImagingSettingsResponse, Fault> {
        let vi = self.source(&req.video_source_token)?;
        self.range(vi)?;
        let patch = isp_patch(&req.imaging_settings, self.focus(vi)).map_err(settings_invalid)?;
        let change = Change::Imaging {
            source_token: req.video_source_token,
            patch,
        };
        match self.core.apply(change).await {
            Ok(_) => Ok(timg::SetImagingSettingsResponse::default()),
            Err(ChangeError::Invalid(reason)) => Err(settings_invalid(reason)),
            Err(ChangeError::NoSource(_)) => Err(no_imaging()),
            Err(e @ ChangeError::Storage(_)) => Err(Fault::new(
                Code::Receiver,
                &["Action"],
                format!("settings not saved: {e}"),
            )),
            Err(e) => Err(Fault::new(Code::Receiver, &["Action"], e.to_string())),
        }
    }

    async fn get_options(
        &self,
        _: &RequestContext,
        req: timg::GetOptions,
    ) -> Result<timg::GetOptionsResponse, Fault> {
        let vi = self.source(&req.video_source_token)?;
        Ok(timg::GetOptionsResponse {
            imaging_options: options20(self.range(vi)?, self.focus(vi)),
        })
    }

    async fn get_move_options(
        &self,
        _: &RequestContext,
        req: timg::GetMoveOptions,
    ) -> Result<timg::GetMoveOptionsResponse, Fault> {
        let vi = self.source(&req.video_source_token)?;
        Ok(timg::GetMoveOptionsResponse {
            move_options: move_options(self.focus(vi)),
        })
    }

    async fn move_(
        &self,
        _: &RequestContext,
        req: timg::Move,
    ) -> Result<timg::MoveResponse, Fault> {
        let vi = self.source(&req.video_source_token)?;
        let info = self.moving_focus(vi)?;
        let sdk = self.camera.sdk().clone();
        let status = sdk.clone();
        let position = blocking(move || status.focus_status(vi)).await?.position;
        let cmd = focus_command(&req.focus, info, position)
            .map_err(|r| Fault::invalid_arg_val(None, r))?;
        blocking(move || match cmd {
            FocusCommand::To { position, speed } => sdk.focus_move_absolute(vi, position, speed),
            FocusCommand::Continuous { speed } => sdk.focus_move_continuous(vi, speed),
            FocusCommand::Stop => sdk.focus_stop(vi),
        })
        .await?;
        tracing::debug!(vi, ?cmd, "focus move");
        Ok(timg::MoveResponse::default())
    }

    async fn stop(&self, _: &RequestContext, req: timg::Stop) -> Result<timg::StopResponse, Fault> {
        let vi = self.source(&req.video_source_token)?;
        self.moving_focus(vi)?;
        let sdk = self.camera.sdk().clone();
        blocking(move || sdk.focus_stop(vi)).await?;
        Ok(timg::StopResponse::default())
    }

    async fn get_status(
        &self,
        _: &RequestContext,
        req: timg::GetStatus,
    ) -> Result<timg::GetStatusResponse, Fault> {
        let vi = self.source(&req.video_source_token)?;
        let focus_status20 = match self.focus(vi) {
            None => None,
            Some(_) => {
                let sdk = self.camera.sdk().clone();
                let s = blocking(move || sdk.focus_status(vi)).await?;
                Some(tt::FocusStatus20 {
                    position: s.position as f32,
                    move_status: match s.state {
                        FocusState::Idle => tt::MoveStatus::IDLE,
                        FocusState::Moving => tt::MoveStatus::MOVING,
                        FocusState::Unknown => tt::MoveStatus::UNKNOWN,
                    },
                    error: s.error.map(|e| format!("{e:?}")),
                    ..Default::default()
                })
            }
        };
        Ok(timg::GetStatusResponse {
            status: tt::ImagingStatus20 {
                focus_status20,
                ..Default::default()
            },
        })
    }
}

/// Path of the Imaging (ver20) service.
pub(crate) const PATH: &str = "/onvif/imaging_service";

impl Imaging {
    /// The service's one registration: route and GetServices/GetCapabilities entry.
    pub(crate) fn registration(self) -> Registration {
        Registration::new(ImagingEntry, imaging::Service(self))
    }
}

/// The Imaging service's entry in GetServices and GetCapabilities.
pub(crate) struct ImagingEntry;

impl Advertised for ImagingEntry {
    fn namespace(&self) -> &'static str {
        imaging::NAMESPACE
    }

    fn path(&self) -> &'static str {
        PATH
    }

    fn write_capabilities(&self, w: &mut XmlWriter) {
        capabilities().to_xml(w, "timg:Capabilities");
    }

    fn category(&self) -> tt::CapabilityCategory {
        tt::CapabilityCategory::Imaging
    }

    fn fill_capabilities(&self, caps: &mut tt::Capabilities, xaddr: &str) {
        caps.imaging = Some(tt::ImagingCapabilities {
            x_addr: xaddr.to_owned(),
            ..Default::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::change::patch_isp;
    use crate::sdk::Levels;

    /// The translation, then the camera core's check (what a SetImagingSettings goes
    /// through, without the transaction).
    fn apply_settings(
        req: &tt::ImagingSettings20,
        current: &IspAttr,
        r: &IspRange,
        focus: Option<FocusInfo>,
    ) -> Result<IspAttr, String> {
        let patch = isp_patch(req, focus)?;
        patch_isp(current, r, &patch).map_err(|e| e.to_string())
    }

    fn lvl() -> Range {
        Range { min: 0, max: 100 }
    }

    fn range() -> IspRange {
        IspRange {
            brightness: lvl(),
            contrast: lvl(),
            saturation: lvl(),
            sharpness: lvl(),
            backlight_level: lvl(),
            wdr_level: lvl(),
            exposure_time_us: Range {
                min: 100,
                max: 40_000,
            },
            gain: lvl(),
            wb_cr_gain: lvl(),
            wb_cb_gain: lvl(),
            ircut_modes: vec![IrCutMode::Auto, IrCutMode::Day, IrCutMode::Night],
            has_backlight: true,
            has_wdr: false,
            exposure_modes: vec![AutoMode::Auto, AutoMode::Manual],
            wb_modes: vec![AutoMode::Auto],
            levels: Levels::ALL,
        }
    }

    fn attr() -> IspAttr {
        IspAttr {
            brightness: 50,
            contrast: 50,
            saturation: 50,
            sharpness: 50,
            ircut: IrCutMode::Auto,
            backlight: false,
            backlight_level: 50,
            wdr: false,
            wdr_level: 50,
            exposure_mode: AutoMode::Auto,
            exposure_time_us: 10_000,
            gain: 0,
            wb_mode: AutoMode::Auto,
            wb_cr_gain: 50,
            wb_cb_gain: 50,
        }
    }

    const FOCUS: FocusInfo = FocusInfo {
        supported: true,
        position_min: 0,
        position_max: 1000,
        speed_max: 250,
    };

    #[test]
    fn settings_round_trip_through_set() {
        let mut a = attr();
        a.brightness = 70;
        a.ircut = IrCutMode::Night;
        a.backlight = true;
        a.exposure_mode = AutoMode::Manual;
        a.exposure_time_us = 2000;
        let s = settings20(&a, &range(), Some(FOCUS));
        assert_eq!(s.ir_cut_filter, Some(tt::IrCutFilterMode::OFF));
        assert!(s.wide_dynamic_range.is_none(), "no WDR on this hardware");
        assert_eq!(apply_settings(&s, &attr(), &range(), Some(FOCUS)), Ok(a));
    }

    #[test]
    fn only_present_elements_change_and_values_round() {
        let req = tt::ImagingSettings20 {
            brightness: Some(80.4),
            ..Default::default()
        };
        let out = apply_settings(&req, &attr(), &range(), None).unwrap();
        assert_eq!(
            out,
            IspAttr {
                brightness: 80,
                ..attr()
            }
        );
    }

    #[test]
    fn out_of_range_or_unsupported_is_refused_naming_the_element() {
        let cases: Vec<(tt::ImagingSettings20, &str)> = vec![
            (
                tt::ImagingSettings20 {
                    brightness: Some(100.5),
                    ..Default::default()
                },
                "Brightness",
            ),
            (
                tt::ImagingSettings20 {
                    contrast: Some(f32::NAN),
                    ..Default::default()
                },
                "Contrast",
            ),
            (
                tt::ImagingSettings20 {
                    color_saturation: Some(-1.0),
                    ..Default::default()
                },
                "ColorSaturation",
            ),
            (
                tt::ImagingSettings20 {
                    wide_dynamic_range: Some(tt::WideDynamicRange20 {
                        mode: tt::WideDynamicMode::ON,
                        level: None,
                    }),
                    ..Default::default()
                },
                "WideDynamicRange",
            ),
            (
                tt::ImagingSettings20 {
                    white_balance: Some(tt::WhiteBalance20 {
                        mode: tt::WhiteBalanceMode::MANUAL,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                "WhiteBalance/Mode",
            ),
            (
                tt::ImagingSettings20 {
                    exposure: Some(tt::Exposure20 {
                        mode: tt::ExposureMode::MANUAL,
                        exposure_time: Some(50.0),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                "Exposure/ExposureTime",
            ),
            (
                tt::ImagingSettings20 {
                    exposure: Some(tt::Exposure20 {
                        mode: tt::ExposureMode::AUTO,
                        max_gain: Some(10.0),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                "Exposure/MaxGain",
            ),
            (
                tt::ImagingSettings20 {
                    focus: Some(tt::FocusConfiguration20 {
                        auto_focus_mode: tt::AutoFocusMode::AUTO,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                "AutoFocusMode",
            ),
        ];
        for (req, name) in cases {
            let e = apply_settings(&req, &attr(), &range(), Some(FOCUS)).unwrap_err();
            assert!(e.contains(name), "{name}: {e}");
        }
        // A valid element next to an invalid one: all refused (the caller keeps `current`).
        let req = tt::ImagingSettings20 {
            contrast: Some(20.0),
            sharpness: Some(101.0),
            ..Default::default()
        };
        assert!(apply_settings(&req, &attr(), &range(), None).is_err());
        // Focus settings on a fixed lens.
        let req = tt::ImagingSettings20 {
            focus: Some(tt::FocusConfiguration20::default()),
            ..Default::default()
        };
        assert!(apply_settings(&req, &attr(), &range(), None).is_err());
    }

    /// A webcam without sharpness or manual gain: neither is offered, read back or
    /// accepted, while the levels it has still are.
    #[test]
    fn a_level_the_hardware_lacks_is_neither_offered_nor_accepted() {
        let r = IspRange {
            levels: Levels {
                sharpness: false,
                gain: false,
                ..Levels::ALL
            },
            ..range()
        };
        let o = options20(&r, None);
        assert!(o.sharpness.is_none());
        assert!(o.exposure.as_ref().unwrap().gain.is_none());
        assert!(o.brightness.is_some());
        let got = settings20(&attr(), &r, None);
        assert!(got.sharpness.is_none());
        assert!(got.exposure.as_ref().unwrap().gain.is_none());
        assert_eq!(got.brightness, Some(attr().brightness as f32));
        let sharpness = tt::ImagingSettings20 {
            sharpness: Some(10.0),
            ..Default::default()
        };
        let e = apply_settings(&sharpness, &attr(), &r, None).unwrap_err();
        assert!(e.contains("Sharpness is not supported"), "{e}");
        let gain = tt::ImagingSettings20 {
            exposure: Some(tt::Exposure20 {
                mode: tt::ExposureMode::MANUAL,
                gain: Some(5.0),
                ..Default::default()
            }),
            ..Default::default()
        };
        let e = apply_settings(&gain, &attr(), &r, None).unwrap_err();
        assert!(e.contains("Exposure/Gain is not supported"), "{e}");
        let brightness = tt::ImagingSettings20 {
            brightness: Some(20.0),
            ..Default::default()
        };
        assert_eq!(
            apply_settings(&brightness, &attr(), &r, None)
                .unwrap()
                .brightness,
            20
        );
    }

    #[test]
    fn options_list_what_set_accepts() {
        let o = options20(&range(), Some(FOCUS));
        assert_eq!(
            o.brightness,
            Some(tt::FloatRange {
                min: 0.0,
                max: 100.0
            })
        );
        assert!(o.wide_dynamic_range.is_none());
        assert_eq!(o.ir_cut_filter_modes.len(), 3);
        assert_eq!(
            o.white_balance.unwrap().mode,
            vec![tt::WhiteBalanceMode::AUTO]
        );
        assert_eq!(
            o.focus.unwrap().auto_focus_modes,
            vec![tt::AutoFocusMode::MANUAL]
        );
        assert!(options20(&range(), None).focus.is_none());
        assert_eq!(move_options(None), tt::MoveOptions20::default());
        let m = move_options(Some(FOCUS));
        assert_eq!(m.absolute.unwrap().position.max, 1000.0);
        assert_eq!(m.relative.unwrap().distance.min, -1000.0);
        assert_eq!(m.continuous.unwrap().speed.min, -250.0);
    }

    #[test]
    fn focus_moves_resolve_against_the_motor() {
        let abs = |position, speed| tt::FocusMove {
            absolute: Some(tt::AbsoluteFocus { position, speed }),
            ..Default::default()
        };
        let rel = |distance| tt::FocusMove {
            relative: Some(tt::RelativeFocus {
                distance,
                speed: Some(10.0),
            }),
            ..Default::default()
        };
        let cont = |speed| tt::FocusMove {
            continuous: Some(tt::ContinuousFocus { speed }),
            ..Default::default()
        };
        assert_eq!(
            focus_command(&abs(900.0, None), FOCUS, 500),
            Ok(FocusCommand::To {
                position: 900,
                speed: 250
            })
        );
        assert!(focus_command(&abs(1000.5, None), FOCUS, 500).is_err());
        assert!(focus_command(&abs(10.0, Some(0.0)), FOCUS, 500).is_err());
        assert!(focus_command(&abs(10.0, Some(251.0)), FOCUS, 500).is_err());
        assert_eq!(
            focus_command(&rel(-300.0), FOCUS, 500),
            Ok(FocusCommand::To {
                position: 200,
                speed: 10
            })
        );
        // Past the end stop: stops there.
        assert_eq!(
            focus_command(&rel(900.0), FOCUS, 500),
            Ok(FocusCommand::To {
                position: 1000,
                speed: 10
            })
        );
        assert!(focus_command(&rel(1001.0), FOCUS, 500).is_err());
        assert_eq!(
            focus_command(&cont(-100.0), FOCUS, 500),
            Ok(FocusCommand::Continuous { speed: -100 })
        );
        assert_eq!(
            focus_command(&cont(0.0), FOCUS, 500),
            Ok(FocusCommand::Stop)
        );
        // Slower than the slowest step still moves, in its direction.
        assert_eq!(
            focus_command(&cont(0.4), FOCUS, 500),
            Ok(FocusCommand::Continuous { speed: 1 })
        );
        assert_eq!(
            focus_command(&cont(-0.4), FOCUS, 500),
            Ok(FocusCommand::Continuous { speed: -1 })
        );
        assert!(focus_command(&cont(-251.0), FOCUS, 500).is_err());
        assert!(focus_command(&tt::FocusMove::default(), FOCUS, 500).is_err());
        let two = tt::FocusMove {
            absolute: Some(tt::AbsoluteFocus {
                position: 1.0,
                speed: None,
            }),
            continuous: Some(tt::ContinuousFocus { speed: 1.0 }),
            ..Default::default()
        };
        assert!(focus_command(&two, FOCUS, 500).is_err());
    }
}

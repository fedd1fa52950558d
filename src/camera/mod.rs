//! The camera: the hardware (SDK, encoder channels, ISP) and the camera core, the one place
//! a configuration change enters (DESIGN.md principle 7, issue 15 item 1).
//!
//! - `hardware`: what the SDK can do and the settings model applied to it at start.
//! - `change`: a change as a client asks for it, and its plan (the new settings, validated
//!   once against the hardware's facts). Pure.
//! - `core`: runs a change as one transaction under the settings writer lock: plan, SDK,
//!   file, streams; blocking work off the async workers.
//!
//! Which ONVIF Set* go through the core is listed in docs/settings.md ("Changes").

pub mod change;
pub mod core;
mod hardware;

pub use change::{Change, ChangeError, Outcome};
pub use core::Core;
pub use hardware::{
    Camera, Facts, QUALITY_RANGE, encoder_source, frame_rates, resolutions, source_index,
    source_token,
};

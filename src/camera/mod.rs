//! The camera: the hardware (SDK, encoder channels, ISP) and the camera core, the one place
//! a configuration change enters (DESIGN.md principle 7, issue 15 item 1).
//!
//! - `caps`: what the hardware can do ([`Facts`]) and the one check of a configuration
//!   against it; the options services report come from the same facts.
//! - `change`: a change as a client asks for it, and its plan (the new settings, validated
//!   once against the facts and the settings invariants). Pure.
//! - `core`: runs a change as one transaction under the settings writer lock: plan, SDK,
//!   file, streams, host effects (discovery, restart); blocking work off the async workers.
//! - `hardware`: the SDK and its encoder channels, with the settings applied at start.
//! - `tokens`: the map between the settings' ONVIF tokens and the SDK's source indices.
//! - `touched`: which media profiles and configurations a change touched (a settings diff),
//!   for the ProfileChanged and ConfigurationChanged events.
//! - `osd`: the committed OSDs drawn into the SDK's regions, after a commit, at start and
//!   once a second for a date or time.
//! - `admin`: the administrator the device always has (first start, recovery).
//! - `streamed`: what a profile streams (video, metadata, audio) and whether any of it has
//!   a multicast group: GetStreamUri's and StartMulticastStreaming's one answer.
//! - `audio_limits`: what the microphone allows an audio encoder configuration (the options
//!   Media reports and the check of a change).
//!
//! Every ONVIF Set* and every start-up write goes through the core: docs/settings.md
//! ("Changes") and docs/architecture.md ("A Set*, from SOAP to the sensor").

pub mod admin;
pub(crate) mod audio_limits;
pub mod caps;
pub mod change;
pub mod core;
mod hardware;
pub(crate) mod osd;
pub(crate) mod streamed;
mod tokens;
mod touched;

pub(crate) use caps::EncoderLimits;
pub use change::Outcome;
pub(crate) use change::{Change, ChangeError};
pub use core::Core;
pub(crate) use core::Effects;
pub use hardware::Camera;
pub(crate) use tokens::{encoder_source, source_index, source_token};
pub(crate) use touched::Touched;

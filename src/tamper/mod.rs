//! Tamper detection (ONVIF Imaging Service Specification, "Events" / "Tampering"): whether a
//! video source's picture is too dark, too bright, too blurry, or has changed as a whole, from
//! the ISP's statistics of each picture (`NVT_ISP_GetStats`, [`crate::sdk::isp::IspStats`]).
//!
//! - [`latch`]: one condition's hysteresis and hold times (pure);
//! - [`scene`]: the reference picture of the global scene change (pure);
//! - [`detector`]: the four conditions from one picture's statistics and its time (pure);
//! - [`sampler`]: the shell that reads the statistics of one source at [`SAMPLE_PERIOD`] on
//!   the blocking pool and hands the changes on (to the event broker,
//!   `crate::events::tamper`).
//!
//! User docs: docs/events.md ("Tamper detection").

pub mod detector;
pub mod latch;
pub mod sampler;
pub mod scene;

pub use detector::{Change, Condition, Config, Detector, Measures};
pub use sampler::{Report, SAMPLE_PERIOD, TamperMonitor};

//! nvt: an ONVIF network video transmitter.
//!
//! The daemon reads top to bottom from `daemon.rs`; each module owns one idea. Only the `sdk`
//! module (the safe wrapper over `sdk-sys`) contains `unsafe` code.
#![deny(unsafe_code)]

pub mod audio;
pub mod auth;
pub mod camera;
pub mod config;
pub mod conn_slots;
pub mod daemon;
pub mod discovery;
pub mod events;
pub mod frame;
#[doc(hidden)]
pub mod fuzzing;
pub mod hls;
pub mod host;
pub mod http;
pub mod io;
pub mod motion;
pub mod onvif;
pub mod osd;
pub mod rtp;
pub mod rtsp;
pub mod sdk;
pub mod settings;
pub mod snapshot;
pub mod soap;
pub mod stream;
pub mod streams;
pub mod tamper;
pub mod web;
pub mod xml;

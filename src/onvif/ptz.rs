//! The PTZ service (ONVIF PTZ Service Specification, ver20, `tptz`), implementing the
//! generated `PtzService` over the SDK's PTZ head (`NVT_PTZ_*`).
//!
//! - `spaces`: the coordinate spaces offered and the one map to the SDK's units.
//! - `config`: the node, configuration and options as ONVIF shows them (also Media's).

// Until the service below uses them all (issue 17, in progress).
#[allow(dead_code)]
pub(crate) mod config;
#[allow(dead_code)]
pub(crate) mod spaces;

//! ONVIF services: generated types and traits (`generated/`, from onvif-gen), the runtime
//! they use (`rt`), and the service implementations.

#[rustfmt::skip]
pub mod generated;
pub mod rt;

pub use rt::RequestContext;
pub mod device;
pub mod directory;
pub mod endpoint;
pub mod events;
/// The host's network facts moved below the services (`crate::host`); the old path stays.
pub use crate::host;
pub mod imaging;
pub mod media;

//! ONVIF services: generated types and traits (`generated/`, from onvif-gen), the runtime
//! they use (`rt`), and the service implementations.

#[rustfmt::skip]
pub mod generated;
pub mod rt;

pub use rt::RequestContext;
pub mod device;
pub mod deviceio;
pub mod directory;
pub mod endpoint;
pub mod events;
pub mod imaging;
pub mod media;
pub mod media2;
pub(crate) mod osd;
pub mod ptz;

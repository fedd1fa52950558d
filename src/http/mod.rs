//! The HTTP shell: hyper 1 over tokio, moving bytes between sockets and the sans-IO
//! `onvif::endpoint`.

pub(crate) mod auth;
pub mod server;
pub(crate) mod tunnel;

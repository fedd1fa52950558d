//! The HTTP shell: hyper 1 over tokio, moving bytes between sockets and the sans-IO
//! `onvif::endpoint`.

pub(crate) mod auth;
pub(crate) mod content_coding;
pub mod server;
pub(crate) mod tunnel;

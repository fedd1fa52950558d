//! The one support module of the integration tests (issue 15 item 5). Each test file says
//! `mod support;` and takes what it needs; no test file carries a copy of these helpers.
//!
//! - [`daemon`]: the real `nvt` binary on a temp state dir with ephemeral ports, its addresses
//!   read from its log, stop, kill -9, restart on the same state.
//! - [`soap`]: the SOAP client (POST with a WS-UsernameToken, HTTP Digest or nothing; fault
//!   subcodes).
//! - [`endpoint`]: the SOAP endpoint and Device service in process (no sockets).
//! - [`digest`]: client-side HTTP/RTSP Digest (RFC 7616 / RFC 2617 / RFC 2069 answers).
//! - [`rtsp`]: the in-process RTSP server fed by [`replay`], and a raw RTSP client.
//! - [`rtsp_client`]: a blocking RTSP client with Digest login and interleaved RTP both ways
//!   (the metadata, audio and back-channel tests).
//! - [`rtp_time`]: RTP times on the wall clock through sender reports (sync measurements).
//! - [`replay`]: Annex-B file replay at a fixed frame rate (the frame source of the RTSP tests).
//! - [`netns`]: two network namespaces joined by a veth pair (tests marked `#[ignore]` for
//!   root, run by scripts/test-all as root).
//! - [`isolate`]: runs one test in fresh (user, mount, net) namespaces.
//! - [`media`]: ffprobe/ffmpeg as judges of what the camera produced.
//! - [`python`]: the venvs of the Python clients (onvif-zeep-async, WSDiscovery).
//! - [`vm`]: a binary inside a QEMU VM with the kernel's virtual camera `vivid` (tests marked
//!   `#[ignore]` for it, run by scripts/test-all's "vm tests" stage).
//!
//! Every test binary compiles all of it, so each file allows the dead code of the others.
#![allow(dead_code)]

pub mod adts;
pub mod daemon;
pub mod digest;
pub mod endpoint;
pub mod isolate;
pub mod media;
pub mod netns;
pub mod python;
pub mod replay;
pub mod rtp_time;
pub mod rtsp;
pub mod rtsp_client;
pub mod soap;
pub mod vm;

#[allow(unused_imports)]
pub use daemon::{
    Daemon, Line, NVT, START, data_dir, path_str, run_nvt, start_with_admin, temp_state,
};

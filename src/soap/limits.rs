//! Every bound of the SOAP/HTTP control path, in one place (DESIGN.md principle 6). Documented
//! for users in `docs/soap.md`; change them here only.

use std::time::Duration;

/// Largest request body accepted, checked before any parsing. The largest legitimate ONVIF
/// request we serve (SetVideoEncoderConfiguration with a long token set, or CreateUsers with
/// many users) is a few KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Deepest element nesting accepted. ONVIF requests nest about 10 deep.
pub const MAX_DEPTH: usize = 48;
/// Most elements in one request (a 64 KiB body could otherwise hold ~16k empty elements).
pub const MAX_ELEMENTS: usize = 4096;
/// Most attributes on one element. Also bounds quick-xml's quadratic duplicate-attribute check.
pub const MAX_ATTRIBUTES: usize = 32;
/// Most SOAP header blocks in one envelope.
pub const MAX_HEADER_BLOCKS: usize = 32;

/// Authentication bounds (Digest nonces, WS-UsernameToken cache, failure throttle) live in
/// `auth::limits`, shared by SOAP, plain HTTP and RTSP; re-exported here for the SOAP docs.
pub use crate::auth::limits::{
    AUTH_FAILURE_DELAY_MAX, AUTH_FAILURE_DELAY_STEP, AUTH_FAILURE_MEMORY, AUTH_FAILURE_TABLE,
    AUTH_FAILURES_BEFORE_DELAY, DIGEST_MAX_NONCES, DIGEST_NONCE_LIFETIME, WSSE_MAX_CLOCK_SKEW,
    WSSE_MAX_NONCE_BYTES,
};

/// HTTP: time allowed to receive a request's headers, and to receive its body.
pub const HTTP_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const HTTP_BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Concurrent HTTP connections served; more wait in the listen backlog.
pub const HTTP_MAX_CONNECTIONS: usize = 512;
/// Most request header fields (hyper answers 431 beyond this).
pub const HTTP_MAX_HEADERS: usize = 64;

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

/// WS-UsernameToken `Created` must be within this much of the device clock (either way).
pub const WSSE_CREATED_WINDOW: Duration = Duration::from_secs(300);
/// Most remembered WS-UsernameToken nonces (only nonces of tokens that verified are stored, so
/// only authenticated clients can fill it).
pub const WSSE_NONCE_CACHE: usize = 8192;
/// Longest accepted decoded WS-UsernameToken nonce (clients send 16 or 20 bytes).
pub const WSSE_MAX_NONCE_BYTES: usize = 64;

/// HTTP Digest: nonce lifetime and table size (see `auth::digest`).
pub const DIGEST_NONCE_LIFETIME: Duration = crate::auth::digest::DEFAULT_NONCE_LIFETIME;
pub const DIGEST_MAX_NONCES: usize = crate::auth::digest::DEFAULT_MAX_NONCES;

/// Authentication failures from one address after which its answers are delayed.
pub const AUTH_FAILURES_BEFORE_DELAY: u32 = 5;
/// Delay added per failure beyond the threshold, and its cap.
pub const AUTH_FAILURE_DELAY_STEP: Duration = Duration::from_millis(200);
pub const AUTH_FAILURE_DELAY_MAX: Duration = Duration::from_secs(5);
/// A failure is forgotten after this long without another one from that address.
pub const AUTH_FAILURE_MEMORY: Duration = Duration::from_secs(300);
/// Most addresses tracked by the failure throttle.
pub const AUTH_FAILURE_TABLE: usize = 1024;

/// HTTP: time allowed to receive a request's headers, and to receive its body.
pub const HTTP_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const HTTP_BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Concurrent HTTP connections served; more are answered 503 and closed.
pub const HTTP_MAX_CONNECTIONS: usize = 512;
/// Most concurrent HTTP connections from one IP address (issue 14.4: one host's 700 idle
/// connections held up every request). Browsers open 6 per host; an NVR a few.
pub const HTTP_MAX_CONNECTIONS_PER_ADDRESS: usize = 32;
/// Connections that unproven connections (see below) from addresses already holding one
/// cannot take: kept for new addresses and addresses that completed a request recently.
pub const HTTP_RESERVED_CONNECTIONS: usize = 64;
/// A connection that has not completed a request head this long after it was accepted is
/// closed (shorter than [`HTTP_HEADER_TIMEOUT`], which bounds each later request's head).
pub const HTTP_FIRST_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an address that completed a request may still use the reserved connections.
pub const HTTP_TRUSTED_MEMORY: Duration = Duration::from_secs(600);
/// A refusal (503) that cannot be written in this long is dropped.
pub const HTTP_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP server's connection admission policy with the defaults above.
pub fn http_slot_policy() -> crate::conn_slots::SlotPolicy {
    crate::conn_slots::SlotPolicy {
        max_connections: HTTP_MAX_CONNECTIONS,
        max_per_address: HTTP_MAX_CONNECTIONS_PER_ADDRESS,
        reserve: HTTP_RESERVED_CONNECTIONS,
        unproven_timeout: HTTP_FIRST_REQUEST_TIMEOUT,
        trusted_memory: HTTP_TRUSTED_MEMORY,
    }
}
/// Most request header fields (hyper answers 431 beyond this).
pub const HTTP_MAX_HEADERS: usize = 64;

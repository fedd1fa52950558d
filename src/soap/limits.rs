//! Every bound of the SOAP/HTTP control path, in one place (DESIGN.md principle 6). Documented
//! for users in `docs/soap.md`; change them here only.

use std::time::Duration;

/// Largest request body accepted, checked before any parsing. The largest legitimate ONVIF
/// request we serve (SetVideoEncoderConfiguration with a long token set, or CreateUsers with
/// many users) is a few KiB.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;
// Element tree bounds (nesting depth, element count, attributes per element) live with the
// parser that enforces them, in `xml::limits`.
/// Most SOAP header blocks in one envelope.
pub(crate) const MAX_HEADER_BLOCKS: usize = 32;

// Authentication bounds (Digest nonces, WS-UsernameToken cache, failure throttle) live in
// `auth::limits`, shared by SOAP, plain HTTP and RTSP.

/// HTTP: time allowed to receive a request's headers, and to receive its body.
pub(crate) const HTTP_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub(crate) const HTTP_BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Concurrent HTTP connections served; more are answered 503 and closed.
pub(crate) const HTTP_MAX_CONNECTIONS: usize = 512;
/// Most concurrent HTTP connections from one IP address (issue 14.4: one host's 700 idle
/// connections held up every request). Browsers open 6 per host; an NVR a few.
pub(crate) const HTTP_MAX_CONNECTIONS_PER_ADDRESS: usize = 32;
/// Connections that unproven connections (see below) from addresses already holding one
/// cannot take: kept for new addresses and addresses that completed a request recently.
pub(crate) const HTTP_RESERVED_CONNECTIONS: usize = 64;
/// A connection that has not completed a request head this long after it was accepted is
/// closed (shorter than [`HTTP_HEADER_TIMEOUT`], which bounds each later request's head).
pub(crate) const HTTP_FIRST_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an address that completed a request may still use the reserved connections.
pub(crate) const HTTP_TRUSTED_MEMORY: Duration = Duration::from_secs(600);
/// A refusal (503) that cannot be written in this long is dropped.
pub(crate) const HTTP_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP server's connection admission policy with the defaults above.
pub(crate) fn http_slot_policy() -> crate::conn_slots::SlotPolicy {
    crate::conn_slots::SlotPolicy {
        max_connections: HTTP_MAX_CONNECTIONS,
        max_per_address: HTTP_MAX_CONNECTIONS_PER_ADDRESS,
        reserve: HTTP_RESERVED_CONNECTIONS,
        unproven_timeout: HTTP_FIRST_REQUEST_TIMEOUT,
        trusted_memory: HTTP_TRUSTED_MEMORY,
    }
}
/// Most request header fields (hyper answers 431 beyond this).
pub(crate) const HTTP_MAX_HEADERS: usize = 64;

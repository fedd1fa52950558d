//! Every bound the RTSP server enforces, in one place (DESIGN principle 6). `docs/rtsp.md`
//! lists them with their reasons; [`Limits`] lets the daemon or a test override them.

use std::time::Duration;

/// Largest request head (request line + headers) we buffer; larger gets 400 and a close.
/// Real RTSP requests are < 1 KiB; Digest Authorization headers are the longest part.
pub(crate) const MAX_REQUEST_HEAD: usize = 8 * 1024;
/// Largest request body (SET_PARAMETER/GET_PARAMETER bodies, HTTP tunnel POST chunks).
pub(crate) const MAX_BODY: usize = 16 * 1024;
/// Most header lines in one request.
pub(crate) const MAX_HEADERS: usize = 32;
/// Most concurrent RTSP connections (TCP), across all clients.
pub(crate) const MAX_CONNECTIONS: usize = 1024;
/// Most concurrent RTSP connections from one IP address (issue 14.3: one address held all
/// 1,024). An NVR opens one per stream it records; 32 leaves room for many profiles.
pub(crate) const MAX_CONNECTIONS_PER_ADDRESS: usize = 32;
/// Connections that unauthenticated clients from addresses already holding one cannot take:
/// kept for new addresses and for addresses that authenticated recently (see `conn_slots`).
pub(crate) const RESERVED_CONNECTIONS: usize = 64;
/// A connection that has made no authenticated request this long after it was accepted is
/// closed. A 401 is not progress (issue 14.3: an OPTIONS answered 401 every 25 s held a slot
/// for ever). Long enough for a person to type a password into a player's prompt.
pub(crate) const UNAUTHENTICATED_TIMEOUT: Duration = Duration::from_secs(20);
/// How long an address that authenticated may still use the reserved connections.
pub(crate) const TRUSTED_MEMORY: Duration = Duration::from_secs(600);
/// A reply (or a tunnel's HTTP answer) that cannot be written in this long closes the
/// connection (issue 14.8: a peer that does not read must not hold anything up).
pub(crate) const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Most sessions one connection may create (RFC 2326 allows several; cameras need one).
pub(crate) const MAX_SESSIONS_PER_CONNECTION: usize = 4;
/// A connection that sends nothing and has no playing session for this long is closed.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A request head must be complete this long after its first byte (slowloris).
pub(crate) const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Session timeout announced in SETUP (`Session: id;timeout=60`, RFC 2326 s12.37) and enforced
/// for streams without their own (`StreamParams::session_timeout`).
pub(crate) const SESSION_TIMEOUT: Duration = Duration::from_secs(60);
/// Sender reports go out at least this often (issue 3: <= 5 s; RFC 3550 s6.2 suggests 5 s).
pub(crate) const SR_INTERVAL: Duration = Duration::from_secs(5);
/// How long DESCRIBE waits for a stream's first SPS/PPS before answering without them.
pub(crate) const DESCRIBE_PARAMS_WAIT: Duration = Duration::from_secs(2);
/// Kernel send buffer for a TCP viewer: holds at least one large IDR (RFC-agnostic sizing).
pub(crate) const TCP_SNDBUF: usize = 512 * 1024;
/// TCP_NOTSENT_LOWAT of TCP viewers: the kernel keeps at most this much *unsent* data queued
/// past what it is sending, so backlog stays in our per-viewer queue where whole-frame drop
/// decisions are made, not in an opaque kernel buffer.
pub(crate) const TCP_NOTSENT_LOWAT: u32 = 128 * 1024;
/// Bytes of session id randomness (>= 64 bits, issue 3; RFC 2326 s12.37 wants unguessable).
pub(crate) const SESSION_ID_BYTES: usize = 12;

/// Runtime-adjustable limits; defaults are the constants above.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_request_head: usize,
    pub max_body: usize,
    pub max_headers: usize,
    pub max_connections: usize,
    pub max_connections_per_address: usize,
    pub reserved_connections: usize,
    pub unauthenticated_timeout: Duration,
    pub write_timeout: Duration,
    pub idle_timeout: Duration,
    pub header_timeout: Duration,
    pub session_timeout: Duration,
    /// SO_SNDBUF of TCP viewers (default [`TCP_SNDBUF`]).
    pub tcp_send_buffer: usize,
    /// The publisher writes an idle TCP viewer's frames itself (`rtsp::direct_write`). On by
    /// default; `NVT_DIRECT_WRITE=0` in the environment turns it off (the writer task sends
    /// every frame, as before: for measuring one against the other with the same binary).
    pub direct_write: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_request_head: MAX_REQUEST_HEAD,
            max_body: MAX_BODY,
            max_headers: MAX_HEADERS,
            max_connections: MAX_CONNECTIONS,
            max_connections_per_address: MAX_CONNECTIONS_PER_ADDRESS,
            reserved_connections: RESERVED_CONNECTIONS,
            unauthenticated_timeout: UNAUTHENTICATED_TIMEOUT,
            write_timeout: WRITE_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            header_timeout: HEADER_TIMEOUT,
            session_timeout: SESSION_TIMEOUT,
            tcp_send_buffer: TCP_SNDBUF,
            direct_write: std::env::var_os("NVT_DIRECT_WRITE").is_none_or(|v| v != "0"),
        }
    }
}

impl Limits {
    /// The connection admission policy these limits describe.
    pub(crate) fn slot_policy(&self) -> crate::conn_slots::SlotPolicy {
        crate::conn_slots::SlotPolicy {
            max_connections: self.max_connections,
            max_per_address: self.max_connections_per_address,
            reserve: self.reserved_connections,
            unproven_timeout: self.unauthenticated_timeout,
            trusted_memory: TRUSTED_MEMORY,
        }
    }
}

//! Every bound of authentication, in one place (DESIGN.md principle 6): the Digest nonce
//! table, the WS-UsernameToken replay cache, the failure throttle and the failure log. They
//! hold for SOAP, plain HTTP (page, HLS, snapshot) and RTSP alike, because all of them go
//! through the one gate (`auth::gate`). Documented for users in `docs/security.md` and
//! `docs/soap.md`; change them here only.

use std::time::Duration;

/// The protection space of every Digest and Basic challenge (RTSP and HTTP). One realm, so
/// `H(user:realm:password)` is the same for every protocol of the camera.
pub(crate) const REALM: &str = "nvt";

/// Lifetime of a Digest nonce; a correct response over an older nonce that this server
/// issued gets `stale=true` (RFC 7616 s.3.3) and the client retries without asking the user.
pub(crate) const DIGEST_NONCE_LIFETIME: Duration = Duration::from_secs(300);
/// Most outstanding Digest nonces remembered (for the nonce-count replay check). A flood of
/// challenges only forgets older nonces, whose correct responses then get `stale=true`.
pub(crate) const DIGEST_MAX_NONCES: usize = 4096;

/// A WS-UsernameToken whose `Created` is within this much of the device clock (either way) is
/// accepted when its digest is right and its nonce was never accepted for its user (see
/// `auth::wsse` and docs/soap.md "Clock skew"): a camera whose clock is hours off (no RTC, no
/// NTP, a time zone taken as UTC) can still be logged into, and repaired with
/// SetSystemDateAndTime. 25 h covers every time-zone offset (UTC-12 to UTC+14) plus a
/// daylight-saving hour.
pub(crate) const WSSE_MAX_CLOCK_SKEW: Duration = Duration::from_secs(25 * 3600);
/// Most remembered WS-UsernameToken nonces per user. Only tokens that verified are stored,
/// and each user has their own cache, so a user's flood costs only that user.
pub(crate) const WSSE_NONCE_CACHE_PER_USER: usize = 4096;
/// Most users whose replay caches are kept at once (twice the 32 ONVIF users the Device
/// service allows, so renamed and recreated users fit too).
pub(crate) const WSSE_USER_CACHES: usize = 64;
/// Longest accepted decoded WS-UsernameToken nonce (clients send 16 or 20 bytes).
pub(crate) const WSSE_MAX_NONCE_BYTES: usize = 64;

/// Authentication failures of one key (an address, or an address and a user name) after which
/// its answers are delayed.
pub const AUTH_FAILURES_BEFORE_DELAY: u32 = 5;
/// Delay added per failure beyond the threshold, and its cap. While a key's delay runs, its
/// attempts are refused without being checked, so parallel connections buy no extra guesses.
pub(crate) const AUTH_FAILURE_DELAY_STEP: Duration = Duration::from_millis(200);
pub(crate) const AUTH_FAILURE_DELAY_MAX: Duration = Duration::from_secs(5);
/// A key's failures are forgotten after this long without another failure.
pub(crate) const AUTH_FAILURE_MEMORY: Duration = Duration::from_secs(300);
/// Most keys tracked by the failure throttle, per kind (addresses; address-and-user pairs).
pub(crate) const AUTH_FAILURE_TABLE: usize = 1024;

/// Most authentication-failure lines logged at warn per [`AUTH_WARN_PERIOD`]; the failures
/// beyond are counted and reported with the next line, so a guessing flood cannot fill the
/// log.
pub(crate) const AUTH_WARN_LINES: u32 = 10;
pub(crate) const AUTH_WARN_PERIOD: Duration = Duration::from_secs(60);

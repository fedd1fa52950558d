//! The one authentication gate (issue 15.3): SOAP, plain HTTP (the page, HLS, snapshots) and
//! RTSP all authenticate here, against one user store, with one Digest nonce table, one
//! WS-UsernameToken replay cache, one failure throttle, one realm ([`REALM`]) and one
//! rate-limited failure log. Sans-IO: the peer and the time come in with each attempt, and a
//! refusal says how long to wait and whether to close the connection; the protocol shells
//! (`onvif::endpoint`, `http::auth`, `rtsp::auth`) turn that into their own answers.
//!
//! Order of every check (issue 14.1): the throttle first (a blocked address or user is refused
//! without its credentials being looked at), then the Digest nonce (one this gate did not
//! issue to this address is refused before the response is computed, so a made-up nonce never
//! tells a right password from a wrong one), then the response. A failure counts per address
//! and per (address, user), is logged at warn with the peer (at most [`AUTH_WARN_LINES`] lines
//! per [`AUTH_WARN_PERIOD`]), and once the address is past its free failures asks the shell
//! to close the connection.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::basic;
use super::digest::{DenyReason, DigestAuth, DigestConfig, Policy, Verdict, parse_authorization};
use super::limits::{AUTH_WARN_LINES, AUTH_WARN_PERIOD, REALM};
use super::throttle::{FailureThrottle, ThrottleConfig};
use super::wsse::{UsernameToken, WsseError, WsseVerifier};
use super::{Credential, CredentialStore};

/// One login attempt as every protocol sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attempt<'a> {
    pub(crate) peer: IpAddr,
    /// HTTP or RTSP method (part of the Digest `A2`).
    pub(crate) method: &'a str,
    /// The request-target as sent.
    pub(crate) uri: &'a str,
    /// The `Authorization` header, if any.
    pub(crate) authorization: Option<&'a str>,
}

/// Why the gate said no, and what the shell must do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// `WWW-Authenticate` values, one header each: Digest SHA-256, Digest MD5 (last, the one
    /// live555 reads), then Basic when allowed.
    pub(crate) challenges: Vec<String>,
    /// Answer only after this long (the throttle's delay).
    pub(crate) delay: Duration,
    /// Close the connection after the answer (the address is past its free failures).
    pub(crate) close: bool,
}

/// The outcome of one credential check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// Authenticated as this user.
    User(Credential),
    /// The Digest response was right but over an expired or forgotten nonce that this gate
    /// issued: challenge again with `stale=true` (RFC 7616 s.3.3). Not a failure.
    Stale,
    /// Refused: counted by the throttle (unless the throttle itself refused it unchecked).
    Failed { delay: Duration, close: bool },
}

/// Counts failure lines logged in the current period, and those left out.
struct WarnLimiter {
    state: Mutex<(Option<Instant>, u32, u64)>,
}

impl WarnLimiter {
    /// `Some(suppressed so far)` when this failure may be logged.
    fn allow(&self, now: Instant) -> Option<u64> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (start, lines, suppressed) = &mut *s;
        if start.is_none_or(|t| now.saturating_duration_since(t) >= AUTH_WARN_PERIOD) {
            *start = Some(now);
            *lines = 0;
        }
        if *lines < AUTH_WARN_LINES {
            *lines += 1;
            Some(std::mem::take(suppressed))
        } else {
            *suppressed += 1;
            None
        }
    }
}

/// The gate. One per daemon run, shared (`Arc`) by every protocol shell.
pub struct Gate {
    store: Arc<dyn CredentialStore>,
    digest: DigestAuth,
    wsse: WsseVerifier,
    throttle: FailureThrottle,
    warn: WarnLimiter,
    /// The device clock in Unix milliseconds (system clock plus the offset clients set with
    /// SetSystemDateAndTime); WS-UsernameToken `Created` is judged against it.
    clock: Arc<dyn Fn() -> i64 + Send + Sync>,
}

impl Gate {
    /// A gate over `store` with the limits of `auth::limits`.
    pub fn new(store: Arc<dyn CredentialStore>, clock: Arc<dyn Fn() -> i64 + Send + Sync>) -> Self {
        Self::with_config(
            store,
            clock,
            DigestConfig::new(REALM),
            ThrottleConfig::default(),
        )
    }

    /// A gate with other Digest or throttle tunables (tests: short nonce lifetimes, fast
    /// throttles).
    pub fn with_config(
        store: Arc<dyn CredentialStore>,
        clock: Arc<dyn Fn() -> i64 + Send + Sync>,
        digest: DigestConfig,
        throttle: ThrottleConfig,
    ) -> Self {
        Gate {
            store,
            digest: DigestAuth::new(digest),
            wsse: WsseVerifier::default(),
            throttle: FailureThrottle::with_config(throttle),
            warn: WarnLimiter {
                state: Mutex::new((None, 0, 0)),
            },
            clock,
        }
    }

    pub(crate) fn realm(&self) -> &str {
        &self.digest.config().realm
    }

    pub fn store(&self) -> &Arc<dyn CredentialStore> {
        &self.store
    }

    /// The device clock (Unix ms), as WS-UsernameToken `Created` is judged.
    pub(crate) fn device_now_ms(&self) -> i64 {
        (self.clock)()
    }

    /// Fresh challenges for `peer`: Digest (SHA-256, then MD5 last), then Basic when allowed.
    pub(crate) fn challenges(
        &self,
        peer: IpAddr,
        now: Instant,
        stale: bool,
        basic: bool,
    ) -> Vec<String> {
        let mut c = self.digest.challenge(peer, now, stale);
        if basic {
            c.push(basic::challenge(self.realm()));
        }
        c
    }

    /// Checks the `Authorization` header of `a` (Digest, or Basic when `allow_basic`); `None`
    /// when there is none (or it is Basic while Basic is off and `a` must be challenged as if
    /// it had none: that is still counted as a failure, see below).
    pub(crate) fn check_header(
        &self,
        a: &Attempt<'_>,
        policy: &Policy,
        allow_basic: bool,
        protocol: &'static str,
        now: Instant,
    ) -> Option<Check> {
        let header = a.authorization?;
        if basic::is_basic(header) {
            if !allow_basic {
                // Basic while it is off: refused like a missing credential, and counted, so
                // Basic cannot be used to guess at full speed either.
                return Some(self.fail(a.peer, None, protocol, "Basic not enabled", now));
            }
            let user = basic::parse(header).ok().map(|(u, _)| u);
            if let Err(wait) = self.throttle.admit(a.peer, user.as_deref(), now) {
                return Some(Check::Failed {
                    delay: wait,
                    close: true,
                });
            }
            return Some(match basic::verify(header, self.store.as_ref()) {
                Ok(c) => {
                    self.throttle.success(a.peer, &c.username, now);
                    Check::User(c)
                }
                Err(e) => self.fail(a.peer, user.as_deref(), protocol, &e.to_string(), now),
            });
        }
        let creds = match parse_authorization(header) {
            Ok(c) => c,
            Err(e) => {
                return Some(self.fail(a.peer, None, protocol, &e.to_string(), now));
            }
        };
        if let Err(wait) = self.throttle.admit(a.peer, Some(&creds.username), now) {
            return Some(Check::Failed {
                delay: wait,
                close: true,
            });
        }
        Some(
            match self.digest.verify_parsed(
                &creds,
                a.method,
                a.uri,
                self.store.as_ref(),
                a.peer,
                now,
                policy,
            ) {
                Verdict::Authenticated(c) => {
                    self.throttle.success(a.peer, &c.username, now);
                    Check::User(c)
                }
                Verdict::Stale => Check::Stale,
                Verdict::Denied(reason) => self.fail(
                    a.peer,
                    Some(&creds.username),
                    protocol,
                    &deny_text(&reason),
                    now,
                ),
            },
        )
    }

    /// A WS-UsernameToken (ONVIF Core s.5.9.4), as found in a SOAP request from `peer`.
    pub(crate) fn check_token(
        &self,
        peer: IpAddr,
        token: &Result<UsernameToken, WsseError>,
        now: Instant,
    ) -> Check {
        let t = match token {
            Ok(t) => t,
            Err(e) => return self.fail(peer, None, "SOAP", &e.to_string(), now),
        };
        if let Err(wait) = self.throttle.admit(peer, Some(&t.username), now) {
            return Check::Failed {
                delay: wait,
                close: true,
            };
        }
        match self
            .wsse
            .verify(t, self.store.as_ref(), self.device_now_ms())
        {
            Ok(c) => {
                self.throttle.success(peer, &c.username, now);
                Check::User(c)
            }
            Err(e) => self.fail(peer, Some(&t.username), "SOAP", &e.to_string(), now),
        }
    }

    /// Plain HTTP and RTSP: the user, or the refusal to answer with (fresh challenges,
    /// `stale=true` when only the nonce was old).
    pub(crate) fn login(
        &self,
        a: &Attempt<'_>,
        policy: &Policy,
        allow_basic: bool,
        protocol: &'static str,
        now: Instant,
    ) -> Result<Credential, Refusal> {
        let (stale, delay, close) = match self.check_header(a, policy, allow_basic, protocol, now) {
            Some(Check::User(c)) => return Ok(c),
            Some(Check::Stale) => (true, Duration::ZERO, false),
            Some(Check::Failed { delay, close }) => (false, delay, close),
            None => (false, Duration::ZERO, false),
        };
        Err(Refusal {
            challenges: self.challenges(a.peer, now, stale, allow_basic),
            delay,
            close,
        })
    }

    /// Counts a failure of `user` from `peer` (logged at warn, rate-limited) and says what it
    /// costs. For refusals the gate cannot see itself (a token naming another user than the
    /// HTTP login).
    pub(crate) fn fail(
        &self,
        peer: IpAddr,
        user: Option<&str>,
        protocol: &'static str,
        reason: &str,
        now: Instant,
    ) -> Check {
        let f = self.throttle.failure(peer, user, now);
        if let Some(suppressed) = self.warn.allow(now) {
            // The user name as sent, cut: it is attacker-chosen text going into a log line.
            let user: String = user.unwrap_or("").chars().take(32).collect();
            tracing::warn!(
                %peer,
                protocol,
                user = %user.escape_debug(),
                reason,
                address_failures = f.address_failures,
                delay_ms = f.delay.as_millis() as u64,
                suppressed,
                "authentication failed"
            );
        }
        Check::Failed {
            delay: f.delay,
            close: f.repeated,
        }
    }
}

fn deny_text(r: &DenyReason) -> String {
    match r {
        #[cfg(test)]
        DenyReason::Malformed(e) => format!("malformed: {e}"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::UserLevel;
    use crate::auth::digest::{Algorithm, compute_response};

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 7));

    fn gate() -> Gate {
        let users = vec![
            Credential {
                username: "admin".into(),
                password: "secret".into(),
                level: UserLevel::Administrator,
            },
            Credential {
                username: "user".into(),
                password: "user-pass".into(),
                level: UserLevel::User,
            },
        ];
        Gate::new(Arc::new(users), Arc::new(|| 1_795_323_741_000))
    }

    fn field(ch: &str, name: &str) -> String {
        let i = ch.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        ch[i..].split('"').next().unwrap().to_owned()
    }

    fn md5_2069(user: &str, pw: &str, nonce: &str, method: &str, uri: &str) -> String {
        let r = compute_response(Algorithm::Md5, user, REALM, pw, method, uri, nonce, None);
        format!(
            "Digest username=\"{user}\", realm=\"{REALM}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{r}\""
        )
    }

    /// live555 reads `Digest realm="..", nonce=".."` (and `stale=` right after) from the
    /// last Digest challenge.
    #[test]
    fn challenges_start_with_realm_then_nonce_md5_last() {
        let g = gate();
        let now = Instant::now();
        for stale in [false, true] {
            let c = g.challenges(A, now, stale, true);
            assert_eq!(c.len(), 3);
            for d in &c[..2] {
                assert!(d.starts_with("Digest realm=\"nvt\", nonce=\""), "{d}");
                let after_nonce = d.split("\", ").nth(2).unwrap();
                assert_eq!(after_nonce.starts_with("stale=true"), stale, "{d}");
            }
            assert!(c[1].contains("algorithm=MD5"), "{}", c[1]);
            assert!(c[2].starts_with("Basic realm=\"nvt\""));
        }
    }

    /// The made-up nonce oracle of issue 14.1, on simulated time: with nonce "0" the right
    /// password and a wrong one get the same refusal, and both count as failures.
    #[test]
    fn made_up_nonce_is_refused_before_the_password_is_looked_at() {
        let g = gate();
        let now = Instant::now();
        let uri = "rtsp://cam/main";
        let a = |h: &str| Attempt {
            peer: A,
            method: "DESCRIBE",
            uri,
            authorization: Some(Box::leak(h.to_owned().into_boxed_str())),
        };
        let right = g.login(
            &a(&md5_2069("admin", "secret", "0", "DESCRIBE", uri)),
            &Policy::RFC2069,
            false,
            "RTSP",
            now,
        );
        let wrong = g.login(
            &a(&md5_2069("admin", "nope", "0", "DESCRIBE", uri)),
            &Policy::RFC2069,
            false,
            "RTSP",
            now,
        );
        let (r, w) = (right.unwrap_err(), wrong.unwrap_err());
        assert!(r.challenges.iter().all(|c| !c.contains("stale")));
        assert_eq!((r.delay, r.close), (w.delay, w.close));
        // A nonce issued to another address is just as unknown.
        let other: IpAddr = "192.0.2.99".parse().unwrap();
        let nonce = field(&g.challenges(other, now, false, false)[1], "nonce");
        assert!(
            g.login(
                &a(&md5_2069("admin", "secret", &nonce, "DESCRIBE", uri)),
                &Policy::RFC2069,
                false,
                "RTSP",
                now
            )
            .is_err()
        );
        // The real nonce of this address works.
        let nonce = field(&g.challenges(A, now, false, false)[1], "nonce");
        let ok = g.login(
            &a(&md5_2069("admin", "secret", &nonce, "DESCRIBE", uri)),
            &Policy::RFC2069,
            false,
            "RTSP",
            now + Duration::from_secs(10),
        );
        assert_eq!(ok.unwrap().username, "admin");
    }

    /// Guessing from many parallel connections: while the address is blocked, attempts are
    /// refused without being checked, so a right guess then does not get in either.
    #[test]
    fn blocked_attempts_are_not_checked() {
        let g = gate();
        let t0 = Instant::now();
        let uri = "/onvif/device_service";
        let mut checked_right = None;
        for i in 0..200u32 {
            let now = t0 + Duration::from_millis(u64::from(i));
            let nonce = field(&g.challenges(A, now, false, false)[1], "nonce");
            let pw = if i == 150 { "secret" } else { "guess" };
            let h = md5_2069("admin", pw, &nonce, "POST", uri);
            let r = g.login(
                &Attempt {
                    peer: A,
                    method: "POST",
                    uri,
                    authorization: Some(&h),
                },
                &Policy::RFC2069,
                false,
                "HTTP",
                now,
            );
            if i == 150 {
                checked_right = Some(r.is_ok());
            }
        }
        assert_eq!(
            checked_right,
            Some(false),
            "a guess got through while blocked"
        );
    }

    #[test]
    fn warn_lines_are_rate_limited() {
        let w = WarnLimiter {
            state: Mutex::new((None, 0, 0)),
        };
        let t = Instant::now();
        let logged = (0..1000).filter(|_| w.allow(t).is_some()).count();
        assert_eq!(logged, AUTH_WARN_LINES as usize);
        assert_eq!(
            w.allow(t + AUTH_WARN_PERIOD),
            Some(1000 - u64::from(AUTH_WARN_LINES))
        );
    }
}

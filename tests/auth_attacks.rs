//! The authentication attacks of issue 14, each run for real: password guessing over RTSP with
//! a made-up nonce (the `stale=true` oracle), RTSP failures counted by the same throttle as
//! SOAP and the connection closed after repeated failures, a User's successes interleaved with
//! guesses on the administrator, and a User's flood of future-dated UsernameTokens. Plus the
//! skewed-clock rule of issue 13.4 (a token stamped by a client whose clock is an hour off the
//! camera's is accepted once, never replayed) and curl's body-less first POST (13.3).
//!
//! RTSP attacks drive the real `nvt` binary over loopback; the SOAP ones drive the real
//! endpoint, Device service and settings store in process, which returns the throttle's delay
//! instead of sleeping it, as a client that never waits (many parallel connections) would see.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nvt::auth::UserLevel;
use nvt::onvif::endpoint::{DEVICE_PATH, Endpoint, HttpResponse, Security};
use nvt::settings::SettingsStore;
use support::digest::{Challenge, Qop};
use support::endpoint::{self, PEER};
use support::*;

const PASSWORD: &str = "cam-Pass1";

// ---------------------------------------------------------------------------------------
// RTSP, against the real binary.

struct Rtsp {
    r: BufReader<TcpStream>,
    w: TcpStream,
    cseq: u32,
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Answer {
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl Rtsp {
    fn connect(url: &str) -> Rtsp {
        let hostport = url.trim_start_matches("rtsp://").split('/').next().unwrap();
        let s = TcpStream::connect(hostport).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Rtsp {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
            cseq: 0,
        }
    }

    /// Sends a request; None when the server closed the connection instead of answering.
    fn req(&mut self, method: &str, url: &str, auth: Option<&str>) -> Option<Answer> {
        self.cseq += 1;
        let mut m = format!("{method} {url} RTSP/1.0\r\nCSeq: {}\r\n", self.cseq);
        if let Some(a) = auth {
            m.push_str(&format!("Authorization: {a}\r\n"));
        }
        m.push_str("\r\n");
        self.w.write_all(m.as_bytes()).ok()?;
        let mut line = String::new();
        if self.r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let status = line.split_whitespace().nth(1)?.parse().ok()?;
        let mut headers = Vec::new();
        let mut len = 0usize;
        loop {
            let mut l = String::new();
            if self.r.read_line(&mut l).ok()? == 0 {
                return None;
            }
            let l = l.trim_end();
            if l.is_empty() {
                break;
            }
            let (k, v) = l.split_once(':')?;
            if k.eq_ignore_ascii_case("Content-Length") {
                len = v.trim().parse().ok()?;
            }
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        let mut body = vec![0; len];
        self.r.read_exact(&mut body).ok()?;
        Some(Answer { status, headers })
    }

    /// True when the server closes the connection within `within`.
    fn closed_within(&mut self, within: Duration) -> bool {
        self.r.get_ref().set_read_timeout(Some(within)).unwrap();
        let mut b = [0u8; 1];
        matches!(self.r.read(&mut b), Ok(0))
    }
}

/// An answer to `a`'s MD5 challenge as admin: RFC 2069 (qop-less, as live555 sends it) or
/// RFC 2617 qop=auth; `nonce` replaces the challenge's when given (a made-up one).
fn rtsp_digest(a: &Answer, url: &str, nonce: Option<&str>, password: &str, qop: bool) -> String {
    let mut ch = Challenge::md5(a.all("WWW-Authenticate"));
    if let Some(n) = nonce {
        ch.nonce = n.to_owned();
    }
    let qop = qop.then_some(Qop {
        nc: 1,
        cnonce: "0a4f113b",
    });
    ch.answer("admin", password, "DESCRIBE", url, qop)
}

/// Issue 14.1: a made-up nonce (`nonce="0"`) with the right password used to get `401
/// stale=true` and with a wrong one a plain 401: a password oracle that needs no server nonce.
/// Now a nonce the camera did not issue (to this address) is refused before the response is
/// looked at: both answers are the same plain challenge.
#[test]
fn rtsp_made_up_nonce_reveals_nothing() {
    let (nvt, url, _, _state) = start_with_admin(PASSWORD);
    let mut c = Rtsp::connect(&url);
    let first = c.req("DESCRIBE", &url, None).unwrap();
    assert_eq!(first.status, 401);
    let mut shapes = Vec::new();
    for (password, qop) in [
        (PASSWORD, false),
        ("wrong", false),
        (PASSWORD, true),
        ("wrong", true),
    ] {
        // A fresh connection each time: the test is about the answer, not the throttle.
        let mut c = Rtsp::connect(&url);
        let a = c
            .req(
                "DESCRIBE",
                &url,
                Some(&rtsp_digest(&first, &url, Some("0"), password, qop)),
            )
            .expect("an answer");
        assert_eq!(
            a.status,
            401,
            "made-up nonce, password ok={}",
            password == PASSWORD
        );
        let challenges = a.all("WWW-Authenticate");
        assert!(
            challenges.iter().all(|c| !c.contains("stale")),
            "stale=true for a made-up nonce is a password oracle: {challenges:?}"
        );
        shapes.push(challenges.len());
    }
    assert!(shapes.windows(2).all(|w| w[0] == w[1]), "{shapes:?}");
    drop(nvt);
}

/// Issue 14.1: one connection used to take 50,000+ guesses a second. Now RTSP failures go
/// through the gate's throttle: the connection is closed once the address is past its free
/// failures, the failures are logged at warn with the peer, and they count for SOAP too (one
/// throttle): the next SOAP failure from the address is answered late.
#[test]
fn rtsp_guessing_is_throttled_like_soap() {
    let (mut nvt, url, http_port, _state) = start_with_admin(PASSWORD);
    let mut c = Rtsp::connect(&url);
    let mut answered = 0;
    let mut closed = false;
    let mut a = c.req("DESCRIBE", &url, None).unwrap();
    for i in 0..40 {
        let guess = format!("guess-{i}");
        match c.req(
            "DESCRIBE",
            &url,
            Some(&rtsp_digest(&a, &url, None, &guess, true)),
        ) {
            Some(next) => {
                assert_eq!(next.status, 401);
                answered += 1;
                if next
                    .all("Connection")
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case("close"))
                {
                    closed = c.closed_within(Duration::from_secs(10));
                    break;
                }
                a = next;
            }
            None => {
                closed = true;
                break;
            }
        }
    }
    println!("guesses answered on one connection before it was closed: {answered}");
    assert!(
        closed,
        "connection still open after {answered} wrong guesses"
    );
    assert!(
        answered <= nvt::auth::limits::AUTH_FAILURES_BEFORE_DELAY as usize + 1,
        "{answered} guesses on one connection"
    );
    let warn = nvt.wait_for("authentication failed", Duration::from_secs(10));
    assert!(
        warn.contains("WARN") && warn.contains("127.0.0.1"),
        "{warn}"
    );
    // The same address over SOAP: past its free failures already, so a wrong password is
    // answered only after the throttle's delay (0 before RTSP shared the throttle).
    let t = Instant::now();
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--digest",
            "-u",
        ])
        .arg("admin:wrong")
        .args(["-H", "Content-Type: application/soap+xml", "--data"])
        .arg(soap::envelope("", "<tds:GetUsers/>"))
        .arg(format!("http://127.0.0.1:{http_port}{DEVICE_PATH}"))
        .output()
        .unwrap();
    let took = t.elapsed();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "401");
    println!("SOAP failure after the RTSP failures answered in {took:?}");
    assert!(
        took >= Duration::from_millis(300),
        "SOAP failure answered in {took:?}: RTSP failures were not counted"
    );
}

// ---------------------------------------------------------------------------------------
// SOAP, against the real endpoint in process.

struct Fixture {
    _dir: tempfile::TempDir,
    endpoint: Endpoint,
}

fn fixture(clock_offset_ms: i64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = SettingsStore::open(dir.path()).unwrap();
    endpoint::seed_users(
        &store,
        &[
            ("admin", UserLevel::Administrator),
            ("user", UserLevel::User),
        ],
    );
    let store = Arc::new(store);
    // The camera's clock: the host's plus `clock_offset_ms` (a camera without RTC or NTP).
    let security = Security::new(
        store.clone(),
        Arc::new(move || soap::now_ms() + clock_offset_ms),
    );
    Fixture {
        _dir: dir,
        endpoint: endpoint::device(store, security),
    }
}

async fn post(f: &Fixture, body: &str, authorization: Option<&str>) -> HttpResponse {
    post_from(f, PEER, body, authorization).await
}

async fn post_from(
    f: &Fixture,
    peer: IpAddr,
    body: &str,
    authorization: Option<&str>,
) -> HttpResponse {
    endpoint::post(&f.endpoint, peer, "127.0.0.1:8080", authorization, body).await
}

/// Issue 14.7: a User's success used to clear the failure count of the whole address, so a
/// User interleaving their own logins with guesses on admin was never slowed down (67,000
/// guesses a minute). Now a success clears only its own (address, user) count: the guesses on
/// admin are throttled as if the User were not there, while the User keeps logging in.
#[tokio::test]
async fn user_successes_do_not_reopen_admin_guessing() {
    let f = fixture(0);
    let info = "<tds:GetDeviceInformation/>";
    let mut delayed = 0;
    for i in 0..20 {
        let ok = post(
            &f,
            &soap::envelope(
                &soap::username_token_at("user", "user-pass", true, soap::now_ms()),
                info,
            ),
            None,
        )
        .await;
        assert_eq!(ok.status, 200, "the User's own login, round {i}");
        let guess = post(
            &f,
            &soap::envelope(
                &soap::username_token_at("admin", &format!("guess-{i}"), true, soap::now_ms()),
                info,
            ),
            None,
        )
        .await;
        assert_ne!(guess.status, 200);
        if !guess.delay.is_zero() {
            delayed += 1;
        }
    }
    println!("admin guesses answered late: {delayed} of 20");
    // Free failures are 5: every later guess is answered only after the throttle's delay.
    assert!(
        delayed >= 20 - nvt::auth::limits::AUTH_FAILURES_BEFORE_DELAY as usize,
        "{delayed}"
    );
    // And while admin's delay runs, even the right password is not looked at.
    let right = post(
        &f,
        &soap::envelope(
            &soap::username_token_at("admin", "admin-pass", true, soap::now_ms()),
            info,
        ),
        None,
    )
    .await;
    assert_ne!(
        right.status, 200,
        "a guess was checked while the throttle held admin"
    );
}

/// Issue 14.6: 8,400 valid tokens of one User dated now+295 s used to push the shared replay
/// cache's eviction floor into the future, refusing every honest token (admin and Home
/// Assistant) for minutes. Each user now has their own cache: the flood costs only its user.
#[tokio::test]
async fn future_dated_token_flood_costs_only_its_user() {
    let f = fixture(0);
    let info = "<tds:GetDeviceInformation/>";
    let future = soap::now_ms() + 295_000;
    let mut accepted = 0;
    for _ in 0..8_400 {
        let r = post(
            &f,
            &soap::envelope(
                &soap::username_token_at("user", "user-pass", true, future),
                info,
            ),
            None,
        )
        .await;
        accepted += usize::from(r.status == 200);
    }
    println!("future-dated tokens accepted: {accepted} of 8400");
    // The administrator (or Home Assistant) on another host. (From the User's own address
    // the refused part of the flood counts as failures: the throttle holds that address.)
    let elsewhere = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let t = soap::username_token_at("admin", "admin-pass", true, soap::now_ms());
    let admin = post_from(&f, elsewhere, &soap::envelope(&t, info), None).await;
    assert_eq!(
        admin.status, 200,
        "admin locked out by a User's token flood: {}",
        admin.body
    );
}

/// Issue 13.4: a camera whose clock is an hour ahead of (or behind) Home Assistant's. HA
/// stamps tokens from its own clock; they are accepted (so HA's setup and its
/// SetSystemDateAndTime repair work), once: the same token again is a replay.
#[tokio::test]
async fn skewed_camera_clock_accepts_fresh_tokens_once() {
    for offset in [3_600_000i64, -3_600_000] {
        let f = fixture(offset);
        let info = "<tds:GetDeviceInformation/>";
        let t = soap::username_token_at("admin", "admin-pass", true, soap::now_ms());
        let r = post(&f, &soap::envelope(&t, info), None).await;
        assert_eq!(r.status, 200, "clock {offset:+} ms: {}", r.body);
        let again = post(&f, &soap::envelope(&t, info), None).await;
        assert_eq!(
            again.status, 400,
            "replayed token accepted (clock {offset:+} ms)"
        );
        assert!(again.body.contains("NotAuthorized"), "{}", again.body);
        // A wrong password is still refused, skewed or not.
        let bad = post(
            &f,
            &soap::envelope(
                &soap::username_token_at("admin", "nope", true, soap::now_ms()),
                info,
            ),
            None,
        )
        .await;
        assert_eq!(bad.status, 400);
        // The clock repair itself (HA's async_manually_set_date_and_time).
        let now = chrono_like(soap::now_ms());
        let set = format!(
            "<tds:SetSystemDateAndTime><tds:DateTimeType>Manual</tds:DateTimeType><tds:DaylightSavings>false</tds:DaylightSavings><tds:UTCDateTime><tt:Time xmlns:tt=\"http://www.onvif.org/ver10/schema\"><tt:Hour>{}</tt:Hour><tt:Minute>{}</tt:Minute><tt:Second>{}</tt:Second></tt:Time><tt:Date xmlns:tt=\"http://www.onvif.org/ver10/schema\"><tt:Year>{}</tt:Year><tt:Month>{}</tt:Month><tt:Day>{}</tt:Day></tt:Date></tds:UTCDateTime></tds:SetSystemDateAndTime>",
            now.3, now.4, now.5, now.0, now.1, now.2
        );
        let r = post(
            &f,
            &soap::envelope(
                &soap::username_token_at("admin", "admin-pass", true, soap::now_ms()),
                &set,
            ),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "SetSystemDateAndTime: {}", r.body);
    }
}

/// (year, month, day, hour, minute, second) of a Unix time in ms, UTC.
fn chrono_like(ms: i64) -> (i64, i64, i64, i64, i64, i64) {
    let s = nvt::xml::xsd::format_datetime(ms); // 2026-12-05T08:52:04.123Z
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().unwrap();
    (n(0, 4), n(5, 7), n(8, 10), n(11, 13), n(14, 16), n(17, 19))
}

/// Issue 13.3: curl --digest first POSTs with an empty body to get the challenge. That names
/// no operation, so it cannot be a PRE_AUTH one: it gets the 401 Digest challenge.
#[tokio::test]
async fn empty_post_gets_the_digest_challenge() {
    let f = fixture(0);
    let r = post(&f, "", None).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(
        r.challenges
            .iter()
            .any(|c| c.starts_with("Digest realm=\"nvt\", nonce=\"")),
        "{:?}",
        r.challenges
    );
}

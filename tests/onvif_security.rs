//! The SOAP endpoint's security, through the real endpoint, Device service and settings store
//! (no mocks): the access matrix generated from the operation table (every Device operation x
//! {no credentials, User, Operator, Administrator}), negative WS-UsernameToken and HTTP Digest
//! cases, and hostile XML. The HTTP shell is exercised at the end over loopback.

mod support;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use nvt::auth::UserLevel;
use nvt::auth::access::AccessClass;
use nvt::auth::digest::DigestConfig;
use nvt::auth::throttle::ThrottleConfig;
use nvt::auth::wsse::{PASSWORD_DIGEST, PASSWORD_TEXT, password_digest};
use nvt::onvif::device::device_now_ms;
use nvt::onvif::endpoint::{DEVICE_PATH, Endpoint, HttpResponse, Security};
use nvt::onvif::generated::device::OPERATIONS;
use nvt::settings::SettingsStore;
use nvt::xml::xsd::format_datetime;
use support::digest::{Challenge, Qop};
use support::endpoint::{self, PEER};
use support::soap;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<SettingsStore>,
    endpoint: Endpoint,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = SettingsStore::open(dir.path()).unwrap();
    endpoint::seed_users(
        &store,
        &[
            ("admin", UserLevel::Administrator),
            ("operator", UserLevel::Operator),
            ("user", UserLevel::User),
        ],
    );
    let store = Arc::new(store);
    let clock_store = store.clone();
    let mut cfg = DigestConfig::new("nvt");
    cfg.nonce_lifetime = Duration::from_millis(300);
    let security = Security::with_config(
        store.clone(),
        Arc::new(move || device_now_ms(&clock_store)),
        cfg,
        // These tests are about the access rules and send many refused credentials in a row
        // without waiting out the throttle; the throttle has its own (tests/auth_attacks.rs).
        ThrottleConfig {
            free_failures: 1_000,
            ..ThrottleConfig::default()
        },
    );
    Fixture {
        _dir: dir,
        store: store.clone(),
        endpoint: endpoint::device(store, security),
    }
}

struct Token<'a> {
    user: &'a str,
    password: &'a str,
    nonce: Option<Vec<u8>>,
    created: Option<String>,
    ty: &'a str,
}

fn token(user: &str, password: &str, now_ms: i64) -> Token<'static> {
    let user: &'static str = Box::leak(user.to_owned().into_boxed_str());
    let password: &'static str = Box::leak(password.to_owned().into_boxed_str());
    Token {
        user,
        password,
        nonce: Some(rand::random::<[u8; 16]>().to_vec()),
        created: Some(format_datetime(now_ms)),
        ty: PASSWORD_DIGEST,
    }
}

fn security_header(t: &Token) -> String {
    let pw = if t.ty == PASSWORD_DIGEST {
        password_digest(
            t.nonce.as_deref().unwrap_or(b""),
            t.created.as_deref().unwrap_or(""),
            t.password,
        )
    } else {
        t.password.to_owned()
    };
    let nonce = t
        .nonce
        .as_ref()
        .map(|n| {
            format!(
                "<wsse:Nonce>{}</wsse:Nonce>",
                base64::engine::general_purpose::STANDARD.encode(n)
            )
        })
        .unwrap_or_default();
    let created = t
        .created
        .as_ref()
        .map(|c| format!("<wsu:Created>{c}</wsu:Created>"))
        .unwrap_or_default();
    format!(
        r#"<wsse:Security s:mustUnderstand="1" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><wsse:UsernameToken><wsse:Username>{}</wsse:Username><wsse:Password Type="{}">{pw}</wsse:Password>{nonce}{created}</wsse:UsernameToken></wsse:Security>"#,
        t.user, t.ty
    )
}

async fn post(f: &Fixture, body: &str, authorization: Option<&str>) -> HttpResponse {
    endpoint::post(&f.endpoint, PEER, "127.0.0.1:8080", authorization, body).await
}

/// The first subcode of a fault answer.
fn subcode(r: &HttpResponse) -> Option<String> {
    soap::subcodes(&r.body).get(1).cloned()
}

/// Denied = 401 (no credentials) or 400 ter:NotAuthorized; anything else got past access
/// control (a request without arguments may then fail with ter:InvalidArgs, which is fine).
fn denied(r: &HttpResponse) -> bool {
    r.status == 401 || (r.status == 400 && subcode(r).as_deref() == Some("ter:NotAuthorized"))
}

#[tokio::test]
async fn access_matrix_from_the_operation_table() {
    let f = fixture();
    let levels = [
        None,
        Some(("user", UserLevel::User)),
        Some(("operator", UserLevel::Operator)),
        Some(("admin", UserLevel::Administrator)),
    ];
    assert_eq!(OPERATIONS.len(), 32);
    for op in OPERATIONS {
        assert_ne!(op.access, AccessClass::Unclassified, "{}", op.name);
        for level in levels {
            let header = match level {
                None => String::new(),
                Some((u, _)) => {
                    security_header(&token(u, &format!("{u}-pass"), device_now_ms(&f.store)))
                }
            };
            let r = post(
                &f,
                &soap::envelope(&header, &format!("<tds:{}/>", op.request.1)),
                None,
            )
            .await;
            let allowed = op.access.allows(level.map(|l| l.1));
            assert_eq!(
                !denied(&r),
                allowed,
                "{} as {:?}: status {} {:?}",
                op.name,
                level.map(|l| l.0),
                r.status,
                subcode(&r)
            );
            if level.is_none() && !allowed {
                assert_eq!(r.status, 401, "{}", op.name);
                assert!(r.challenges.iter().any(|c| c.starts_with("Digest ")));
            }
            // Never an empty success for something we cannot do.
            assert_ne!(
                subcode(&r).as_deref(),
                Some("ter:ActionNotSupported"),
                "{}",
                op.name
            );
        }
    }
}

#[tokio::test]
async fn unknown_operation_is_action_not_supported() {
    let f = fixture();
    let r = post(
        &f,
        &soap::envelope("", "<tds:UpgradeSystemFirmware/>"),
        None,
    )
    .await;
    assert_eq!(r.status, 500);
    assert_eq!(subcode(&r).as_deref(), Some("ter:ActionNotSupported"));
    let r = post(&f, &soap::envelope("", "<x:Foo xmlns:x=\"urn:x\"/>"), None).await;
    assert_eq!(subcode(&r).as_deref(), Some("ter:ActionNotSupported"));
}

#[tokio::test]
async fn negative_username_token_cases() {
    let f = fixture();
    let now = device_now_ms(&f.store);
    let get_info = "<tds:GetDeviceInformation/>";
    let cases: Vec<(&str, Token)> = vec![
        (
            "missing nonce",
            Token {
                nonce: None,
                ..token("admin", "admin-pass", now)
            },
        ),
        (
            "missing Created",
            Token {
                created: None,
                ..token("admin", "admin-pass", now)
            },
        ),
        // Outside the accepted clock skew (25 h; docs/soap.md "Clock skew").
        (
            "stale Created",
            token("admin", "admin-pass", now - 26 * 3_600_000),
        ),
        (
            "future Created",
            token("admin", "admin-pass", now + 26 * 3_600_000),
        ),
        ("wrong password", token("admin", "nope", now)),
        ("unknown user", token("root", "admin-pass", now)),
        (
            "wrong Type",
            Token {
                ty: "urn:bogus#Password",
                ..token("admin", "admin-pass", now)
            },
        ),
    ];
    for (what, t) in cases {
        let r = post(&f, &soap::envelope(&security_header(&t), get_info), None).await;
        assert_eq!(r.status, 400, "{what}");
        assert_eq!(subcode(&r).as_deref(), Some("ter:NotAuthorized"), "{what}");
        // GetSystemDateAndTime answers whatever the token (clients use it to fix their clock).
        let r = post(
            &f,
            &soap::envelope(&security_header(&t), "<tds:GetSystemDateAndTime/>"),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{what} on GetSystemDateAndTime");
    }
    // A good token works once; its replay is refused.
    let good = security_header(&token("admin", "admin-pass", now));
    assert_eq!(
        post(&f, &soap::envelope(&good, get_info), None)
            .await
            .status,
        200
    );
    let r = post(&f, &soap::envelope(&good, get_info), None).await;
    assert_eq!(
        (r.status, subcode(&r).as_deref()),
        (400, Some("ter:NotAuthorized"))
    );
    // PasswordText works too.
    let t = Token {
        ty: PASSWORD_TEXT,
        ..token("user", "user-pass", now)
    };
    assert_eq!(
        post(&f, &soap::envelope(&security_header(&t), get_info), None)
            .await
            .status,
        200
    );
}

fn digest_answer(challenge: &str, user: &str, password: &str, nc: u32) -> String {
    let ch = Challenge::parse(challenge);
    assert!(
        ch.opaque.is_some(),
        "HTTP challenges carry an opaque: {challenge}"
    );
    ch.answer(
        user,
        password,
        "POST",
        DEVICE_PATH,
        Some(Qop {
            nc,
            cnonce: "abcdef",
        }),
    )
}

#[tokio::test]
async fn http_digest_flow_replay_and_expiry() {
    let f = fixture();
    let body = soap::envelope("", "<tds:GetDeviceInformation/>");
    let r = post(&f, &body, None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.challenges.len(), 2);
    for (i, ch) in r.challenges.iter().enumerate() {
        let auth = digest_answer(ch, "user", "user-pass", 1 + i as u32);
        assert_eq!(post(&f, &body, Some(&auth)).await.status, 200, "{ch}");
    }
    // Replayed nonce count.
    let auth = digest_answer(&r.challenges[0], "user", "user-pass", 1);
    let again = post(&f, &body, Some(&auth)).await;
    assert_eq!(again.status, 401);
    assert!(!again.challenges[0].contains("stale=true"));
    // Wrong password.
    let bad = digest_answer(&r.challenges[0], "user", "nope", 9);
    assert_eq!(post(&f, &body, Some(&bad)).await.status, 401);
    // Expired nonce (lifetime 300 ms in this fixture): stale=true.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let late = digest_answer(&r.challenges[0], "user", "user-pass", 10);
    let r2 = post(&f, &body, Some(&late)).await;
    assert_eq!(r2.status, 401);
    assert!(
        r2.challenges[0].contains("stale=true"),
        "{:?}",
        r2.challenges
    );
    // An operator is not an administrator: by HTTP Digest the answer is 401 with a fresh
    // challenge (ACCESS_POLICY-1-1-5), not an authorization fault.
    let ch = post(&f, &body, None).await.challenges;
    let op = digest_answer(&ch[0], "operator", "operator-pass", 1);
    let r3 = post(&f, &soap::envelope("", "<tds:GetUsers/>"), Some(&op)).await;
    assert_eq!(r3.status, 401);
    assert!(
        r3.challenges.iter().any(|c| c.starts_with("Digest ")),
        "{:?}",
        r3.challenges
    );
}

#[tokio::test]
async fn hostile_xml_gets_a_fault() {
    let f = fixture();
    let laughs = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">{}]><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>&e9;</s:Body></s:Envelope>",
        (1..10)
            .map(|i| format!(
                "<!ENTITY e{i} \"{}\">",
                format!("&e{};", i - 1).repeat(10).replace("&e0;", "&a;")
            ))
            .collect::<String>()
    );
    let quadratic = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE q [<!ENTITY x \"{}\">]><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>{}</s:Body></s:Envelope>",
        "x".repeat(20_000),
        "&x;".repeat(10_000)
    );
    let xxe = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><tds:GetHostname xmlns:tds=\"http://www.onvif.org/ver10/device/wsdl\">&e;</tds:GetHostname></s:Body></s:Envelope>".to_owned();
    let undeclared = soap::envelope("", "<tds:GetHostname>&e;</tds:GetHostname>");
    let deep = soap::envelope("", &("<a>".repeat(10_000) + &"</a>".repeat(10_000)));
    let deep8k = soap::envelope("", &("<a>".repeat(8_000) + &"</a>".repeat(8_000)));
    let pi = format!("<?evil?>{}", soap::envelope("", "<tds:GetHostname/>"));
    let headers = soap::envelope(
        &"<x:H xmlns:x=\"urn:x\"/>".repeat(1000),
        "<tds:GetHostname/>",
    );
    let dup_security = soap::envelope(
        &security_header(&token("admin", "admin-pass", device_now_ms(&f.store))).repeat(2),
        "<tds:GetUsers/>",
    );
    for (what, body, status) in [
        ("billion laughs", laughs, 400),
        ("quadratic blowup", quadratic, 400),
        ("XXE", xxe, 400),
        ("undeclared entity", undeclared, 400),
        // 10k levels of <a></a> are 70 KB: refused by size; 8k levels fit and hit the depth cap.
        ("10k deep", deep, 413),
        ("8k deep", deep8k, 400),
        ("processing instruction", pi, 400),
        ("1000 header blocks", headers, 400),
        ("two Security headers", dup_security, 400),
        ("65 KiB + 1", " ".repeat(64 * 1024 + 1), 413),
        ("not XML", "hello".into(), 400),
        (
            "not UTF-8",
            String::from_utf8_lossy(b"\xff\xfe<").into_owned(),
            400,
        ),
    ] {
        let r = post(&f, &body, None).await;
        assert_eq!(r.status, status, "{what}: {}", r.body);
        assert!(r.body.starts_with("<?xml"), "{what}");
    }
}

#[tokio::test]
async fn http_shell_over_loopback() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let f = fixture();
    let store = f.store.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let endpoint = Arc::new(nvt::http::server::Router::new(f.endpoint));
    let server = tokio::spawn(nvt::http::server::serve(listener, endpoint));
    async fn exchange(addr: std::net::SocketAddr, req: &[u8]) -> String {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(req).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).into_owned()
    }
    let body = soap::envelope("", "<tds:GetSystemDateAndTime/>");
    let ok = exchange(addr, format!("POST /onvif/device_service HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).as_bytes()).await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.contains("application/soap+xml; charset=utf-8"));
    // 1000 duplicate HTTP headers: refused before any SOAP work.
    let many: String = (0..1000).map(|_| "X-Dup: 1\r\n").collect();
    let r = exchange(
        addr,
        format!(
            "POST /onvif/device_service HTTP/1.1\r\nHost: x\r\n{many}Content-Length: 0\r\n\r\n"
        )
        .as_bytes(),
    )
    .await;
    assert!(
        r.is_empty() || r.starts_with("HTTP/1.1 431") || r.starts_with("HTTP/1.1 400"),
        "{r}"
    );
    // Declared body over the cap: 413 without reading it.
    let r = exchange(addr, b"POST /onvif/device_service HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\nConnection: close\r\n\r\n").await;
    assert!(r.starts_with("HTTP/1.1 413"), "{r}");
    // Chunked body over the cap: 413 as soon as the cap is passed.
    let chunk = format!("{:x}\r\n{}\r\n", 40_000, "a".repeat(40_000));
    let r = exchange(addr, format!("POST /onvif/device_service HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{chunk}{chunk}0\r\n\r\n").as_bytes()).await;
    assert!(r.starts_with("HTTP/1.1 413"), "{r}");
    // Outside /onvif/ only registered handlers answer; none here.
    let r = exchange(
        addr,
        b"GET /snapshot/main HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(r.starts_with("HTTP/1.1 404"), "{r}");
    // A service path with no service behind it: a SOAP fault, not a device answer.
    let r = exchange(addr, format!("POST /onvif/media_service HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).as_bytes()).await;
    assert!(r.contains("ActionNotSupported"), "{r}");
    server.abort();
    drop(store);
}

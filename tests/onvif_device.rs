//! The Device service through the endpoint with an administrator's credentials: Users CRUD
//! with the Core spec's rules, and Set* operations persisting across a restart (the settings
//! store is reopened from its directory, as the daemon does at start).

mod support;

use std::sync::Arc;

use nvt::auth::UserLevel;
use nvt::onvif::device::{MAX_USERS, device_now_ms};
use nvt::onvif::endpoint::{Endpoint, HttpResponse, Security};
use nvt::settings::SettingsStore;
use support::soap;

fn endpoint(store: Arc<SettingsStore>) -> Endpoint {
    let clock = store.clone();
    support::endpoint::device(
        store.clone(),
        Security::new(store, Arc::new(move || device_now_ms(&clock))),
    )
}

fn open(dir: &std::path::Path) -> Arc<SettingsStore> {
    Arc::new(SettingsStore::open(dir).unwrap().0)
}

/// Posts `body` as the administrator, authenticated by a PasswordText UsernameToken over a
/// fresh nonce (the point here is the service, not the scheme).
async fn admin(e: &Endpoint, store: &SettingsStore, body: &str) -> HttpResponse {
    let header = soap::username_token_at("admin", "admin-pass", false, device_now_ms(store));
    support::endpoint::post(
        e,
        "127.0.0.1".parse().unwrap(),
        "192.0.2.1:8080",
        None,
        &soap::envelope(&header, body),
    )
    .await
}

fn subcodes(r: &HttpResponse) -> Vec<String> {
    soap::subcodes(&r.body)
}

fn seed(dir: &std::path::Path) {
    support::endpoint::seed_users(&open(dir), &[("admin", UserLevel::Administrator)]);
}

fn user_xml(name: &str, pw: Option<&str>, level: &str) -> String {
    let pw = pw
        .map(|p| format!("<tt:Password>{p}</tt:Password>"))
        .unwrap_or_default();
    format!(
        "<tds:User><tt:Username>{name}</tt:Username>{pw}<tt:UserLevel>{level}</tt:UserLevel></tds:User>"
    )
}

#[tokio::test]
async fn users_follow_the_core_rules() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let store = open(dir.path());
    let e = endpoint(store.clone());
    let create = |u: String| format!("<tds:CreateUsers>{u}</tds:CreateUsers>");

    let r = admin(
        &e,
        &store,
        &create(user_xml("op", Some("op-pass-1"), "Operator")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let cases = [
        (
            user_xml("op", Some("other-pass"), "User"),
            "ter:UsernameClash",
        ),
        (
            user_xml("anon", Some("anon-pass"), "Anonymous"),
            "ter:AnonymousNotAllowed",
        ),
        (user_xml("weak", Some("abc"), "User"), "ter:PasswordTooWeak"),
        (user_xml("nopw", None, "User"), "ter:PasswordTooWeak"),
        (
            user_xml("long", Some(&"x".repeat(65)), "User"),
            "ter:PasswordTooLong",
        ),
        (
            user_xml(&"u".repeat(65), Some("good-pass"), "User"),
            "ter:UsernameTooLong",
        ),
        (
            user_xml("twin", Some("good-pass"), "User")
                + &user_xml("twin", Some("good-pass"), "User"),
            "ter:UsernameClash",
        ),
    ];
    for (body, sub) in cases {
        let r = admin(&e, &store, &create(body)).await;
        assert_eq!(r.status, 400, "{sub}: {}", r.body);
        assert!(
            subcodes(&r).iter().any(|s| s == sub),
            "{sub}: {:?}",
            subcodes(&r)
        );
    }
    // All or nothing, and the cap.
    let many: String = (0..MAX_USERS)
        .map(|i| user_xml(&format!("u{i}"), Some("good-pass"), "User"))
        .collect();
    let r = admin(&e, &store, &create(many)).await;
    assert_eq!(
        subcodes(&r),
        ["env:Receiver", "ter:Action", "ter:TooManyUsers"]
    );
    assert_eq!(store.get().users.len(), 2);

    // GetUsers never returns passwords.
    let r = admin(&e, &store, "<tds:GetUsers/>").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<tt:Username>op</tt:Username>") && !r.body.contains("op-pass-1"));

    // The last administrator can be neither deleted nor demoted.
    let r = admin(
        &e,
        &store,
        "<tds:DeleteUsers><tds:Username>admin</tds:Username></tds:DeleteUsers>",
    )
    .await;
    assert!(
        subcodes(&r).contains(&"ter:FixedUser".to_owned()),
        "{:?}",
        subcodes(&r)
    );
    let r = admin(
        &e,
        &store,
        &format!(
            "<tds:SetUser>{}</tds:SetUser>",
            user_xml("admin", None, "User")
        ),
    )
    .await;
    assert!(
        subcodes(&r).contains(&"ter:FixedUser".to_owned()),
        "{:?}",
        subcodes(&r)
    );
    let r = admin(
        &e,
        &store,
        "<tds:DeleteUsers><tds:Username>ghost</tds:Username></tds:DeleteUsers>",
    )
    .await;
    assert!(subcodes(&r).contains(&"ter:UsernameMissing".to_owned()));
    // SetUser changes password and level; the new password works at once.
    let r = admin(
        &e,
        &store,
        &format!(
            "<tds:SetUser>{}</tds:SetUser>",
            user_xml("op", Some("new-op-pass"), "User")
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let op = store.get().user("op").cloned().unwrap();
    assert_eq!(
        (op.password.as_str(), op.level),
        ("new-op-pass", UserLevel::User)
    );
    let r = admin(
        &e,
        &store,
        "<tds:DeleteUsers><tds:Username>op</tds:Username></tds:DeleteUsers>",
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(store.get().user("op").is_none());
}

#[tokio::test]
async fn set_operations_persist_across_restart() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    {
        let store = open(dir.path());
        let e = endpoint(store.clone());
        for body in [
            "<tds:SetHostname><tds:Name>cam-42</tds:Name></tds:SetHostname>",
            "<tds:SetNTP><tds:FromDHCP>false</tds:FromDHCP><tds:NTPManual><tt:Type>DNS</tt:Type><tt:DNSname>pool.ntp.org</tt:DNSname></tds:NTPManual></tds:SetNTP>",
            "<tds:SetScopes><tds:Scopes>onvif://www.onvif.org/location/garage</tds:Scopes></tds:SetScopes>",
            "<tds:AddScopes><tds:ScopeItem>onvif://www.onvif.org/name/extra</tds:ScopeItem></tds:AddScopes>",
            "<tds:SetDiscoveryMode><tds:DiscoveryMode>NonDiscoverable</tds:DiscoveryMode></tds:SetDiscoveryMode>",
            "<tds:SetSystemDateAndTime><tds:DateTimeType>Manual</tds:DateTimeType><tds:DaylightSavings>true</tds:DaylightSavings><tds:TimeZone><tt:TZ>CET-1CEST,M3.5.0,M10.5.0/3</tt:TZ></tds:TimeZone><tds:UTCDateTime><tt:Date><tt:Year>2030</tt:Year><tt:Month>1</tt:Month><tt:Day>2</tt:Day></tt:Date><tt:Time><tt:Hour>3</tt:Hour><tt:Minute>4</tt:Minute><tt:Second>5</tt:Second></tt:Time></tds:UTCDateTime></tds:SetSystemDateAndTime>",
        ] {
            let r = admin(&e, &store, body).await;
            assert_eq!(r.status, 200, "{body}: {}", r.body);
        }
        // Invalid values are refused with the spec's subcodes and change nothing.
        let r = admin(
            &e,
            &store,
            "<tds:SetHostname><tds:Name>bad_name!</tds:Name></tds:SetHostname>",
        )
        .await;
        assert!(subcodes(&r).contains(&"ter:InvalidHostname".to_owned()));
        let r = admin(&e, &store, "<tds:SetSystemDateAndTime><tds:DateTimeType>Manual</tds:DateTimeType><tds:DaylightSavings>false</tds:DaylightSavings><tds:TimeZone><tt:TZ>Mars/Olympus</tt:TZ></tds:TimeZone></tds:SetSystemDateAndTime>").await;
        assert!(subcodes(&r).contains(&"ter:InvalidTimeZone".to_owned()));
        let r = admin(&e, &store, "<tds:RemoveScopes><tds:ScopeItem>onvif://www.onvif.org/Profile/Streaming</tds:ScopeItem></tds:RemoveScopes>").await;
        assert!(subcodes(&r).contains(&"ter:FixedScope".to_owned()));
    }
    // "Restart": a new store from the same directory, a new endpoint.
    let store = open(dir.path());
    let e = endpoint(store.clone());
    let get = |op: &'static str| {
        let e = &e;
        let store = store.clone();
        async move { admin(e, &store, &format!("<tds:{op}/>")).await.body }
    };
    assert!(
        get("GetHostname")
            .await
            .contains("<tt:Name>cam-42</tt:Name>")
    );
    assert!(
        get("GetNTP")
            .await
            .contains("<tt:DNSname>pool.ntp.org</tt:DNSname>")
    );
    let scopes = get("GetScopes").await;
    assert!(
        scopes.contains("onvif://www.onvif.org/location/garage")
            && scopes.contains("onvif://www.onvif.org/name/extra")
    );
    assert!(get("GetDiscoveryMode").await.contains("NonDiscoverable"));
    let t = get("GetSystemDateAndTime").await;
    assert!(
        t.contains("<tt:DateTimeType>Manual</tt:DateTimeType>") && t.contains("CET-1CEST"),
        "{t}"
    );
    assert!(t.contains("<tt:Year>2030</tt:Year>"), "{t}");

    // Factory default: settings back to defaults, the administrator kept.
    let r = admin(&e, &store, "<tds:SetSystemFactoryDefault><tds:FactoryDefault>Hard</tds:FactoryDefault></tds:SetSystemFactoryDefault>").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(store.get().network.hostname.is_none());
    assert!(store.get().user("admin").is_some());
}

#[tokio::test]
async fn capabilities_and_services_list_only_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let store = open(dir.path());
    let e = endpoint(store.clone());
    let caps = admin(
        &e,
        &store,
        "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>",
    )
    .await;
    assert!(
        caps.body
            .contains("<tt:XAddr>http://192.0.2.1:8080/onvif/device_service</tt:XAddr>"),
        "{}",
        caps.body
    );
    assert!(!caps.body.contains("<tt:Media>") && !caps.body.contains("<tt:Events>"));
    let r = admin(
        &e,
        &store,
        "<tds:GetCapabilities><tds:Category>Media</tds:Category></tds:GetCapabilities>",
    )
    .await;
    assert!(
        subcodes(&r).contains(&"ter:NoSuchService".to_owned()),
        "{:?}",
        subcodes(&r)
    );
    let svc = admin(
        &e,
        &store,
        "<tds:GetServices><tds:IncludeCapability>true</tds:IncludeCapability></tds:GetServices>",
    )
    .await;
    assert_eq!(svc.body.matches("<tds:Service>").count(), 1, "{}", svc.body);
    assert!(
        svc.body
            .contains("<tds:XAddr>http://192.0.2.1:8080/onvif/device_service</tds:XAddr>")
    );
    assert!(svc.body.contains("HttpDigest=\"true\""), "{}", svc.body);
    // The whole response parses, with every prefix declared.
    nvt::xml::parse(svc.body.as_bytes()).unwrap();
    let ifs = admin(&e, &store, "<tds:GetNetworkInterfaces/>").await;
    assert_eq!(ifs.status, 200);
    nvt::xml::parse(ifs.body.as_bytes()).unwrap();
}

#[tokio::test]
async fn scopes_fixed_and_configurable_with_their_faults() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let store = open(dir.path());
    let e = endpoint(store.clone());
    let r = admin(&e, &store, "<tds:GetScopes/>").await;
    let doc = nvt::xml::parse(r.body.as_bytes()).unwrap();
    let resp = doc
        .child(soap::ENV, "Body")
        .unwrap()
        .child(
            "http://www.onvif.org/ver10/device/wsdl",
            "GetScopesResponse",
        )
        .unwrap();
    let tt = "http://www.onvif.org/ver10/schema";
    let scopes: Vec<(String, String)> = resp
        .children
        .iter()
        .map(|s| {
            (
                s.child(tt, "ScopeDef").unwrap().text.clone(),
                s.child(tt, "ScopeItem").unwrap().text.clone(),
            )
        })
        .collect();
    let def = |item: &str| {
        scopes
            .iter()
            .find(|(_, i)| i.starts_with(item))
            .map(|(d, _)| d.as_str())
    };
    assert_eq!(
        def("onvif://www.onvif.org/Profile/Streaming"),
        Some("Fixed")
    );
    assert_eq!(def("onvif://www.onvif.org/Profile/T"), Some("Fixed"));
    assert_eq!(def("onvif://www.onvif.org/hardware/sim"), Some("Fixed"));
    assert_eq!(def("onvif://www.onvif.org/mac/"), Some("Fixed"));
    assert_eq!(def("onvif://www.onvif.org/name/nvt"), Some("Configurable"));
    assert_eq!(def("onvif://www.onvif.org/location/"), Some("Configurable"));

    let v0 = store.get().discovery.metadata_version;
    let too_many: String = (0..=nvt::discovery::limits::MAX_CONFIGURABLE_SCOPES)
        .map(|i| format!("<tds:Scopes>urn:x:{i}</tds:Scopes>"))
        .collect();
    let r = admin(
        &e,
        &store,
        &format!("<tds:SetScopes>{too_many}</tds:SetScopes>"),
    )
    .await;
    assert!(
        subcodes(&r).contains(&"ter:TooManyScopes".to_owned()),
        "{}",
        r.body
    );
    let r = admin(
        &e,
        &store,
        "<tds:AddScopes><tds:ScopeItem>no scheme here</tds:ScopeItem></tds:AddScopes>",
    )
    .await;
    assert!(
        subcodes(&r).contains(&"ter:InvalidArgVal".to_owned()),
        "{}",
        r.body
    );
    let r = admin(
        &e,
        &store,
        "<tds:SetScopes><tds:Scopes>onvif://www.onvif.org/Profile/Streaming</tds:Scopes></tds:SetScopes>",
    )
    .await;
    assert!(
        subcodes(&r).contains(&"ter:ScopeOverwrite".to_owned()),
        "{}",
        r.body
    );
    // ScopeItem is required (minOccurs 1): an empty request is refused, not a no-op success.
    for empty in ["<tds:AddScopes/>", "<tds:RemoveScopes/>"] {
        let r = admin(&e, &store, empty).await;
        assert!(
            subcodes(&r).contains(&"ter:InvalidArgVal".to_owned()),
            "{empty}: {}",
            r.body
        );
    }
    assert_eq!(
        store.get().discovery.metadata_version,
        v0,
        "refused edits change nothing"
    );

    // A name with a space: stored decoded, advertised encoded, MetadataVersion bumped.
    let r = admin(
        &e,
        &store,
        "<tds:SetScopes><tds:Scopes>onvif://www.onvif.org/name/Front%20door</tds:Scopes></tds:SetScopes>",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(store.get().device.name, "Front door");
    assert_eq!(store.get().device.location, "");
    let v1 = store.get().discovery.metadata_version;
    assert!(v1 > v0);
    // Adding a scope the device already has changes nothing, so MetadataVersion stays.
    let r = admin(
        &e,
        &store,
        "<tds:AddScopes><tds:ScopeItem>onvif://www.onvif.org/name/Front%20door</tds:ScopeItem></tds:AddScopes>",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(store.get().discovery.metadata_version, v1);
    let r = admin(
        &e,
        &store,
        "<tds:RemoveScopes><tds:ScopeItem>onvif://www.onvif.org/name/Front%20door</tds:ScopeItem></tds:RemoveScopes>",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(store.get().device.name, "");
}

//! The snapshot endpoint: `GET /snapshot/<profile token>` answers a JPEG of the profile's
//! video source at the profile's resolution, encoded by the SDK (`NVT_JPEG_Snap`). This is
//! the URI Media's GetSnapshotUri hands out (ONVIF Media s.5.16: a plain HTTP GET, no SOAP).
//!
//! - Authentication: through the one gate (`auth::gate`): HTTP Digest with the ONVIF users,
//!   the same nonces and failure throttle as SOAP and RTSP; Basic too when the owner turned on
//!   `network.allow_basic_auth`. Any user level
//!   may take snapshots (READ_MEDIA is User and up).
//! - Answers: 200 `image/jpeg`; 401 with challenges; 404 for an unknown profile (only after
//!   authentication, so the profile list does not leak); 405 for methods other than GET;
//!   503 with a plain-text reason when the SDK fails, or when [`MAX_CONCURRENT_SNAPSHOTS`]
//!   encodes are already running and none finishes within [`SNAPSHOT_QUEUE_WAIT`] (with
//!   `Retry-After`): a JPEG encode of a 720p frame costs tens of milliseconds of CPU, so a
//!   flood of snapshot requests must not starve the video encoders, while an NVR asking for
//!   every profile at once still gets all of them.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::{Response, StatusCode};
use tokio::sync::Semaphore;

use crate::auth::gate::Gate;
use crate::http::server::{HttpHandler, plain_owned};
use crate::onvif::endpoint::{HttpRequest, SNAPSHOT_PREFIX};
use crate::onvif::rt::BoxFuture;
use crate::sdk::Sdk;
use crate::settings::{Settings, SettingsStore};

/// Snapshots encoded at the same time; further requests get 503 at once. Two: one per core
/// of the smallest supported board, and enough for an NVR polling two profiles.
pub(crate) const MAX_CONCURRENT_SNAPSHOTS: usize = 2;
/// How long a request waits for a free encode slot before it is answered 503.
pub(crate) const SNAPSHOT_QUEUE_WAIT: Duration = Duration::from_secs(1);
/// A snapshot the SDK has not delivered after this long is answered 503 (the encode keeps
/// its slot until the SDK returns, so a stuck SDK cannot pile up threads).
pub(crate) const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(10);
/// JPEG quality (1..100) asked of the SDK.
pub(crate) const SNAPSHOT_JPEG_QUALITY: u32 = 85;

/// What the endpoint encodes: video source and size of a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) vi: u32,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

/// The video source and resolution of profile `token`: the resolution of its video encoder
/// configuration, or, for a profile without one, the bounds of its video source
/// configuration. None for an unknown profile or one without video.
pub(crate) fn target(settings: &Settings, token: &str) -> Option<Target> {
    let profile = settings.profile(token)?;
    let source = profile
        .video_source
        .as_deref()
        .and_then(|t| settings.media.video_sources.iter().find(|v| v.token == t))?;
    let (width, height) = match profile.video_encoder.as_deref() {
        Some(e) => {
            let enc = settings.encoder(e)?;
            (enc.width, enc.height)
        }
        None => (source.bounds.width, source.bounds.height),
    };
    Some(Target {
        vi: source.source,
        width,
        height,
    })
}

/// Encodes a JPEG of the latest frame of a video source (the SDK in the daemon). Called on a
/// blocking thread.
pub(crate) trait Snapper: Send + Sync + 'static {
    fn snap(&self, target: Target, quality: u32) -> Result<Vec<u8>, String>;
}

impl Snapper for Sdk {
    fn snap(&self, t: Target, quality: u32) -> Result<Vec<u8>, String> {
        self.snapshot_jpeg(t.vi, t.width, t.height, quality)
            .map_err(|e| e.to_string())
    }
}

/// The `/snapshot/` handler.
pub(crate) struct Snapshots {
    gate: Arc<Gate>,
    store: Arc<SettingsStore>,
    snapper: Arc<dyn Snapper>,
    slots: Arc<Semaphore>,
}

impl Snapshots {
    /// `gate` is the one every protocol authenticates through.
    pub(crate) fn new(
        gate: Arc<Gate>,
        store: Arc<SettingsStore>,
        snapper: Arc<dyn Snapper>,
    ) -> Self {
        Snapshots {
            gate,
            store,
            snapper,
            slots: Arc::new(Semaphore::new(MAX_CONCURRENT_SNAPSHOTS)),
        }
    }

    async fn answer(&self, req: &HttpRequest<'_>) -> Response<Full<Bytes>> {
        if req.method != "GET" {
            let mut r = plain_owned(StatusCode::METHOD_NOT_ALLOWED, "snapshots are GET\n".into());
            r.headers_mut()
                .insert(hyper::header::ALLOW, HeaderValue::from_static("GET"));
            return r;
        }
        let allow_basic = self.store.get().network.allow_basic_auth;
        if let Err(refused) = crate::http::auth::user(&self.gate, req, allow_basic).await {
            return refused;
        }
        let settings = self.store.get();
        let path = req.uri.split('?').next().unwrap_or("");
        let token = path.strip_prefix(SNAPSHOT_PREFIX).unwrap_or("");
        let Some(target) = target(&settings, token) else {
            return plain_owned(
                StatusCode::NOT_FOUND,
                format!("no media profile {token:?} with video\n"),
            );
        };
        drop(settings);
        // Bounded: a busy camera says so after a short wait instead of queueing encodes.
        let slot = tokio::time::timeout(SNAPSHOT_QUEUE_WAIT, self.slots.clone().acquire_owned());
        let Ok(Ok(permit)) = slot.await else {
            let mut r = plain_owned(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "snapshot busy: {MAX_CONCURRENT_SNAPSHOTS} snapshots are being encoded, retry shortly\n"
                ),
            );
            r.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            return r;
        };
        let snapper = self.snapper.clone();
        let job = tokio::task::spawn_blocking(move || {
            let out = snapper.snap(target, SNAPSHOT_JPEG_QUALITY);
            drop(permit);
            out
        });
        match tokio::time::timeout(SNAPSHOT_TIMEOUT, job).await {
            Ok(Ok(Ok(jpeg))) => {
                let mut r = Response::new(Full::new(Bytes::from(jpeg)));
                let h = r.headers_mut();
                h.insert(CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
                h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
                r
            }
            Ok(Ok(Err(e))) => {
                tracing::warn!(error = %e, profile = token, "snapshot failed");
                plain_owned(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("snapshot failed: the camera SDK answered: {e}\n"),
                )
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "snapshot task failed");
                plain_owned(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "snapshot failed: internal error\n".into(),
                )
            }
            Err(_) => plain_owned(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "snapshot failed: the camera SDK did not answer within {} s\n",
                    SNAPSHOT_TIMEOUT.as_secs()
                ),
            ),
        }
    }
}

impl HttpHandler for Snapshots {
    fn handle<'a>(&'a self, req: &'a HttpRequest<'a>) -> BoxFuture<'a, Response<Full<Bytes>>> {
        Box::pin(self.answer(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::UserLevel;
    use crate::settings::{MAIN_PROFILE, SUB_PROFILE, User};
    use std::net::{IpAddr, Ipv4Addr};
    use std::sync::Mutex;
    use std::sync::mpsc;

    #[test]
    fn profile_resolution_comes_from_its_encoder_configuration() {
        let mut s = Settings::default();
        assert_eq!(
            target(&s, MAIN_PROFILE),
            Some(Target {
                vi: 0,
                width: 1280,
                height: 720
            })
        );
        assert_eq!(
            target(&s, SUB_PROFILE),
            Some(Target {
                vi: 0,
                width: 640,
                height: 360
            })
        );
        assert_eq!(target(&s, "nope"), None);
        assert_eq!(target(&s, ""), None);
        // Without an encoder: the source configuration's bounds; without a source: nothing.
        s.media.profiles[1].video_encoder = None;
        assert_eq!(
            target(&s, SUB_PROFILE).map(|t| (t.width, t.height)),
            Some((1280, 720))
        );
        s.media.profiles[1].video_source = None;
        assert_eq!(target(&s, SUB_PROFILE), None);
    }

    /// Blocks every snap until released, counting calls.
    struct Gate {
        release: Mutex<mpsc::Receiver<()>>,
        calls: Mutex<u32>,
        fail: bool,
    }

    impl Snapper for Gate {
        fn snap(&self, t: Target, _: u32) -> Result<Vec<u8>, String> {
            *self.calls.lock().unwrap() += 1;
            if self.fail {
                return Err("NVT_JPEG_Snap: hardware fault".into());
            }
            let _ = self.release.lock().unwrap().recv();
            Ok(format!("{}x{}", t.width, t.height).into_bytes())
        }
    }

    fn handler(fail: bool) -> (Snapshots, mpsc::Sender<()>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = SettingsStore::open(dir.path()).unwrap();
        store
            .update(|s| {
                // Settings with users always have an administrator (settings::validate).
                s.users.push(User {
                    username: "admin".into(),
                    password: "admin-pass".into(),
                    level: UserLevel::Administrator,
                });
                s.users.push(User {
                    username: "viewer".into(),
                    password: "viewer-pass".into(),
                    level: UserLevel::User,
                });
                Ok(())
            })
            .unwrap();
        let store = Arc::new(store);
        let (tx, rx) = mpsc::channel();
        let gate = Gate {
            release: Mutex::new(rx),
            calls: Mutex::new(0),
            fail,
        };
        let auth = Arc::new(crate::auth::gate::Gate::new(store.clone(), Arc::new(|| 0)));
        (Snapshots::new(auth, store.clone(), Arc::new(gate)), tx, dir)
    }

    fn basic(user: &str, pass: &str) -> String {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        )
    }

    fn get<'a>(uri: &'a str, auth: Option<&'a str>) -> HttpRequest<'a> {
        HttpRequest {
            method: "GET",
            uri,
            authorization: auth,
            host: "cam",
            peer: IpAddr::V4(Ipv4Addr::LOCALHOST),
            body: b"",
            accepts_gzip: true,
        }
    }

    async fn body(r: Response<Full<Bytes>>) -> (u16, String) {
        use http_body_util::BodyExt;
        let status = r.status().as_u16();
        let b = r.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&b).into_owned())
    }

    #[tokio::test]
    async fn saturation_answers_503_then_frees_its_slots() {
        let (h, release, _dir) = handler(false);
        let h = Arc::new(h);
        h.store
            .update(|s| {
                s.network.allow_basic_auth = true;
                Ok(())
            })
            .unwrap();
        let auth = basic("viewer", "viewer-pass");
        let mut running = Vec::new();
        for _ in 0..MAX_CONCURRENT_SNAPSHOTS {
            let h = h.clone();
            let auth = auth.clone();
            running.push(tokio::spawn(async move {
                body(h.answer(&get("/snapshot/main", Some(&auth))).await).await
            }));
        }
        // Wait until every slot is taken by an encode blocked in the SDK.
        for _ in 0..500 {
            if h.slots.available_permits() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(h.slots.available_permits(), 0);
        let r = h.answer(&get("/snapshot/main", Some(&auth))).await;
        assert_eq!(r.headers().get(RETRY_AFTER).unwrap(), "1");
        let (status, text) = body(r).await;
        assert_eq!(status, 503, "{text}");
        assert!(text.contains("busy"), "{text}");
        for _ in 0..MAX_CONCURRENT_SNAPSHOTS {
            release.send(()).unwrap();
        }
        for r in running {
            assert_eq!(r.await.unwrap(), (200, "1280x720".to_owned()));
        }
        release.send(()).unwrap();
        assert_eq!(
            body(h.answer(&get("/snapshot/sub", Some(&auth))).await).await,
            (200, "640x360".to_owned())
        );
    }

    #[tokio::test]
    async fn sdk_failure_is_503_with_the_reason() {
        let (h, _release, _dir) = handler(true);
        h.store
            .update(|s| {
                s.network.allow_basic_auth = true;
                Ok(())
            })
            .unwrap();
        let auth = basic("viewer", "viewer-pass");
        let (status, text) = body(h.answer(&get("/snapshot/main", Some(&auth))).await).await;
        assert_eq!(status, 503);
        assert!(text.contains("hardware fault"), "{text}");
    }

    #[tokio::test]
    async fn auth_before_anything_else_and_basic_only_when_allowed() {
        let (h, release, _dir) = handler(false);
        let good = basic("viewer", "viewer-pass");
        // No credentials: 401 offering Digest only while Basic is off.
        let r = h.answer(&get("/snapshot/nope", None)).await;
        assert_eq!(r.status(), 401);
        let offers: Vec<_> = r
            .headers()
            .get_all(hyper::header::WWW_AUTHENTICATE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert!(
            offers.iter().all(|o| o.starts_with("Digest ")),
            "{offers:?}"
        );
        // Correct Basic while off: still 401.
        assert_eq!(
            h.answer(&get("/snapshot/main", Some(&good))).await.status(),
            401
        );
        h.store
            .update(|s| {
                s.network.allow_basic_auth = true;
                Ok(())
            })
            .unwrap();
        let r = h.answer(&get("/snapshot/main", None)).await;
        let offers: Vec<_> = r
            .headers()
            .get_all(hyper::header::WWW_AUTHENTICATE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert!(offers[0].starts_with("Digest "), "{offers:?}");
        assert!(
            offers.iter().any(|o| o.starts_with("Basic realm=\"nvt\"")),
            "{offers:?}"
        );
        let wrong = basic("viewer", "wrong-pass");
        assert_eq!(
            h.answer(&get("/snapshot/main", Some(&wrong)))
                .await
                .status(),
            401
        );
        // Authenticated: unknown profile 404, wrong method 405, known profile 200.
        let (status, text) = body(h.answer(&get("/snapshot/nope", Some(&good))).await).await;
        assert_eq!(status, 404, "{text}");
        let mut post = get("/snapshot/main", Some(&good));
        post.method = "POST";
        assert_eq!(h.answer(&post).await.status(), 405);
        release.send(()).unwrap();
        let r = h.answer(&get("/snapshot/main?x=1", Some(&good))).await;
        assert_eq!(r.headers().get(CONTENT_TYPE).unwrap(), "image/jpeg");
        assert_eq!(body(r).await, (200, "1280x720".to_owned()));
    }
}

//! A thin hyper 1 HTTP/1.1 server: SOAP under `/onvif/`, other handlers (snapshot, web page)
//! by path prefix. Everything protocol-shaped happens in `onvif::endpoint` and the handlers;
//! this file bounds the transport (connections, header and body sizes and times, see
//! `soap::limits`) and applies the failure throttle's delay.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue, WWW_AUTHENTICATE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use super::content_coding;
use crate::conn_slots::{SlotGuard, SlotPolicy, SlotTable};

use crate::onvif::endpoint::{Endpoint, HttpRequest, HttpResponse};
use crate::onvif::rt::BoxFuture;
use crate::soap::limits::{
    HTTP_BODY_TIMEOUT, HTTP_HEADER_TIMEOUT, HTTP_MAX_HEADERS, HTTP_WRITE_TIMEOUT, MAX_BODY_BYTES,
    http_slot_policy,
};

/// Path prefix of the SOAP services.
pub(crate) const SOAP_PREFIX: &str = "/onvif/";

/// A non-SOAP resource (snapshot, web page, HLS), served for every path under its prefix.
/// Handlers authenticate for themselves (through the gate, see `http::auth::user`).
pub(crate) trait HttpHandler: Send + Sync {
    fn handle<'a>(&'a self, req: &'a HttpRequest<'a>) -> BoxFuture<'a, Response<Full<Bytes>>>;
}

/// What the server routes to: the SOAP endpoint and the other handlers.
pub struct Router {
    pub(crate) soap: Endpoint,
    handlers: Vec<(String, Arc<dyn HttpHandler>)>,
    /// Where a connection opening an RTSP-over-HTTP tunnel half goes (`http::tunnel`): the
    /// RTSP server's door for connections accepted elsewhere. None: no tunnel on this port.
    tunnel: Option<TunnelDoor>,
}

/// Takes a connection whose first bytes (not read yet) open an RTSP-over-HTTP tunnel half;
/// false if it could not (the RTSP server is gone or its queue is full): the connection is
/// then closed.
pub(crate) type TunnelDoor = Arc<dyn Fn(TcpStream, SocketAddr) -> bool + Send + Sync>;

impl Router {
    pub fn new(soap: Endpoint) -> Self {
        Router {
            soap,
            handlers: Vec::new(),
            tunnel: None,
        }
    }

    /// Hands RTSP-over-HTTP tunnel halves arriving on this port to `door`.
    pub(crate) fn tunnel(mut self, door: TunnelDoor) -> Self {
        self.tunnel = Some(door);
        self
    }

    /// Serves `handler` for every path starting with `prefix` (the longest prefix wins).
    pub(crate) fn handler(mut self, prefix: &str, handler: Arc<dyn HttpHandler>) -> Self {
        self.handlers.push((prefix.to_owned(), handler));
        self.handlers
            .sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        self
    }
}

/// A running HTTP server. `shutdown` closes the listener and every connection and returns
/// once they are gone, so nothing they hold (the settings store and its lock among them)
/// outlives the daemon's stop; a keep-alive client cannot hold a restart up.
pub(crate) struct HttpServer {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl HttpServer {
    /// As [`HttpServer::spawn`] with another connection policy (the daemon's configured
    /// limits, see `soap::limits`).
    pub(crate) fn spawn_with(
        listener: TcpListener,
        router: Arc<Router>,
        policy: SlotPolicy,
    ) -> Self {
        let (stop, rx) = tokio::sync::watch::channel(false);
        HttpServer {
            stop,
            task: tokio::spawn(serve_until(listener, router, rx, policy)),
        }
    }

    /// Stops accepting, ends every connection (a request in progress is cut), and waits.
    pub(crate) async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Serves `router` on `listener` until the task is dropped or aborted (connections end with
/// it). Daemons use [`HttpServer`], which can also stop and wait.
pub async fn serve(listener: TcpListener, router: Arc<Router>) {
    let (_keep, rx) = tokio::sync::watch::channel(false);
    serve_until(listener, router, rx, http_slot_policy()).await;
}

/// The accept loop. Every connection takes a slot first (`conn_slots`: per-address limit and a
/// reserve for new addresses); a refused one is answered 503 and closed at once, so a flood
/// waits in no queue that legitimate clients share. A connection that completes no request
/// head within its first-request timeout is closed (issue 14.4).
async fn serve_until(
    listener: TcpListener,
    router: Arc<Router>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    policy: SlotPolicy,
) {
    let slots = Arc::new(std::sync::Mutex::new(SlotTable::new(policy)));
    // Connections live in this set: dropping or shutting it down ends them all.
    let mut conns = tokio::task::JoinSet::new();
    loop {
        while conns.try_join_next().is_some() {}
        let (stream, peer) = tokio::select! {
            _ = stop.changed() => break,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let slot = match SlotGuard::admit(&slots, peer.ip(), std::time::Instant::now()) {
            Ok(slot) => slot,
            Err(why) => {
                tracing::debug!(%peer, ?why, "HTTP connection refused");
                conns.spawn(refuse(stream));
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        conns.spawn(connection(stream, peer, router, slot));
    }
    drop(listener);
    conns.shutdown().await;
}

/// Whether the connection's first request opens an RTSP-over-HTTP tunnel half
/// (`http::tunnel::sniff`), looked at with `peek` so that nothing is consumed: Some(true) a
/// tunnel half, Some(false) anything else (hyper serves it). Waits for the head at most as
/// long as hyper would (`HTTP_HEADER_TIMEOUT`); None: it did not come in that time.
async fn opens_tunnel(stream: &TcpStream) -> Option<bool> {
    use super::tunnel::{MAX_HEAD, Sniff, sniff};
    let deadline = tokio::time::Instant::now() + HTTP_HEADER_TIMEOUT;
    let mut buf = [0u8; MAX_HEAD];
    let mut wait = std::time::Duration::from_millis(2);
    loop {
        let n = match tokio::time::timeout_at(deadline, stream.peek(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => n,
            // Closed or failed: hyper sees the same and ends the connection.
            Ok(_) => return Some(false),
            Err(_) => return None,
        };
        match sniff(&buf[..n]) {
            Sniff::Tunnel => return Some(true),
            Sniff::Http => return Some(false),
            // peek answers at once with what has arrived: give the rest of the head a moment
            // (heads come in one segment from every client seen; this is the rare case). The
            // wait doubles up to 250 ms, so a client trickling its head (slowloris) costs a
            // few peeks a second, not a busy loop.
            Sniff::More => {
                if tokio::time::Instant::now() + wait >= deadline {
                    return None;
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_millis(250));
            }
        }
    }
}

/// Answers a connection that got no slot.
async fn refuse(mut stream: tokio::net::TcpStream) {
    const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n\
Retry-After: 5\r\nConnection: close\r\nContent-Length: 29\r\n\r\ntoo many connections, retry\r\n";
    let _ = tokio::time::timeout(HTTP_WRITE_TIMEOUT, async {
        stream.write_all(BUSY).await?;
        stream.shutdown().await
    })
    .await;
}

/// Serves one admitted connection until it ends, or until its first-request deadline if it
/// has completed no request head by then.
async fn connection(stream: TcpStream, peer: SocketAddr, router: Arc<Router>, slot: SlotGuard) {
    if let Some(door) = &router.tunnel {
        match opens_tunnel(&stream).await {
            Some(true) => {
                // The RTSP server admits it by its own connection limits; this port's slot
                // is given back.
                drop(slot);
                if !door(stream, peer) {
                    tracing::debug!(%peer, "RTSP tunnel half refused: the RTSP server is not taking it");
                }
                return;
            }
            Some(false) => {}
            // No complete head within the header timeout: closed, as hyper would have (the
            // wait is not started over, so a slowloris is held no longer than before).
            None => {
                tracing::debug!(%peer, "no request head in time: closing");
                return;
            }
        }
    }
    let deadline = slot.unproven_deadline();
    let slot = Arc::new(std::sync::Mutex::new(slot));
    let seen = slot.clone();
    let svc = service_fn(move |req| {
        let router = router.clone();
        // A complete request head: the connection has made progress.
        seen.lock()
            .unwrap_or_else(|e| e.into_inner())
            .prove(std::time::Instant::now());
        async move { Ok::<_, Infallible>(handle(&router, peer, req).await) }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HTTP_HEADER_TIMEOUT)
        .max_headers(HTTP_MAX_HEADERS)
        .max_buf_size(16 * 1024)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), svc);
    let mut conn = std::pin::pin!(conn);
    let first_request = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            return;
        }
        _ = first_request => {}
    }
    if !slot.lock().unwrap_or_else(|e| e.into_inner()).is_proven() {
        tracing::debug!(%peer, "no request in time: closing");
        return;
    }
    if let Err(e) = conn.await {
        tracing::debug!(%peer, error = %e, "connection ended");
    }
}

async fn handle(
    router: &Router,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    // Refuse early on a declared length over the cap: no byte of it is read.
    let declared = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n");
    }
    let body = match tokio::time::timeout(
        HTTP_BODY_TIMEOUT,
        Limited::new(body, MAX_BODY_BYTES).collect(),
    )
    .await
    {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(_)) => return plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n"),
        Err(_) => return plain(StatusCode::REQUEST_TIMEOUT, "request body too slow\n"),
    };
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let uri = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let http_req = HttpRequest {
        method: parts.method.as_str(),
        uri,
        authorization: header(hyper::header::AUTHORIZATION),
        host: header(HOST).unwrap_or("localhost"),
        peer: peer.ip(),
        body: &body,
        accepts_gzip: content_coding::accepts_gzip(
            parts
                .headers
                .get_all(hyper::header::ACCEPT_ENCODING)
                .iter()
                .map(HeaderValue::as_bytes),
        ),
    };
    if !uri.starts_with(SOAP_PREFIX) {
        let path = uri.split('?').next().unwrap_or("");
        return match router
            .handlers
            .iter()
            .find(|(p, _)| path.starts_with(p.as_str()))
        {
            Some((_, h)) => h.handle(&http_req).await,
            None => plain(StatusCode::NOT_FOUND, "not found\n"),
        };
    }
    let resp = router.soap.handle(&http_req).await;
    if !resp.delay.is_zero() {
        tokio::time::sleep(resp.delay).await;
    }
    to_hyper(resp)
}

/// The hyper response for an endpoint answer (status, content type, challenges, body); the
/// caller applies `r.delay` first.
pub(crate) fn to_hyper(r: HttpResponse) -> Response<Full<Bytes>> {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(CONTENT_TYPE, r.content_type);
    for c in r.challenges {
        b = b.header(WWW_AUTHENTICATE, c);
    }
    b.body(Full::new(Bytes::from(r.body)))
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n"))
}

pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// A plain-text answer with a computed message.
pub(crate) fn plain_owned(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(text)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

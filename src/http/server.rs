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
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::onvif::endpoint::{Endpoint, HttpRequest, HttpResponse};
use crate::onvif::rt::BoxFuture;
use crate::soap::limits::{
    HTTP_BODY_TIMEOUT, HTTP_HEADER_TIMEOUT, HTTP_MAX_CONNECTIONS, HTTP_MAX_HEADERS, MAX_BODY_BYTES,
};

/// Path prefix of the SOAP services.
pub const SOAP_PREFIX: &str = "/onvif/";

/// A non-SOAP resource (snapshot, web page, HLS), served for every path under its prefix.
/// Handlers authenticate for themselves (through the gate, see `http::auth::user`).
pub trait HttpHandler: Send + Sync {
    fn handle<'a>(&'a self, req: &'a HttpRequest<'a>) -> BoxFuture<'a, Response<Full<Bytes>>>;
}

/// What the server routes to: the SOAP endpoint and the other handlers.
pub struct Router {
    pub soap: Endpoint,
    handlers: Vec<(String, Arc<dyn HttpHandler>)>,
}

impl Router {
    pub fn new(soap: Endpoint) -> Self {
        Router {
            soap,
            handlers: Vec::new(),
        }
    }

    /// Serves `handler` for every path starting with `prefix` (the longest prefix wins).
    pub fn handler(mut self, prefix: &str, handler: Arc<dyn HttpHandler>) -> Self {
        self.handlers.push((prefix.to_owned(), handler));
        self.handlers
            .sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        self
    }
}

/// A running HTTP server. `shutdown` closes the listener and every connection and returns
/// once they are gone, so nothing they hold (the settings store and its lock among them)
/// outlives the daemon's stop; a keep-alive client cannot hold a restart up.
pub struct HttpServer {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl HttpServer {
    pub fn spawn(listener: TcpListener, router: Arc<Router>) -> Self {
        let (stop, rx) = tokio::sync::watch::channel(false);
        HttpServer {
            stop,
            task: tokio::spawn(serve_until(listener, router, rx)),
        }
    }

    /// Stops accepting, ends every connection (a request in progress is cut), and waits.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Serves `router` on `listener` until the task is dropped or aborted (connections end with
/// it). Daemons use [`HttpServer`], which can also stop and wait.
pub async fn serve(listener: TcpListener, router: Arc<Router>) {
    let (_keep, rx) = tokio::sync::watch::channel(false);
    serve_until(listener, router, rx).await;
}

async fn serve_until(
    listener: TcpListener,
    router: Arc<Router>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(HTTP_MAX_CONNECTIONS));
    // Connections live in this set: dropping or shutting it down ends them all.
    let mut conns = tokio::task::JoinSet::new();
    loop {
        while conns.try_join_next().is_some() {}
        // Take a slot before accepting: beyond the limit, clients wait in the backlog.
        let permit = tokio::select! {
            _ = stop.changed() => break,
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
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
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        conns.spawn(async move {
            let svc = service_fn(move |req| {
                let router = router.clone();
                async move { Ok::<_, Infallible>(handle(&router, peer, req).await) }
            });
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HTTP_HEADER_TIMEOUT)
                .max_headers(HTTP_MAX_HEADERS)
                .max_buf_size(16 * 1024)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc);
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    conns.shutdown().await;
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
pub fn to_hyper(r: HttpResponse) -> Response<Full<Bytes>> {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(CONTENT_TYPE, r.content_type);
    for c in r.challenges {
        b = b.header(WWW_AUTHENTICATE, c);
    }
    b.body(Full::new(Bytes::from(r.body)))
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n"))
}

pub fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// A plain-text answer with a computed message.
pub fn plain_owned(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(text)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

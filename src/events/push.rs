//! Push delivery (WS-BaseNotification s.3, "Notify"): one task per push subscription drains
//! its queue and POSTs `wsnt:Notify` to the consumer, with retries and backoff. Each
//! subscription has its own task and queue, so a consumer that is slow or gone delays only
//! itself.
//!
//! SSRF guard: the consumer address comes from the network, so the camera must not be usable
//! to reach what only it can reach. Consumer URLs must be `http://`; their host is resolved
//! and refused when any address is loopback, unspecified, multicast, broadcast or link-local
//! (IPv4-mapped IPv6 judged as IPv4), unless the `events.allow_private_push_targets` setting
//! allows it. The check runs at Subscribe and again before every connection (a DNS answer can
//! change), and the connection goes to the address that was checked.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use hyper_util::rt::TokioIo;

use super::broker::Subscription;
use super::limits::{
    MAX_CONSUMER_URL, PUSH_BACKOFF, PUSH_BATCH, PUSH_CONNECT_TIMEOUT, PUSH_REQUEST_TIMEOUT,
    PUSH_RETRIES,
};
use super::message::Message;

/// Why a consumer address is refused or a delivery failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PushError {
    #[error("consumer address is not an http:// URL with a host: {0}")]
    BadUrl(String),
    #[error("consumer host {0} does not resolve")]
    Unresolved(String),
    #[error("consumer address {0} is loopback, link-local, multicast or unspecified (refused)")]
    Forbidden(IpAddr),
    #[error("delivery failed: {0}")]
    Delivery(String),
}

/// A parsed consumer address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Consumer {
    pub(crate) url: String,
    host: String,
    port: u16,
    path: String,
}

impl Consumer {
    /// Parses a consumer URL: `http://host[:port][/path]`, no credentials, bounded length.
    pub(crate) fn parse(url: &str) -> Result<Consumer, PushError> {
        let url = url.trim();
        let bad = || PushError::BadUrl(url.chars().take(128).collect());
        if url.len() > MAX_CONSUMER_URL {
            return Err(bad());
        }
        let uri: hyper::Uri = url.parse().map_err(|_| bad())?;
        if uri.scheme_str() != Some("http") {
            return Err(bad());
        }
        let auth = uri.authority().ok_or_else(bad)?;
        if auth.as_str().contains('@') {
            return Err(bad());
        }
        let host = auth.host().trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Consumer {
            url: url.to_owned(),
            host: host.to_owned(),
            port: auth.port_u16().unwrap_or(80),
            path: uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into()),
        })
    }

    /// Resolves the host and applies the SSRF rule; the first allowed address.
    pub(crate) async fn resolve(&self, allow_private: bool) -> Result<SocketAddr, PushError> {
        let addrs: Vec<SocketAddr> = tokio::time::timeout(
            PUSH_CONNECT_TIMEOUT,
            tokio::net::lookup_host((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| PushError::Unresolved(self.host.clone()))?
        .map_err(|_| PushError::Unresolved(self.host.clone()))?
        .take(16)
        .collect();
        check_addresses(&addrs, allow_private)
    }
}

/// The SSRF rule over a host's addresses: all must be allowed (a name that also resolves to
/// a loopback address is refused, whatever else it resolves to).
pub(crate) fn check_addresses(
    addrs: &[SocketAddr],
    allow_private: bool,
) -> Result<SocketAddr, PushError> {
    let first = *addrs
        .first()
        .ok_or_else(|| PushError::Unresolved(String::new()))?;
    if !allow_private && let Some(a) = addrs.iter().find(|a| forbidden(a.ip())) {
        return Err(PushError::Forbidden(a.ip()));
    }
    Ok(first)
}

/// Addresses a camera must not be made to send to: loopback, unspecified, multicast,
/// broadcast, link-local (169.254/16, fe80::/10; cloud metadata services live there).
pub(crate) fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_link_local()
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden(IpAddr::V4(v4));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// One Notify POST to `addr` (already checked), bounded in time; 2xx is success.
async fn post(consumer: &Consumer, addr: SocketAddr, body: String) -> Result<(), PushError> {
    let err = |e: &dyn std::fmt::Display| PushError::Delivery(e.to_string());
    let stream = tokio::time::timeout(PUSH_CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr))
        .await
        .map_err(|_| PushError::Delivery("connect timed out".into()))?
        .map_err(|e| err(&e))?;
    let _ = stream.set_nodelay(true);
    let exchange = async {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| err(&e))?;
        let driver = tokio::spawn(conn);
        let host = if consumer.port == 80 {
            consumer.host.clone()
        } else {
            format!("{}:{}", consumer.host, consumer.port)
        };
        let req = Request::post(consumer.path.as_str())
            .header(hyper::header::HOST, host)
            .header(
                hyper::header::CONTENT_TYPE,
                "application/soap+xml; charset=utf-8; action=\"http://docs.oasis-open.org/wsn/bw-2/NotificationConsumer/Notify\"",
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| err(&e))?;
        let resp = sender.send_request(req).await.map_err(|e| err(&e));
        driver.abort();
        let resp = resp?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(PushError::Delivery(format!(
                "consumer answered {}",
                resp.status()
            )))
        }
    };
    tokio::time::timeout(PUSH_REQUEST_TIMEOUT, exchange)
        .await
        .map_err(|_| PushError::Delivery("consumer did not answer in time".into()))?
}

/// Runs the delivery of `sub` to `consumer` until the subscription ends. `render` writes the
/// Notify envelope of a batch.
pub(crate) fn spawn(
    sub: Arc<Subscription>,
    consumer: Consumer,
    allow_private: bool,
    render: impl Fn(&[Arc<Message>]) -> String + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut lost: u64 = 0;
        while !sub.is_closed() {
            let batch = sub.next(Duration::from_secs(30), PUSH_BATCH).await;
            if batch.is_empty() {
                continue;
            }
            let body = render(&batch);
            let mut backoff = PUSH_BACKOFF;
            for attempt in 0..=PUSH_RETRIES {
                let sent = match consumer.resolve(allow_private).await {
                    Ok(addr) => post(&consumer, addr, body.clone()).await,
                    Err(e) => Err(e),
                };
                match sent {
                    Ok(()) => break,
                    Err(e) if attempt == PUSH_RETRIES || sub.is_closed() => {
                        lost += batch.len() as u64;
                        tracing::warn!(consumer = %consumer.url, error = %e, lost, "Notify not delivered, messages dropped");
                        break;
                    }
                    Err(e) => {
                        tracing::debug!(consumer = %consumer.url, error = %e, attempt, "Notify failed, retrying");
                        tokio::time::sleep(backoff).await;
                        backoff *= 2;
                    }
                }
            }
        }
        tracing::debug!(id = %sub.id, "push delivery ended");
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_urls() {
        let c = Consumer::parse("http://example.com:8123/api/webhook/x?a=1").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.path.as_str()),
            ("example.com", 8123, "/api/webhook/x?a=1")
        );
        let c = Consumer::parse("http://[2001:db8::1]/n").unwrap();
        assert_eq!((c.host.as_str(), c.port), ("2001:db8::1", 80));
        for bad in [
            "https://example.com/",
            "ftp://example.com/",
            "http:///x",
            "http://user:pw@example.com/",
            "example.com",
            "",
        ] {
            assert!(Consumer::parse(bad).is_err(), "{bad}");
        }
        assert!(Consumer::parse(&format!("http://a/{}", "x".repeat(MAX_CONSUMER_URL))).is_err());
    }

    /// A consumer that fails the first Notify gets it again after the backoff; one that
    /// refuses every attempt costs the batch, not the subscription.
    #[tokio::test]
    async fn failed_notify_is_retried_with_backoff() {
        use super::super::broker::{Broker, Kind};
        use super::super::filter::Filter;
        use super::super::topics::MOTION_ALARM;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            for answer in ["500 Internal Server Error", "200 OK"] {
                let (mut c, _) = listener.accept().await.unwrap();
                let mut buf = vec![0; 65536];
                let mut got = Vec::new();
                // Headers and body arrive in one or more reads; the body ends the request.
                while !String::from_utf8_lossy(&got).contains("</env:Envelope>") {
                    let n = c.read(&mut buf).await.unwrap();
                    assert!(n > 0);
                    got.extend_from_slice(&buf[..n]);
                }
                tx.send((std::time::Instant::now(), String::from_utf8(got).unwrap()))
                    .unwrap();
                let resp = format!("HTTP/1.1 {answer}\r\nContent-Length: 0\r\n\r\n");
                c.write_all(resp.as_bytes()).await.unwrap();
            }
        });
        let broker = Broker::new(1, Arc::new(|| 0));
        let sub = broker
            .subscribe(
                Kind::Push {
                    consumer: url.clone(),
                },
                Filter::ALL,
                Duration::from_secs(30),
                crate::events::share::Requester {
                    user: Some("nvr"),
                    admin: false,
                },
            )
            .unwrap();
        let consumer = Consumer::parse(&url).unwrap();
        let task = spawn(sub.clone(), consumer, true, |batch| {
            // The wire form is the ONVIF layer's (`onvif::events::render`); here the body
            // only has to name what it carries, and end as an envelope does.
            let topics: Vec<String> = batch
                .iter()
                .map(|m| super::super::topics::TOPICS[m.topic].expression())
                .collect();
            format!("<env:Envelope>{}</env:Envelope>", topics.join(","))
        });
        broker.set_property(MOTION_ALARM, vec!["vs0".into()], vec!["true".into()], 0);
        let (t1, first) = rx.recv().await.unwrap();
        let (t2, second) = rx.recv().await.unwrap();
        assert!(first.starts_with("POST /hook HTTP/1.1"), "{first}");
        assert!(first.contains("tns1:VideoSource/MotionAlarm"));
        assert_eq!(
            first.split("\r\n\r\n").nth(1),
            second.split("\r\n\r\n").nth(1)
        );
        assert!(t2 - t1 >= PUSH_BACKOFF, "retried after the backoff");
        broker.unsubscribe(&sub.id).unwrap();
        tokio::time::timeout(Duration::from_secs(40), task)
            .await
            .unwrap()
            .unwrap();
    }

    #[test]
    fn ssrf_rule() {
        for ip in [
            "127.0.0.1",
            "127.8.8.8",
            "0.0.0.0",
            "224.0.0.251",
            "255.255.255.255",
            "169.254.169.254",
            "::1",
            "::",
            "ff02::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "192.168.1.10",
            "10.0.0.1",
            "8.8.8.8",
            "2001:db8::1",
            "fd00::1",
        ] {
            assert!(!forbidden(ip.parse().unwrap()), "{ip}");
        }
        let a: SocketAddr = "10.0.0.1:80".parse().unwrap();
        let lo: SocketAddr = "127.0.0.1:80".parse().unwrap();
        assert_eq!(check_addresses(&[a], false), Ok(a));
        assert!(check_addresses(&[a, lo], false).is_err());
        assert_eq!(check_addresses(&[lo], true), Ok(lo));
        assert!(check_addresses(&[], true).is_err());
    }
}

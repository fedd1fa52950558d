//! GetDeviceInformation with HTTP Digest over keep-alive: requests per server CPU-second and
//! latency percentiles. The server (hyper shell + endpoint + Device service over a real
//! settings store) runs on a single-threaded tokio runtime, i.e. on one core; clients run on
//! another runtime, each on its own keep-alive connection, answering one Digest challenge and
//! then counting `nc` up (a fresh response per request, as real clients do).
//!
//! Run: `cargo bench --bench soap_digest [-- CONNECTIONS SECONDS]` (default 8 connections, 5 s).
//! Results go to docs/PERFORMANCE.md by hand; nothing here asserts a time.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use nvt::auth::UserLevel;
use nvt::auth::digest::{Algorithm, compute_response, parse_authorization};
use nvt::onvif::device::{Device, DeviceHooks, Identity, device_now_ms};
use nvt::onvif::endpoint::{Endpoint, Security};
use nvt::settings::{SettingsStore, User};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

const BODY: &str = r#"<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetDeviceInformation xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>"#;

fn thread_cpu_seconds(tid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap();
    let after_comm = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after_comm.split_whitespace().collect();
    (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0
}

/// Reads one HTTP response; returns (status, www-authenticate values).
async fn read_response(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> (u16, Vec<String>) {
    let mut line = String::new();
    r.read_line(&mut line).await.unwrap();
    let status: u16 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut len = 0usize;
    let mut challenges = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).await.unwrap();
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').unwrap();
        if k.eq_ignore_ascii_case("content-length") {
            len = v.trim().parse().unwrap();
        } else if k.eq_ignore_ascii_case("www-authenticate") {
            challenges.push(v.trim().to_owned());
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).await.unwrap();
    (status, challenges)
}

async fn client(addr: std::net::SocketAddr, until: Instant) -> Vec<Duration> {
    let s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.set_nodelay(true).unwrap();
    let (r, mut w) = s.into_split();
    let mut r = BufReader::new(r);
    let req = |auth: &str| {
        format!(
            "POST /onvif/device_service HTTP/1.1\r\nHost: bench\r\nContent-Type: application/soap+xml\r\n{auth}Content-Length: {}\r\n\r\n{BODY}",
            BODY.len()
        )
    };
    w.write_all(req("").as_bytes()).await.unwrap();
    let (st, ch) = read_response(&mut r).await;
    assert_eq!(st, 401);
    let c =
        parse_authorization(&ch[0].replacen("Digest", "Digest username=x, uri=x, response=x,", 1))
            .unwrap();
    let mut lat = Vec::new();
    let mut nc = 0u32;
    while Instant::now() < until {
        nc += 1;
        let ncs = format!("{nc:08x}");
        let resp = compute_response(
            Algorithm::Sha256,
            "bench",
            "nvt",
            "bench-pass",
            "POST",
            "/onvif/device_service",
            &c.nonce,
            Some((&ncs, "0a4f113b", "auth")),
        );
        let auth = format!(
            "Authorization: Digest username=\"bench\", realm=\"nvt\", nonce=\"{}\", uri=\"/onvif/device_service\", algorithm=SHA-256, qop=auth, nc={ncs}, cnonce=\"0a4f113b\", response=\"{resp}\", opaque=\"{}\"\r\n",
            c.nonce,
            c.opaque.as_deref().unwrap()
        );
        let t = Instant::now();
        w.write_all(req(&auth).as_bytes()).await.unwrap();
        let (st, _) = read_response(&mut r).await;
        lat.push(t.elapsed());
        assert_eq!(st, 200);
    }
    lat
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let conns: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(8);
    let secs: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);

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
                username: "bench".into(),
                password: "bench-pass".into(),
                level: UserLevel::User,
            });
            Ok(())
        })
        .unwrap();
    let store = Arc::new(store);
    let tid = Arc::new(AtomicI32::new(0));
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let (store, tid) = (store.clone(), tid.clone());
        std::thread::spawn(move || {
            tid.store(nix::unistd::gettid().as_raw(), Ordering::SeqCst);
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let clock = store.clone();
                let security =
                    Security::new(store.clone(), Arc::new(move || device_now_ms(&clock)));
                let identity = Identity {
                    manufacturer: "nvt".into(),
                    model: "bench".into(),
                    firmware_version: "0".into(),
                    serial_number: "0".into(),
                    hardware_id: "0".into(),
                };
                let hooks = DeviceHooks {
                    reboot: Arc::new(|| {}),
                    http_port: 0,
                    rtsp_port: 0,
                    bind: std::net::Ipv4Addr::LOCALHOST.into(),
                    services: Vec::new(),
                };
                let endpoint = Endpoint::new(security).route(
                    nvt::onvif::endpoint::DEVICE_PATH,
                    nvt::onvif::generated::device::Service(Device::new(store, identity, hooks)),
                );
                let endpoint = Arc::new(nvt::http::server::Router::new(endpoint));
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                nvt::http::server::serve(listener, endpoint).await;
            });
        });
    }
    let addr = rx.recv().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let tid = tid.load(Ordering::SeqCst);
    let cpu0 = thread_cpu_seconds(tid);
    let t0 = Instant::now();
    let until = t0 + Duration::from_secs(secs);
    let mut lat: Vec<Duration> = rt.block_on(async {
        let tasks: Vec<_> = (0..conns)
            .map(|_| tokio::spawn(client(addr, until)))
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all
    });
    let wall = t0.elapsed().as_secs_f64();
    let cpu = thread_cpu_seconds(tid) - cpu0;
    lat.sort();
    let p = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    println!(
        "GetDeviceInformation, HTTP Digest SHA-256, keep-alive, {conns} connections, {secs} s: {} requests, {:.0} req/s wall, server thread {:.2} CPU-s = {:.0} req per server CPU-second; latency p50 {:?} p99 {:?} max {:?}",
        lat.len(),
        lat.len() as f64 / wall,
        cpu,
        lat.len() as f64 / cpu,
        p(0.50),
        p(0.99),
        lat[lat.len() - 1]
    );
}

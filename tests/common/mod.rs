//! Shared harness for the RTSP integration tests: a real server on loopback fed by the
//! file-replay frame source.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use nvt::file_source::{FileSource, load_annex_b};
use nvt::rtsp::{Limits, NoAuth, RtspAuth, RtspServer, ServerConfig};
use nvt::stream_hub::{StreamConfig, StreamHub, StreamRegistry};

pub const FPS: f64 = 25.0;

pub fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/baseline-640x360-25fps.h264")
}

pub struct Harness {
    pub server: RtspServer,
    pub registry: Arc<StreamRegistry>,
    pub hub: Arc<StreamHub>,
    pub source: FileSource,
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(StreamConfig::default(), Limits::default(), Arc::new(NoAuth)).await
    }

    pub async fn start_with(
        mut config: StreamConfig,
        limits: Limits,
        auth: Arc<dyn RtspAuth>,
    ) -> Self {
        config.framerate = Some(FPS);
        let registry = StreamRegistry::new();
        let hub = StreamHub::new("main", config);
        registry.register("main", hub.clone());
        let units = load_annex_b(&sample()).expect("test data");
        let source = FileSource::start(hub.clone(), units, FPS);
        let mut cfg = ServerConfig::new("127.0.0.1:0".parse().unwrap());
        cfg.limits = limits;
        let server = RtspServer::start(cfg, registry.clone(), auth)
            .await
            .expect("server starts");
        Self {
            server,
            registry,
            hub,
            source,
        }
    }

    pub fn url(&self) -> String {
        format!("rtsp://{}/main", self.server.local_addr())
    }
}

/// Open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Resident set size of this process, in KiB.
pub fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

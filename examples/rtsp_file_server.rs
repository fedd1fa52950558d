//! Serves an Annex-B H.264 file through the RTSP engine, looping at a fixed frame rate: the
//! multicast test runs it inside a network namespace, and `bench/` uses it as the server under
//! test.
//!
//! `rtsp_file_server --file x.h264 [--bind 0.0.0.0:8554] [--fps 25] [--name main]
//!  [--multicast 239.255.0.1:5004:1]`
//!
//! Prints `listening <addr>` on stdout when ready; stops on SIGINT/SIGTERM (or stdin EOF with
//! `--stop-on-stdin-eof`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use nvt::file_source::{FileSource, load_annex_b};
use nvt::rtsp::{NoAuth, RtspServer, ServerConfig};
use nvt::rtp::{RtpHub as StreamHub, RtpRegistry as StreamRegistry};
use nvt::stream::{MulticastConfig, StreamConfig};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    file: PathBuf,
    #[arg(long, default_value = "0.0.0.0:8554")]
    bind: SocketAddr,
    #[arg(long, default_value_t = 25.0)]
    fps: f64,
    #[arg(long, default_value = "main")]
    name: String,
    /// GROUP:PORT:TTL
    #[arg(long)]
    multicast: Option<String>,
    /// Also stop when stdin reaches EOF (for a parent process holding a pipe).
    #[arg(long)]
    stop_on_stdin_eof: bool,
}

fn multicast(s: &str) -> anyhow::Result<MulticastConfig> {
    let mut it = s.split(':');
    let (Some(g), Some(p), Some(t)) = (it.next(), it.next(), it.next()) else {
        anyhow::bail!("--multicast wants GROUP:PORT:TTL");
    };
    Ok(MulticastConfig {
        group: g.parse()?,
        port: p.parse()?,
        ttl: t.parse()?,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = StreamConfig {
        framerate: Some(args.fps),
        multicast: args.multicast.as_deref().map(multicast).transpose()?,
        ..StreamConfig::default()
    };
    let registry = StreamRegistry::new();
    let hub = StreamHub::new(args.name.clone(), config);
    registry.register(args.name.clone(), hub.clone());
    let _source = FileSource::start(hub, load_annex_b(&args.file)?, args.fps);
    let server =
        RtspServer::start(ServerConfig::new(args.bind), registry, Arc::new(NoAuth)).await?;
    println!("listening {}", server.local_addr());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let watch_stdin = args.stop_on_stdin_eof;
    let stdin_eof = async move {
        use tokio::io::AsyncReadExt;
        if !watch_stdin {
            std::future::pending::<()>().await;
        }
        let mut buf = [0u8; 64];
        let mut stdin = tokio::io::stdin();
        while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = stdin_eof => {}
    }
    server.shutdown().await;
    Ok(())
}

//! Simulator encode throughput: frames per CPU-second of H.264 encoding at a given size.
//!
//! The simulator paces channels at their frame rate, so wall-clock fps says nothing about
//! capacity. Instead this streams for a fixed time and divides frames by the CPU time the
//! process used (rendering, scaling, encoding and the capture copy): the frame rate one core
//! could sustain. Run: `cargo bench --bench sim_encode [-- WIDTHxHEIGHT SECONDS]`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nvt::sdk::{Capture, Codec, EncoderAttr, H264Profile, RateControl, Sdk};

fn cpu_seconds() -> f64 {
    // utime + stime of this process, in clock ticks (fields 14 and 15 of /proc/self/stat).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after_comm = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    ticks / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let (w, h) = args
        .first()
        .and_then(|s| s.split_once('x'))
        .map(|(w, h)| (w.parse().unwrap(), h.parse().unwrap()))
        .unwrap_or((1280u32, 720u32));
    let secs: u64 = args.get(1).map(|s| s.parse().unwrap()).unwrap_or(10);
    let sdk = Sdk::init("").expect("SDK init");
    let attr = EncoderAttr {
        vi: 0,
        codec: Codec::H264,
        width: w,
        height: h,
        fps: 25,
        rc: RateControl::Cbr,
        bitrate_kbps: 2048,
        gop: 50,
        profile: H264Profile::Main,
        qp: 30,
    };
    let ch = Arc::new(sdk.create_encoder(0, &attr).expect("create channel"));
    let frames = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let (f2, b2) = (frames.clone(), bytes.clone());
    let cap = Capture::start(
        ch,
        Box::new(move |f| {
            f2.fetch_add(1, Ordering::Relaxed);
            b2.fetch_add(f.len() as u64, Ordering::Relaxed);
        }),
    )
    .unwrap();
    // Let the encoder settle (first IDR, rate control) before measuring.
    std::thread::sleep(Duration::from_secs(2));
    let (f0, c0, t0) = (
        frames.load(Ordering::Relaxed),
        cpu_seconds(),
        Instant::now(),
    );
    std::thread::sleep(Duration::from_secs(secs));
    let (f1, c1, t1) = (
        frames.load(Ordering::Relaxed),
        cpu_seconds(),
        Instant::now(),
    );
    drop(cap);
    let n = (f1 - f0) as f64;
    let cpu = c1 - c0;
    let wall = (t1 - t0).as_secs_f64();
    println!("size        {w}x{h}");
    println!(
        "frames      {n} in {wall:.1} s wall ({:.1} fps delivered)",
        n / wall
    );
    println!(
        "cpu         {cpu:.2} s ({:.0}% of one core)",
        100.0 * cpu / wall
    );
    println!("capacity    {:.0} frames per CPU-second", n / cpu.max(0.01));
    println!(
        "bitrate     {:.0} kb/s",
        bytes.load(Ordering::Relaxed) as f64 * 8.0 / 1000.0 / (wall + 2.0)
    );
}

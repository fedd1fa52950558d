//! The `retina` RTSP client (scottlamb/retina) as a command for the conformance client matrix:
//! plays a URL over TCP or UDP for some seconds and prints what it saw as one JSON line.
//!
//!   retina_probe URL tcp|udp SECONDS [USER PASSWORD]
//!
//! Exit status 0 when frames arrived; the caller judges the gap count (RTP sequence numbers
//! skipped, which is also what retina's per-packet `loss()` counts), which the JSON line
//! gives.

use std::time::Duration;

use futures::StreamExt;
use retina::client::{
    Credentials, PacketItem, PlayOptions, SessionOptions, SetupOptions, TcpTransportOptions,
    Transport, UdpTransportOptions,
};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: retina_probe URL tcp|udp SECONDS [USER PASSWORD]");
        std::process::exit(2);
    }
    let secs: u64 = args[3].parse().unwrap_or(5);
    let transport = match args[2].as_str() {
        "udp" => Transport::Udp(UdpTransportOptions::default()),
        _ => Transport::Tcp(TcpTransportOptions::default()),
    };
    let creds = (args.len() >= 6).then(|| Credentials {
        username: args[4].clone(),
        password: args[5].clone(),
    });
    let r = play(&args[1], transport, secs, creds).await;
    match r {
        Ok((packets, frames, rtcp, gaps, codec, width, height)) => {
            println!(
                "{{\"ok\":{},\"packets\":{packets},\"frames\":{frames},\"rtcp\":{rtcp},\"gaps\":{gaps},\"codec\":\"{codec}\",\"width\":{width},\"height\":{height}}}",
                frames > 0
            );
            std::process::exit(if frames > 0 { 0 } else { 1 });
        }
        Err(e) => {
            println!("{{\"ok\":false,\"error\":{:?}}}", e.to_string());
            std::process::exit(1);
        }
    }
}

type Seen = (u64, u64, u64, u64, String, u32, u32);

async fn play(
    url: &str,
    transport: Transport,
    secs: u64,
    creds: Option<Credentials>,
) -> Result<Seen, Box<dyn std::error::Error>> {
    let url = url::Url::parse(url)?;
    let mut session =
        retina::client::Session::describe(url, SessionOptions::default().creds(creds)).await?;
    let vi = session
        .streams()
        .iter()
        .position(|s| s.media() == "video")
        .ok_or("no video stream")?;
    let codec = session.streams()[vi].encoding_name().to_owned();
    session
        .setup(vi, SetupOptions::default().transport(transport))
        .await?;
    let mut playing = session.play(PlayOptions::default()).await?;
    let (mut packets, mut frames, mut rtcp, mut gaps) = (0, 0, 0, 0);
    let mut last: Option<u16> = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        let item = tokio::time::timeout(Duration::from_secs(5), playing.next())
            .await
            .map_err(|_| "no packet for 5 s")?
            .ok_or("stream ended")??;
        match item {
            PacketItem::Rtp(p) => {
                if let Some(l) = last {
                    gaps += u64::from(p.sequence_number().wrapping_sub(l).wrapping_sub(1));
                }
                last = Some(p.sequence_number());
                packets += 1;
                frames += u64::from(p.mark());
            }
            PacketItem::Rtcp(_) => rtcp += 1,
            _ => {}
        }
    }
    let (w, h) = match playing.streams()[vi].parameters() {
        Some(retina::codec::ParametersRef::Video(v)) => v.pixel_dimensions(),
        _ => (0, 0),
    };
    Ok((packets, frames, rtcp, gaps, codec, w, h))
}

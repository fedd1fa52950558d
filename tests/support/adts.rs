//! Raw AAC-LC access units decoded by ffmpeg: each unit gets an ADTS header (ISO/IEC
//! 14496-3 1.A.2.2) so ffmpeg reads the units as a `.aac` stream. Used by the simulator's
//! tests (sdk-sys/tests/sim_audio_aac.rs includes this file by path) and by the RTSP ones,
//! so it depends on nothing but std.

use std::io::Write;
use std::process::{Command, Stdio};

/// The ADTS header for one raw AAC-LC mono unit of `len` bytes at `rate` (8 or 16 kHz).
pub fn adts_header(rate: u32, len: usize) -> [u8; 7] {
    let sf: u8 = match rate {
        16000 => 8,
        8000 => 11,
        _ => panic!("rate {rate}"),
    };
    let n = len + 7;
    [
        0xFF,
        0xF1,                               // MPEG-4, layer 0, no CRC
        (1 << 6) | (sf << 2), // profile LC (object type 2 - 1), frequency index, channels hi bit 0
        (1 << 6) | ((n >> 11) as u8 & 0x3), // channel configuration 1
        (n >> 3) as u8,
        ((n as u8 & 0x7) << 5) | 0x1F,
        0xFC,
    ]
}

/// ffmpeg's decoding of raw AAC-LC mono `units` at `rate`, as s16 samples.
pub fn decode_units(rate: u32, units: &[Vec<u8>]) -> Vec<i16> {
    let mut stream = Vec::new();
    for u in units {
        stream.extend_from_slice(&adts_header(rate, u.len()));
        stream.extend_from_slice(u);
    }
    let mut child = Command::new("ffmpeg")
        .args([
            "-v", "error", "-f", "aac", "-i", "pipe:0", "-f", "s16le", "pipe:1",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("ffmpeg");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&stream));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "ffmpeg failed to decode the units");
    out.stdout
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

//! Runs every file of `fuzz/corpus/<target>/` through the same entry point as the cargo-fuzz
//! target, plus a few thousand deterministic mutations of each, so stable CI covers the
//! parsers without nightly or libFuzzer.

use std::path::PathBuf;

type Entry = fn(&[u8]);

const TARGETS: &[(&str, Entry)] = &[
    ("rtsp_request", nvt::fuzzing::rtsp_request),
    ("interleaved", nvt::fuzzing::interleaved),
    ("transport", nvt::fuzzing::transport),
    ("rtcp", nvt::fuzzing::rtcp),
    ("tunnel", nvt::fuzzing::tunnel),
    ("discovery_datagram", nvt::discovery::message::fuzz_input),
    ("hls_path", nvt::fuzzing::hls_path),
    ("accept_encoding", nvt::fuzzing::accept_encoding),
    ("time_zone", nvt::settings::timezone::fuzz_input),
    ("osd_text", nvt::osd::fuzz_input),
    ("sdk_board_options", sdk_sys::sim::options::fuzz_input),
    ("v4l2_convert", sdk_sys::v4l2::convert::fuzz_input),
];

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds for {target}");
    files
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v.truncate(i);
            }
            2 => {
                let i = rng.below(v.len() + 1);
                let b = [b'\r', b'\n', b';', b'-', b'=', b',', b'$', 0xff, b'0'][rng.below(9)];
                v.insert(i, b);
            }
            3 if !v.is_empty() => {
                let i = rng.below(v.len());
                let j = rng.below(v.len());
                let (a, b) = (i.min(j), i.max(j));
                let piece = v[a..b].to_vec();
                v.splice(b..b, piece);
            }
            _ => v.extend_from_slice(&(rng.next()).to_be_bytes()),
        }
    }
    v
}

#[test]
fn every_corpus_file_and_mutations_parse_without_panic() {
    for (name, entry) in TARGETS {
        let seeds = corpus(name);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for seed in &seeds {
            entry(seed);
            for _ in 0..2000 {
                entry(&mutate(seed, &mut rng));
            }
        }
    }
}

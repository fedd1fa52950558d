//! Replays the committed corpus of the `rtp_talk` fuzz target (a back-channel talker's RTP,
//! `nvt::rtsp::backchannel`) through its entry point, plus deterministic mutations of each
//! seed (bytes flipped, cut, repeated), so stable CI covers the depacketizer without nightly.

use std::path::Path;

#[test]
fn rtp_talk_corpus_and_mutations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/rtp_talk");
    let mut n = 0;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let seed = std::fs::read(entry.unwrap().path()).unwrap();
        nvt::rtsp::backchannel::fuzz_input(&seed);
        for _ in 0..2000 {
            let mut m = seed.clone();
            match next() % 3 {
                0 if !m.is_empty() => {
                    let i = (next() as usize) % m.len();
                    m[i] ^= 1 << (next() % 8);
                }
                1 => m.truncate((next() as usize) % (m.len() + 1)),
                _ => {
                    let copy = m.clone();
                    m.extend_from_slice(&copy);
                }
            }
            nvt::rtsp::backchannel::fuzz_input(&m);
        }
        n += 1;
    }
    assert!(n > 0, "empty corpus {}", dir.display());
}

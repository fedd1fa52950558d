//! Gzip-codes the camera page's hls.js for embedding (src/web/page.rs says why): 355 KB of
//! minified script become 108 KB of the binary. The source stays in the repository as
//! published, so an update is a file copy and a reviewable diff; what is embedded is derived
//! from it here, deterministically (no timestamp or file name in the gzip header).

use std::io::Write;
use std::path::PathBuf;

use flate2::{Compression, GzBuilder};

const HLS_JS: &str = "src/web/assets/hls.light.min.js";

fn main() {
    println!("cargo::rerun-if-changed={HLS_JS}");
    let source = std::fs::read(HLS_JS).unwrap_or_else(|e| panic!("read {HLS_JS}: {e}"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut gz = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::best());
    gz.write_all(&source).expect("gzip into memory");
    let coded = gz.finish().expect("gzip into memory");
    std::fs::write(out.join("hls.light.min.js.gz"), coded).expect("write the gzip-coded hls.js");
}

//! The ONVIF licence forbids modifying the WSDL/XSD: check every vendored file against the
//! checksums recorded when they were imported (wsdl/SHA256SUMS).

use sha2::{Digest, Sha256};
use std::path::Path;

#[test]
fn vendored_wsdl_matches_recorded_checksums() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("wsdl");
    let sums = std::fs::read_to_string(root.join("SHA256SUMS")).unwrap();
    let mut n = 0;
    for line in sums.lines() {
        let (hash, name) = line.split_once("  ").expect("sha256sum format");
        let data = std::fs::read(root.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got: String = Sha256::digest(&data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(got, hash, "{name} was modified");
        n += 1;
    }
    assert!(n > 50);
}

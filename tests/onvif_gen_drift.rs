//! The generated ONVIF code is committed (a fresh build needs no generator run); this test
//! regenerates it from wsdl/ and onvif-gen/onvif-gen.toml and fails on any difference, so
//! the committed code can never drift from the WSDL or be edited by hand.
//! Fix a failure with `cargo run -p onvif-gen` and commit the result.

use std::path::Path;

#[test]
fn generated_code_matches_generator_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = onvif_gen::generate(&root.join("onvif-gen/onvif-gen.toml"), &root.join("wsdl"))
        .expect("generation succeeds");
    let dir = root.join("src/onvif/generated");
    for (name, want) in &files {
        let have = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        assert!(
            have == *want,
            "src/onvif/generated/{name} differs from onvif-gen output: run `cargo run -p onvif-gen`"
        );
    }
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(files.contains_key(&name), "stale generated file {name}");
    }
}

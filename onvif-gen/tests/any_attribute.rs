//! xs:anyAttribute in the emitted code: only types that have it get `other_attributes`, the
//! read skips exactly the declared attributes, and the output is the same on every run.

use std::collections::BTreeMap;
use std::path::Path;

fn generate() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    onvif_gen::generate(&root.join("onvif-gen/onvif-gen.toml"), &root.join("wsdl")).unwrap()
}

/// The struct definition and its impls: from `pub struct Name {` to the next doc comment of a
/// top-level item.
fn item<'a>(file: &'a str, name: &str) -> &'a str {
    let start = file
        .find(&format!("pub struct {name} {{"))
        .unwrap_or_else(|| panic!("{name}"));
    let rest = &file[start..];
    let end = rest[1..].find("\n/// `").map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

#[test]
fn only_types_with_any_attribute_keep_undeclared_attributes() {
    let files = generate();
    let tt = &files["tt.rs"];
    let tds = &files["tds.rs"];
    // tt:NetworkHost has <xs:anyAttribute processContents="lax"/>.
    let host = item(tt, "NetworkHost");
    assert!(
        host.contains("pub other_attributes: Vec<rt::AnyAttribute>,"),
        "{host}"
    );
    assert!(host.contains("out.other_attributes = rt::other_attributes(el, &[]);"));
    assert!(host.contains("rt::write_other_attributes(w, &self.other_attributes);"));
    // tds:SetNTP has none: unchanged.
    let set_ntp = item(tds, "SetNTP");
    assert!(!set_ntp.contains("other_attributes"), "{set_ntp}");
    // Declared attributes are excluded from what is kept.
    let caps = item(tds, "NetworkCapabilities");
    assert!(
        caps.contains("rt::other_attributes(el, &[(\"\", \"IPFilter\"), "),
        "{caps}"
    );
}

#[test]
fn output_is_deterministic() {
    assert_eq!(generate(), generate());
}

//! Runs every committed fuzz corpus file of the ONVIF/SOAP parsers through the same entry
//! point the fuzz target uses, so a crash found once stays fixed without needing nightly.

use std::path::Path;

fn run_corpus(target: &str, f: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        f(&data);
        n += 1;
    }
    assert!(n > 0, "empty corpus {}", dir.display());
}

#[test]
fn digest_authorization_corpus() {
    run_corpus("digest_authorization", nvt::auth::digest::fuzz_input);
}

#[test]
fn soap_envelope_corpus() {
    run_corpus("soap_envelope", nvt::soap::envelope::fuzz_input);
}

#[test]
fn xsd_time_corpus() {
    run_corpus("xsd_time", nvt::xml::xsd::fuzz_input);
}

#[test]
fn basic_authorization_corpus() {
    run_corpus("basic_authorization", nvt::auth::basic::fuzz_input);
}

#[test]
fn topic_filter_corpus() {
    run_corpus("topic_filter", nvt::events::filter::fuzz_input);
}

#[test]
fn content_filter_corpus() {
    run_corpus("content_filter", nvt::events::content_filter::fuzz_input);
}

#[test]
fn ptz_request_corpus() {
    run_corpus("ptz_request", nvt::onvif::ptz::fuzz_request);
}

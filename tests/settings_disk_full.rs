//! A full state disk (issue 14 item 12): the settings already on disk are the settings, so a
//! SystemReboot or SIGTERM with no space left restarts or stops cleanly (before the fix, the
//! shutdown rewrote the file, failed with ENOSPC, and the daemon exited 1 and did not come
//! back). A change that cannot be saved is refused and changes nothing.
//!
//! The state directory is a small tmpfs mounted in a private mount namespace
//! (`support::isolate`), filled up by the test; nothing is mounted on the host.

mod support;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use support::soap;
use support::{Daemon, isolate};

const PASSWORD: &str = "disk-Secret1";
const CHILD: &str = "full_disk_child";

/// POSTs `body` to the device service as admin; returns the status and the body.
fn admin(port: u16, body: &str) -> (u16, String) {
    soap::post(port, soap::DEVICE, "admin", PASSWORD, body)
}

fn set_hostname(port: u16, name: &str) -> (u16, String) {
    admin(
        port,
        &format!("<tds:SetHostname><tds:Name>{name}</tds:Name></tds:SetHostname>"),
    )
}

fn hostname(port: u16) -> String {
    let (status, text) = admin(port, "<tds:GetHostname/>");
    assert_eq!(status, 200, "{text}");
    text.split("Name>")
        .nth(1)
        .unwrap_or_default()
        .trim_end_matches("</tt:")
        .to_owned()
}

/// Writes zeros to `path` until the file system says it is full.
fn fill(path: &Path) -> u64 {
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 4096];
    let mut written = 0;
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
            Err(e) => panic!("filling {}: {e}", path.display()),
        }
    }
    let _ = f.sync_all();
    written
}

#[test]
fn a_full_state_disk_neither_kills_a_reboot_nor_a_stop() {
    isolate::run(CHILD, false);
}

/// The body of the test above, inside its private mount namespace.
#[test]
#[ignore = "child process of a_full_state_disk_neither_kills_a_reboot_nor_a_stop"]
fn full_disk_child() {
    assert!(
        isolate::in_child(CHILD),
        "run through a_full_state_disk_neither_kills_a_reboot_nor_a_stop (it mounts a tmpfs)"
    );
    let root = tempfile::tempdir().unwrap();
    let mnt = root.path().join("disk");
    std::fs::create_dir(&mnt).unwrap();
    // 256 KiB: a few settings files, quickly filled.
    isolate::sh(
        "mount",
        &[
            "-t",
            "tmpfs",
            "-o",
            "size=256k",
            "nvt-test",
            mnt.to_str().unwrap(),
        ],
    );
    let state = mnt.join("nvt");
    let (mut nvt, port) = Daemon::start_admin(&state, PASSWORD, &[]);
    let (status, text) = set_hostname(port, "saved-before-full");
    assert_eq!(status, 200, "{text}");

    let filled = fill(&mnt.join("filler"));
    println!("filled the state disk with {filled} bytes");
    // A change that cannot be written is refused, and nothing changes.
    let (status, text) = set_hostname(port, "never-saved");
    assert_eq!(status, 500, "{text}");
    assert!(text.contains("cannot save settings"), "{text}");
    assert_eq!(hostname(port), "saved-before-full");

    // SystemReboot: the daemon restarts from the file it has.
    let (status, text) = admin(port, "<tds:SystemReboot/>");
    assert_eq!(status, 200, "{text}");
    nvt.wait_for("restarting (SystemReboot)", Duration::from_secs(30));
    nvt.wait_for("nvt running", Duration::from_secs(60));
    assert_eq!(hostname(port), "saved-before-full");

    // SIGTERM: a clean stop, exit status 0.
    nvt.stop();
    let saved = nvt::settings::parse(&std::fs::read(state.join("settings.json")).unwrap()).unwrap();
    assert_eq!(saved.network.hostname.as_deref(), Some("saved-before-full"));
    assert!(
        !state.join("settings.json.tmp").exists(),
        "a failed write leaves no temp file holding space"
    );
    // Still full: a fresh start on the full disk works too.
    let mut again = Daemon::start(&state, &[], &[]);
    let port = again.http_port();
    again.wait_running();
    assert_eq!(hostname(port), "saved-before-full");
    again.stop();
}

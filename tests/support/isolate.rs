//! Runs one test of the current test binary in fresh Linux namespaces (`unshare`), for tests
//! that mount a file system or create network interfaces: nothing they do reaches the host,
//! and everything ends with the child process, even when it fails halfway.
//!
//! As root the namespaces are made directly; otherwise inside a user namespace mapping the
//! caller to root (unprivileged user namespaces must be enabled). The child is the test
//! `name`, marked `#[ignore]` so that it never runs on its own; it checks [`in_child`].

use std::process::Command;

const CHILD_ENV: &str = "NVT_ISOLATED_CHILD";

/// Runs test `name` of this binary inside new namespaces (`--mount`, plus `--net` when
/// `net`), and panics with its output unless it passed.
pub fn run(name: &str, net: bool) {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = Command::new("unshare");
    // /proc/self belongs to the process's effective user.
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid() == 0
    });
    if !root {
        cmd.args(["--user", "--map-root-user"]);
    }
    cmd.args(["--mount", "--propagation", "private"]);
    if net {
        cmd.arg("--net");
    }
    let out = cmd
        .arg(&exe)
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, name)
        .output()
        .expect("run unshare (util-linux)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{name} in new namespaces failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
}

/// Whether this process is the child [`run`] started for test `name` (else the test was run
/// by hand with `--ignored`, outside the namespaces it needs).
pub fn in_child(name: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|v| v == name)
}

/// Runs a command that must succeed (mount, ip), panicking with its output.
pub fn sh(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

//! The Python clients' interpreters: one venv per client under target/, made by
//! scripts/deps.sh and, when missing or stale, here (the same rule: the venv's `installed`
//! stamp is a copy of the requirements it was made from).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The python of venv `target/NAME` made from `requirements` (relative to the repository).
pub fn venv(name: &str, requirements: &str) -> PathBuf {
    let venv = root().join("target").join(name);
    let py = venv.join("bin/python");
    let req = root().join(requirements);
    let fresh = std::fs::read(venv.join("installed")).ok() == std::fs::read(&req).ok();
    if !fresh {
        // Several tests may get here at once: build in a private directory, then rename.
        let tmp = root().join(format!("target/{name}.{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&tmp)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new(tmp.join("bin/python"))
                .args(["-m", "pip", "install", "-q", "-r"])
                .arg(&req)
                .status()
                .is_ok_and(|s| s.success());
        assert!(ok, "creating target/{name} failed (run scripts/deps.sh)");
        std::fs::copy(&req, tmp.join("installed")).unwrap();
        if !venv.join("installed").exists() {
            let _ = std::fs::remove_dir_all(&venv);
            let _ = std::fs::rename(&tmp, &venv);
        }
        let _ = std::fs::remove_dir_all(&tmp);
    }
    py
}

/// The python with onvif-zeep-async (Home Assistant's ONVIF library), or `NVT_ZEEP_PYTHON`.
pub fn zeep() -> PathBuf {
    if let Some(p) = std::env::var_os("NVT_ZEEP_PYTHON") {
        return PathBuf::from(p);
    }
    venv("zeep-venv", "conformance/onvif-zeep/requirements.txt")
}

/// The python with the WSDiscovery client (conformance/ws-discovery).
pub fn wsd() -> PathBuf {
    venv("wsd-venv", "conformance/ws-discovery/requirements.txt")
}

//! Every test that does not run in a plain `cargo nextest run` says why, and runs somewhere on
//! purpose (issue 15 item 5): a test that cannot run on a machine is `#[ignore = "reason"]`,
//! never a silent pass. Three kinds exist:
//! - `#[ignore = "needs root: ..."]`: scripts/test-all runs them as root
//!   (`--run-ignored only -E 'not test(/_child$/) and not binary(vivid_vm)'`);
//! - `#[ignore = "needs the vivid VM: ..."]`, in tests/vivid_vm.rs only: scripts/test-all's
//!   "vm tests" stage runs them
//!   (`--run-ignored only -E 'binary(vivid_vm) and not test(/_child$/)'`) after installing
//!   QEMU and the kernel (scripts/vm-kernel.sh);
//! - child-process entry points, named `*_child`, `#[ignore = "child process of PARENT"]`,
//!   where PARENT is a test of the same file that runs them.
//!
//! And no test reports a skip by printing and returning.

use std::path::Path;

/// (file, ignore reason or None for a bare `#[ignore]`, test function name) of every ignored
/// test, and every `*_child` test function with its reason if ignored.
struct Found {
    file: String,
    reason: Option<String>,
    ignored: bool,
    name: String,
}

fn scan(dir: &Path) -> Vec<Found> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(name) = fn_name(line) else { continue };
            // The attributes right above the function.
            let attrs: Vec<&str> = lines[..i]
                .iter()
                .rev()
                .take_while(|l| l.starts_with("#[") || l.starts_with("///"))
                .copied()
                .collect();
            let is_test = attrs
                .iter()
                .any(|a| a.starts_with("#[test]") || a.starts_with("#[tokio::test"));
            if !is_test {
                continue;
            }
            let ignore = attrs.iter().find(|a| a.starts_with("#[ignore"));
            if ignore.is_none() && !name.ends_with("_child") {
                continue;
            }
            let reason = ignore.and_then(|a| {
                let rest = a.strip_prefix("#[ignore")?.trim_start().strip_prefix('=')?;
                Some(
                    rest.trim()
                        .trim_end_matches(']')
                        .trim_matches('"')
                        .to_owned(),
                )
            });
            out.push(Found {
                file: file.clone(),
                reason,
                ignored: ignore.is_some(),
                name: name.to_owned(),
            });
        }
    }
    out
}

/// The name of the function a line declares.
fn fn_name(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("async fn ")
        .or_else(|| line.strip_prefix("fn "))?;
    rest.split(['(', '<']).next()
}

/// What is wrong with one ignored (or `*_child`) test, if anything.
fn problem(f: &Found, dir: &Path) -> Option<String> {
    let at = format!("{}: {}", f.file, f.name);
    if !f.ignored {
        return Some(format!(
            "{at}: a child-process entry point that is not #[ignore]d counts as a passing test"
        ));
    }
    let Some(reason) = &f.reason else {
        return Some(format!("{at}: #[ignore] without a reason"));
    };
    if reason.starts_with("needs root:") {
        if f.file == VM_FILE {
            return Some(format!(
                "{at}: the root stage leaves {VM_FILE} out; its tests need the vivid VM"
            ));
        }
        return None;
    }
    if reason.starts_with("needs the vivid VM:") {
        if f.file != VM_FILE {
            return Some(format!(
                "{at}: the \"vm tests\" stage runs the VM tests of {VM_FILE} only"
            ));
        }
        return None;
    }
    if let Some(parent) = reason.strip_prefix("child process of ") {
        if !f.name.ends_with("_child") {
            return Some(format!(
                "{at}: a child process's name ends in _child (scripts/test-all leaves those out)"
            ));
        }
        let text = std::fs::read_to_string(dir.join(&f.file)).unwrap();
        let declared = text.contains(&format!("fn {parent}("));
        // The parent names its child in a string (the test binary's filter).
        let runs_it = text.contains(&format!("\"{}\"", f.name));
        if !declared || !runs_it {
            return Some(format!(
                "{at}: its parent {parent} is not a test of this file that runs it"
            ));
        }
        return None;
    }
    Some(format!(
        "{at}: ignored for {reason:?}, which nothing runs on purpose (\"needs root: ...\", \
         \"needs the vivid VM: ...\" or \"child process of PARENT\")"
    ))
}

/// The one file of the VM tests (its binary is `vivid_vm`).
const VM_FILE: &str = "vivid_vm.rs";

#[test]
fn every_ignored_test_says_why_and_is_run_on_purpose() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let found = scan(&dir);
    // The scan itself works: these are known to be there.
    assert!(
        found.iter().any(|f| f.name == "multicast_server_child"),
        "scan found {:?}",
        found.iter().map(|f| &f.name).collect::<Vec<_>>()
    );
    assert!(
        found
            .iter()
            .any(|f| f.name == "probes_match_types_and_scopes_and_resolve_works")
    );
    assert!(found.iter().any(|f| {
        f.file == VM_FILE
            && f.reason
                .as_deref()
                .is_some_and(|r| r.starts_with("needs the vivid VM:"))
    }));
    let problems: Vec<String> = found.iter().filter_map(|f| problem(f, &dir)).collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

/// scripts/test-all runs each kind of ignored test in its own stage, and no stage runs the VM
/// tests without the VM: the filters above are the script's.
#[test]
fn test_all_runs_each_kind_of_ignored_test_in_its_stage() {
    let script =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test-all"))
            .unwrap();
    // The paragraph that runs the stage.
    let stage = |name: &str| -> &str {
        script
            .split("\n\n")
            .find(|p| p.contains(&format!("stage \"{name}\"")))
            .unwrap_or_else(|| panic!("no stage {name:?} in scripts/test-all"))
    };
    let root = stage("root tests");
    assert!(
        root.contains("--run-ignored only -E 'not test(/_child$/) and not binary(vivid_vm)'"),
        "{root}"
    );
    let vm = stage("vm tests");
    assert!(
        vm.contains("--run-ignored only -E 'binary(vivid_vm) and not test(/_child$/)'"),
        "{vm}"
    );
    assert!(vm.contains("scripts/vm-kernel.sh"), "{vm}");
}

#[test]
fn no_test_skips_by_printing_and_returning() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut offenders = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let needle = ["eprintln!(\"SKIP", "println!(\"SKIP"];
        if needle.iter().any(|n| text.contains(n)) {
            offenders.push(path.display().to_string());
        }
    }
    assert!(
        offenders.is_empty(),
        "tests that pass by skipping: {offenders:?}"
    );
}

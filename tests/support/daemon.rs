//! Shared helpers of the integration tests: run the real `nvt` binary and watch its output.
#![allow(dead_code)]

pub mod isolate;
pub mod media;
pub mod wsse;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

pub const NVT: &str = env!("CARGO_BIN_EXE_nvt");

/// One line of the daemon's output, tagged with its stream.
#[derive(Clone, Debug)]
pub enum Line {
    Out(String),
    Err(String),
}

/// A running `nvt` with its output collected line by line.
pub struct Daemon {
    pub child: Child,
    lines: Receiver<Line>,
    pub seen: Vec<Line>,
}

impl Daemon {
    /// Starts nvt on `state_dir` with ephemeral ports, no discovery, and `extra` args/env.
    pub fn start(state_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Daemon {
        let mut cmd = Command::new(NVT);
        cmd.arg("--state-dir")
            .arg(state_dir)
            .args([
                "--bind",
                "127.0.0.1",
                "--http-port",
                "0",
                "--rtsp-port",
                "0",
                "--no-discovery",
            ])
            .args(args)
            .env_remove("NVT_ADMIN_PASSWORD")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Daemon::spawn(cmd)
    }

    /// Runs `cmd` (nvt, or a wrapper such as `ip netns exec NS nvt ...`) with its output
    /// collected line by line.
    pub fn spawn(mut cmd: Command) -> Daemon {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn nvt");
        let (tx, rx) = channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(Line::Out(l));
            }
        });
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx2.send(Line::Err(l));
            }
        });
        Daemon {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Waits for a line containing `needle` (either stream); panics with the output so far.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let text = match &line {
                        Line::Out(s) | Line::Err(s) => s.clone(),
                    };
                    self.seen.push(line);
                    if text.contains(needle) {
                        return text;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no {needle:?} within {timeout:?}; output: {:#?}", self.seen)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("nvt exited before {needle:?}; output: {:#?}", self.seen)
                }
            }
        }
    }

    pub fn signal(&self, sig: Signal) {
        kill(Pid::from_raw(self.child.id() as i32), sig).expect("signal nvt");
    }

    /// Waits for exit (killing it after `timeout`), draining the rest of its output.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Output threads end at EOF; collect what is left.
                std::thread::sleep(Duration::from_millis(50));
                while let Ok(l) = self.lines.try_recv() {
                    self.seen.push(l);
                }
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "nvt did not exit within {timeout:?}; output: {:#?}",
                    self.seen
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stdout_lines(&self) -> Vec<String> {
        self.seen
            .iter()
            .filter_map(|l| match l {
                Line::Out(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs nvt to completion with the given args (no daemon expected to stay up).
pub fn run_nvt(args: &[&str]) -> (ExitStatus, String, String) {
    let out = Command::new(NVT)
        .args(args)
        .env_remove("NVT_ADMIN_PASSWORD")
        .output()
        .expect("run nvt");
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A daemon started fresh in a temporary state directory with `admin`'s password from
/// `NVT_ADMIN_PASSWORD`, once it runs: (daemon, the first profile's RTSP URL as logged, the
/// HTTP port, the state directory).
pub fn start_with_admin(password: &str) -> (Daemon, String, u16, tempfile::TempDir) {
    const START: Duration = Duration::from_secs(60);
    let state = temp_state();
    let mut nvt = Daemon::start(state.path(), &[], &[("NVT_ADMIN_PASSWORD", password)]);
    let line = nvt.wait_for("RTSP stream at rtsp://", START);
    let i = line.find("rtsp://").unwrap();
    let url = line[i..].split_whitespace().next().unwrap();
    let url = url
        .trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned();
    let line = nvt.wait_for("ONVIF device service at http://", START);
    let port: u16 = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap();
    nvt.wait_for("nvt running", START);
    (nvt, url, port, state)
}

pub fn temp_state() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

pub fn path_str(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

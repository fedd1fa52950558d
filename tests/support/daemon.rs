//! The one daemon harness: runs the real `nvt` binary (on a temp state dir, loopback,
//! ephemeral ports, no discovery), reads its addresses from its log, stops it (SIGTERM, or
//! kill -9) and starts it again on the same state.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

pub const NVT: &str = env!("CARGO_BIN_EXE_nvt");

/// How long a start may take on the shared, loaded test machine (a generous bound, not a
/// speed claim: a hang still ends).
pub const START: Duration = Duration::from_secs(60);

/// How long a clean stop (SIGTERM: Bye, TEARDOWN, settings flushed) may take.
pub const STOP: Duration = Duration::from_secs(30);

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

    /// [`Daemon::start`] with `admin`'s password from `NVT_ADMIN_PASSWORD` (it takes effect
    /// on a state dir without users: a fresh one), once it runs: (daemon, HTTP port).
    pub fn start_admin(state_dir: &Path, password: &str, args: &[&str]) -> (Daemon, u16) {
        let mut nvt = Daemon::start(state_dir, args, &[("NVT_ADMIN_PASSWORD", password)]);
        let port = nvt.http_port();
        nvt.wait_running();
        (nvt, port)
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

    /// The HTTP port from the daemon's "ONVIF device service at http://HOST:PORT/..." line
    /// (HOST is the bind address: loopback, or a namespace's address).
    pub fn http_port(&mut self) -> u16 {
        let line = self.wait_for("ONVIF device service at http://", START);
        port_of(&line)
    }

    /// The RTSP port from the daemon's "RTSP stream at rtsp://HOST:PORT/NAME" line (logged
    /// before the HTTP line: call this first).
    pub fn rtsp_port(&mut self) -> u16 {
        let line = self.wait_for("RTSP stream at rtsp://", START);
        port_in(&line, "rtsp")
    }

    /// The first `rtsp://...` URL of a log line containing `needle` (e.g. `/profile_1`, or
    /// "RTSP stream at rtsp://"), trailing punctuation removed.
    pub fn rtsp_url(&mut self, needle: &str) -> String {
        let line = self.wait_for(needle, START);
        let i = line.find("rtsp://").expect("an RTSP URL in the log line");
        let url = line[i..].split_whitespace().next().unwrap();
        url.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
            .to_owned()
    }

    /// Waits until the daemon says it runs (every listener and the SDK are up).
    pub fn wait_running(&mut self) {
        self.wait_for("nvt running", START);
    }

    /// Stops it cleanly (SIGTERM) and asserts a successful exit, with its output on failure.
    pub fn stop(&mut self) {
        self.signal(Signal::SIGTERM);
        let status = self.wait_exit(STOP);
        assert!(status.success(), "{status}: {:#?}", self.seen);
    }

    /// kill -9: no clean-up at all (a power cut, as far as the state directory knows).
    pub fn kill9(&mut self) {
        self.signal(Signal::SIGKILL);
        let _ = self.child.wait();
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
    let state = temp_state();
    let mut nvt = Daemon::start(state.path(), &[], &[("NVT_ADMIN_PASSWORD", password)]);
    // In the order the daemon logs them: RTSP listener first, then HTTP.
    let url = nvt.rtsp_url("RTSP stream at rtsp://");
    let port = nvt.http_port();
    nvt.wait_running();
    (nvt, url, port, state)
}

/// The port of a log line "... at http://HOST:PORT/...".
pub fn port_of(line: &str) -> u16 {
    port_in(line, "http")
}

/// The port of the first `SCHEME://HOST:PORT/` URL of a log line.
pub fn port_in(line: &str, scheme: &str) -> u16 {
    line.split(&format!("{scheme}://"))
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|hp| hp.rsplit_once(':'))
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or_else(|| panic!("no {scheme} port in {line:?}"))
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

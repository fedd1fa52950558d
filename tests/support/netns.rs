//! The one network-namespace helper: two namespaces ("server" and "client") joined by a veth
//! pair, `224.0.0.0/4` routed over it on both sides, so multicast never touches the host's
//! interfaces. Needs root (CAP_NET_ADMIN) and iproute2: the tests using it are
//! `#[ignore = "needs root: ..."]` and scripts/test-all runs them on purpose when root. Made
//! by a test that is run, a failure to create them fails the test (never a silent skip).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The server end's address (the daemon under test binds it).
pub const SERVER_IP: &str = "10.214.0.1";
/// The client end's address.
pub const CLIENT_IP: &str = "10.214.0.2";

/// Runs `ip ARGS`; the error (with ip's message) if it failed.
pub fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("ip {args:?}: {e} (iproute2 installed?)"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Two namespaces joined by a veth pair; both deleted on drop (the pair with them).
pub struct Netns {
    pub server: String,
    pub client: String,
    /// The two ends of the veth pair.
    pub server_if: String,
    pub client_if: String,
}

impl Netns {
    /// Creates the pair, or panics with the failing command. `tag` keeps the names of the
    /// tests of one binary apart; nextest runs each test in its own process, so the pid
    /// keeps runs apart.
    pub fn pair(tag: &str) -> Netns {
        let id = format!("{}{tag}", std::process::id() % 100_000);
        // The guard exists before the first command: a half-made setup is removed too.
        let n = Netns {
            server: format!("nvtS{id}"),
            client: format!("nvtC{id}"),
            server_if: format!("vS{id}"),
            client_if: format!("vC{id}"),
        };
        let (ns_s, ns_c, vs, vc) = (&n.server, &n.client, &n.server_if, &n.client_if);
        let steps: [&[&str]; 13] = [
            &["netns", "add", ns_s],
            &["netns", "add", ns_c],
            &["link", "add", vs, "type", "veth", "peer", "name", vc],
            &["link", "set", vs, "netns", ns_s],
            &["link", "set", vc, "netns", ns_c],
            &[
                "-n",
                ns_s,
                "addr",
                "add",
                &format!("{SERVER_IP}/24"),
                "dev",
                vs,
            ],
            &[
                "-n",
                ns_c,
                "addr",
                "add",
                &format!("{CLIENT_IP}/24"),
                "dev",
                vc,
            ],
            &["-n", ns_s, "link", "set", vs, "up"],
            &["-n", ns_c, "link", "set", vc, "up"],
            &["-n", ns_s, "link", "set", "lo", "up"],
            &["-n", ns_c, "link", "set", "lo", "up"],
            &["-n", ns_s, "route", "add", "224.0.0.0/4", "dev", vs],
            &["-n", ns_c, "route", "add", "224.0.0.0/4", "dev", vc],
        ];
        for step in steps {
            if let Err(e) = ip(step) {
                // If the veth was made but not moved, it is still in the host namespace.
                let _ = ip(&["link", "del", vs]);
                panic!("cannot create network namespaces (needs root and iproute2): {e}");
            }
        }
        n
    }

    /// `ip netns exec SERVER`, to put in front of a command.
    pub fn in_server(&self) -> [&str; 4] {
        ["ip", "netns", "exec", &self.server]
    }

    /// `ip netns exec CLIENT`, to put in front of a command.
    pub fn in_client(&self) -> [&str; 4] {
        ["ip", "netns", "exec", &self.client]
    }

    /// A command run in the client namespace.
    pub fn client_cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.client]).arg(program);
        c
    }

    /// A command run in the server namespace.
    pub fn server_cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.server]).arg(program);
        c
    }

    /// nvt started in the server namespace on `state`, bound to [`SERVER_IP`] with ephemeral
    /// ports and no discovery, `admin`'s password `password` (taking effect on a fresh state
    /// dir), logging at info: what every namespace test but discovery's runs.
    pub fn start_nvt(&self, state: &std::path::Path, password: &str) -> super::daemon::Daemon {
        let mut cmd = self.server_cmd(super::NVT);
        cmd.arg("--state-dir")
            .arg(state)
            .args(["--bind", SERVER_IP])
            .args(["--http-port", "0", "--rtsp-port", "0", "--no-discovery"])
            .env("NVT_ADMIN_PASSWORD", password)
            .env("RUST_LOG", "info");
        super::daemon::Daemon::spawn(cmd)
    }

    /// True once the client has a usable (not tentative) IPv6 link-local address, waiting up
    /// to 10 s for duplicate address detection; false where IPv6 is disabled.
    pub fn client_ipv6_ready(&self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let out = Command::new("ip")
                .args([
                    "-n",
                    &self.client,
                    "-6",
                    "addr",
                    "show",
                    "dev",
                    &self.client_if,
                ])
                .output();
            let Ok(out) = out else { return false };
            let text = String::from_utf8_lossy(&out.stdout);
            if !text.contains("fe80::") {
                return false;
            }
            if !text.contains("tentative") {
                return true;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        false
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.server]);
        let _ = ip(&["netns", "del", &self.client]);
    }
}

/// RTP packets arriving on a multicast group in the client namespace within `secs`.
pub fn count_group_packets(ns: &str, group: &str, port: u16, secs: u32) -> u64 {
    let code = format!(
        "import socket,struct,time\n\
         s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
         s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n\
         s.bind(('{group}',{port}))\n\
         s.setsockopt(socket.IPPROTO_IP,socket.IP_ADD_MEMBERSHIP,struct.pack('4s4s',socket.inet_aton('{group}'),socket.inet_aton('{CLIENT_IP}')))\n\
         s.settimeout(0.2)\n\
         n=0\n\
         end=time.time()+{secs}\n\
         while time.time()<end:\n\
         \x20   try:\n\
         \x20       d=s.recv(2048)\n\
         \x20       n+=1 if len(d)>12 and d[0]>>6==2 else 0\n\
         \x20   except socket.timeout:\n\
         \x20       pass\n\
         print(n)\n"
    );
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "/usr/bin/python3", "-c", &code])
        .output()
        .expect("python3 in the client namespace");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

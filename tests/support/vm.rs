//! A binary under test inside a QEMU VM running Debian's kernel with the virtual video capture
//! driver `vivid` (/dev/video0), reached from the host through port forwards on loopback.
//!
//! The guest is a busybox initramfs built per boot: the binary and the libraries `ldd` lists,
//! the modules (vivid, virtio-net and what modules.dep says they need, loaded in that order),
//! and a /init that brings up eth0 as 10.0.2.15/24 (QEMU user networking; the host is
//! 10.0.2.2) and runs the binary. QEMU emulates (`-accel tcg`: nested KVM hangs on the CI
//! machines), so the guest is several times slower than the host.
//!
//! Each forward listens on 127.0.0.1 on a free port and reaches the same port number in the
//! guest, so the addresses the camera builds from a Host header and its own RTSP port (XAddrs,
//! stream and snapshot URIs) work unchanged from the host. RTP over UDP needs no forward: the
//! guest sends it to 10.0.2.2, which user networking delivers to the host's loopback.
//!
//! A test may add modules and files ([`Vm::boot_with`], [`Extras`]): e.g. the virtual
//! memory-to-memory codec `vicodec` ([`VICODEC`], built for this kernel by
//! scripts/vm-vicodec.sh: Debian ships none) and a second binary under /opt, run through the
//! guest shell ([`Vm::guest`]).
//!
//! The kernel, QEMU and busybox come from scripts/vm-kernel.sh (the cache directory it prints,
//! `NVT_VM_DIR` or `${XDG_CACHE_HOME:-$HOME/.cache}/nvt-vm`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::soap;

/// The fix for a machine without what the VM needs.
pub const FIX: &str = "run scripts/vm-kernel.sh (installs qemu-system-x86, busybox-static, \
                       cpio, fetches the kernel and builds vicodec for it)";

/// How long from starting QEMU to the binary answering SOAP may take. Measured 19-27 s for
/// nvt on the shared 2-core machine; generous because that machine is shared (a hang still
/// ends).
pub const BOOT: Duration = Duration::from_secs(240);

/// Guest CPUs: QEMU's TCG runs one host thread per guest CPU, and the CI machine has 2 cores
/// shared with the test that drives the guest (ffmpeg decoding) and the other VM test, so 2
/// would take them all; measured no faster either (nvt's simulated sub stream in the guest:
/// 2.5-8.8 fps with 2, 3.3-6.9 with 1, on the same busy machine).
pub const CPUS: u32 = 1;

/// Guest memory (MiB): the initramfs (a debug nvt is ~60 MB) stays in RAM as the root file
/// system beside the binary's own use.
pub const MEMORY_MB: u32 = 1024;

/// The modules to load, each with its parameters; their dependencies come from modules.dep.
/// vivid: one instance with only a video capture node, so the camera is /dev/video0.
/// virtio_pci: the bus QEMU's virtio-net-pci sits on (modules.dep cannot know virtio_net
/// needs it: it is a device, not a symbol, dependency).
pub const MODULES: &[(&str, &str)] = &[
    ("vivid", "n_devs=1 node_types=0x1"),
    ("virtio_pci", ""),
    ("virtio_net", ""),
];

/// vicodec, the kernel's virtual M2M codec (an FWHT encoder and decoders, no H.264), as an
/// extra module ([`Extras::modules`]): multi-planar, as the Raspberry Pi's bcm2835-codec
/// encoder is. Loaded after [`MODULES`], its nodes come after vivid's /dev/video0.
pub const VICODEC: (&str, &str) = ("vicodec", "multiplanar=1");

/// What a test adds to the guest beside the binary ([`Vm::boot_with`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Extras<'a> {
    /// Modules loaded after [`MODULES`], each with its parameters (e.g. [`VICODEC`]); their
    /// dependencies come from modules.dep, like vivid's.
    pub modules: &'a [(&'a str, &'a str)],
    /// Files copied to /opt/NAME in the guest (NAME: the file's name), with the libraries
    /// `ldd` lists for them, e.g. a second binary to run through [`Vm::guest`].
    pub files: &'a [&'a Path],
}

/// The guest's address on QEMU's user network, and the host as the guest sees it.
pub const GUEST_IP: &str = "10.0.2.15";
pub const HOST_FROM_GUEST: &str = "10.0.2.2";

/// A running VM; dropping it kills QEMU (by its pid) and removes its files, and prints the
/// guest's console when the test is failing.
pub struct Vm {
    qemu: Child,
    dir: tempfile::TempDir,
    http: u16,
    rtsp: u16,
    /// Forwarded to a root shell in the guest (busybox `nc -ll -e /bin/sh`), for what a test
    /// does to the guest itself, e.g. unbinding a driver; on the host's loopback only.
    shell: u16,
    booted_in: Duration,
}

/// The cache directory scripts/vm-kernel.sh fills.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("NVT_VM_DIR") {
        return PathBuf::from(d);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache"));
    cache.join("nvt-vm")
}

/// The kernel image and the module tree (lib/modules/VERSION) in the cache.
fn kernel() -> (PathBuf, PathBuf) {
    let k = cache_dir().join("k");
    let first = |dir: PathBuf, prefix: &str| -> Option<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
            })
            .collect();
        found.sort();
        found.pop()
    };
    let image = first(k.join("boot"), "vmlinuz-");
    let modules = first(k.join("lib/modules"), "");
    match (image, modules) {
        (Some(i), Some(m)) if m.join("modules.dep").exists() => (i, m),
        _ => panic!("no kernel with modules.dep under {}: {FIX}", k.display()),
    }
}

/// The module files to load for `wanted`, dependencies first (modules.dep lists a module's
/// dependencies so that loading them last to first works, as modprobe does).
fn module_order(tree: &Path, wanted: &[(&str, &str)]) -> Vec<(PathBuf, String)> {
    let dep = std::fs::read_to_string(tree.join("modules.dep")).unwrap();
    // Module names say `-` and `_` interchangeably; files keep whichever the source used.
    let norm = |s: &str| s.replace('-', "_");
    let stem = |p: &str| {
        let file = p.rsplit('/').next().unwrap();
        norm(file.split(".ko").next().unwrap())
    };
    let mut order: Vec<(PathBuf, String)> = Vec::new();
    for (name, params) in wanted {
        let line = dep
            .lines()
            .find(|l| l.split(':').next().is_some_and(|p| stem(p) == norm(name)))
            .unwrap_or_else(|| panic!("module {name} not in {}/modules.dep", tree.display()));
        let (file, deps) = line.split_once(':').unwrap();
        let mut chain: Vec<(&str, &str)> = deps.split_whitespace().rev().map(|d| (d, "")).collect();
        chain.push((file, params));
        for (f, p) in chain {
            let path = tree.join(f);
            if !order.iter().any(|(q, _)| *q == path) {
                order.push((path, p.to_owned()));
            }
        }
    }
    order
}

/// The shared libraries `ldd` lists for `binary` (absolute paths as the loader finds them).
fn libraries(binary: &Path) -> Vec<PathBuf> {
    let out = Command::new("ldd").arg(binary).output().expect("run ldd");
    let text = String::from_utf8_lossy(&out.stdout);
    if text.contains("not a dynamic executable") || !out.status.success() {
        return Vec::new();
    }
    text.split_whitespace()
        .filter(|w| w.starts_with('/'))
        .map(PathBuf::from)
        .collect()
}

/// Copies `from` to `root`/`at` (following symlinks), making the directories.
fn put(root: &Path, from: &Path, at: &Path) {
    let to = root.join(at.strip_prefix("/").unwrap_or(at));
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, &to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
}

/// A word for the guest's shell, single-quoted.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Two distinct free TCP ports on 127.0.0.1 (free when asked: QEMU binds them right after).
fn free_ports() -> (u16, u16, u16) {
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = |l: &TcpListener| l.local_addr().unwrap().port();
    (port(&a), port(&b), port(&c))
}

/// Whether a GetSystemDateAndTime (no credentials needed) through the forward is answered.
/// Before the guest listens, the forward accepts and then closes: an empty answer.
fn soap_answers(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
    let xml = soap::envelope("", "<tds:GetSystemDateAndTime/>");
    let req = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/soap+xml\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{xml}",
        soap::DEVICE,
        xml.len()
    );
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw);
    raw.starts_with("HTTP/1.1 200") && raw.contains("GetSystemDateAndTimeResponse")
}

/// Starts QEMU on the kernel and archive, its console and errors into `dir`, forwarding
/// 127.0.0.1:`http` and 127.0.0.1:`rtsp` to the same ports in the guest.
fn qemu(
    dir: &tempfile::TempDir,
    image: &Path,
    cpio: &Path,
    (http, rtsp, shell): (u16, u16, u16),
) -> Child {
    let console = dir.path().join("console.log");
    let fwd = |p: u16| format!("hostfwd=tcp:127.0.0.1:{p}-:{p}");
    Command::new("qemu-system-x86_64")
        .args(["-accel", "tcg", "-nodefaults", "-no-user-config"])
        .args(["-display", "none", "-no-reboot"])
        .args(["-m", &MEMORY_MB.to_string(), "-smp", &CPUS.to_string()])
        .arg("-kernel")
        .arg(image)
        .arg("-initrd")
        .arg(cpio)
        .arg("-append")
        .arg(format!(
            "console=ttyS0 panic=-1 loglevel=3 VM_HTTP_PORT={http} VM_RTSP_PORT={rtsp} \
             VM_SHELL_PORT={shell}"
        ))
        .arg("-serial")
        .arg(format!("file:{}", console.display()))
        .arg("-netdev")
        .arg(format!(
            "user,id=n,{},{},{}",
            fwd(http),
            fwd(rtsp),
            fwd(shell)
        ))
        .args(["-device", "virtio-net-pci,netdev=n"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("qemu.err")).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("qemu-system-x86_64: {e}: {FIX}"))
}

impl Vm {
    /// Boots a VM running `binary` with `args` and `env`, and waits until it answers SOAP on
    /// the HTTP forward. In `args`, `{http_port}` and `{rtsp_port}` stand for the forwarded
    /// ports (the binary must listen on them in the guest).
    pub fn boot(binary: &Path, args: &[&str], env: &[(&str, &str)]) -> Vm {
        Vm::boot_with(binary, args, env, &Extras::default())
    }

    /// [`Vm::boot`] with `extras`: more modules loaded (after [`MODULES`], before the
    /// binary starts) and files under /opt.
    pub fn boot_with(binary: &Path, args: &[&str], env: &[(&str, &str)], extras: &Extras) -> Vm {
        let (image, tree) = kernel();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        for d in ["bin", "mod", "dev", "proc", "sys", "tmp", "state", "opt"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }

        // busybox-static has no libraries; a dynamic busybox would bring its own.
        let busybox = Path::new("/bin/busybox");
        assert!(busybox.exists(), "no /bin/busybox: {FIX}");
        put(&root, busybox, Path::new("/bin/busybox"));
        // A private copy: the binary at `binary` may be rebuilt while the VM boots.
        put(&root, binary, Path::new("/bin/target"));
        for lib in libraries(binary).into_iter().chain(libraries(busybox)) {
            put(&root, &lib, &lib);
        }
        for file in extras.files {
            let name = file
                .file_name()
                .unwrap_or_else(|| panic!("extra file {} has no name", file.display()));
            // (fs::copy keeps the mode: a binary stays executable.)
            put(&root, file, &Path::new("/opt").join(name));
            for lib in libraries(file) {
                put(&root, &lib, &lib);
            }
        }

        let mut insmod = String::new();
        let modules: Vec<(&str, &str)> = MODULES.iter().chain(extras.modules).copied().collect();
        for (path, params) in module_order(&tree, &modules) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let name = name.trim_end_matches(".xz").to_owned();
            let to = root.join("mod").join(&name);
            if path.extension().is_some_and(|e| e == "xz") {
                // busybox insmod takes plain modules; newer kernels ship them xz-compressed.
                let out = Command::new("xz").arg("-dc").arg(&path).output().unwrap();
                assert!(out.status.success(), "xz -d {}", path.display());
                std::fs::write(&to, out.stdout).unwrap();
            } else {
                std::fs::copy(&path, &to).unwrap();
            }
            insmod +=
                &format!("insmod /mod/{name} {params} || echo \"vm: insmod {name} failed\"\n");
        }

        // The ports reach /init as environment variables from the kernel command line (the
        // kernel hands init every `name=value` it does not know), so one archive serves
        // every attempt at a pair of free ports.
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                quote(a)
                    .replace("{http_port}", "'\"$VM_HTTP_PORT\"'")
                    .replace("{rtsp_port}", "'\"$VM_RTSP_PORT\"'")
            })
            .collect();
        let env: Vec<String> = env
            .iter()
            .map(|(k, v)| quote(&format!("{k}={v}")))
            .collect();
        // The binary's output through a pipe: on the serial console it would see a terminal
        // (and colour its log).
        let init = format!(
            "#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
{insmod}ip link set lo up; ip link set eth0 up
ip addr add {GUEST_IP}/24 dev eth0; ip route add default via {HOST_FROM_GUEST}
echo \"vm: $(ls /dev/video* | tr '\\n' ' ')up $(cut -d' ' -f1 /proc/uptime) s\"
nc -ll -p \"$VM_SHELL_PORT\" -e /bin/sh &
{{ env -i PATH=/bin {env} /bin/target {args}; echo \"vm: target exited $?\"; }} 2>&1 | cat
poweroff -f
",
            env = env.join(" "),
            args = args.join(" ")
        );
        let init_path = root.join("init");
        std::fs::write(&init_path, init).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&init_path, std::fs::Permissions::from_mode(0o755)).unwrap();

        // Uncompressed: the kernel unpacks a plain newc archive at once, while gunzip of a
        // debug binary under emulation costs seconds.
        let cpio = dir.path().join("initrd.cpio");
        let status = Command::new("sh")
            .arg("-c")
            .arg("cd root && find . | cpio -o -H newc --quiet > ../initrd.cpio")
            .current_dir(dir.path())
            .status()
            .expect("run sh");
        assert!(status.success(), "cpio failed: {FIX}");
        std::fs::remove_dir_all(&root).unwrap();

        // A port free when asked may be taken before QEMU binds it: then QEMU exits at once
        // and another pair is tried.
        let mut dir = Some(dir);
        for _ in 0..3 {
            let (http, rtsp, shell) = free_ports();
            let vm_dir = dir.take().unwrap();
            let qemu = qemu(&vm_dir, &image, &cpio, (http, rtsp, shell));
            let mut vm = Vm {
                qemu,
                dir: vm_dir,
                http,
                rtsp,
                shell,
                booted_in: Duration::ZERO,
            };
            match vm.wait_answering() {
                Ok(()) => return vm,
                Err(errors) if errors.contains("hostfwd") || errors.contains("forwarding") => {
                    dir = Some(std::mem::replace(&mut vm.dir, tempfile::tempdir().unwrap()));
                }
                // (The console follows: Vm's drop prints it.)
                Err(errors) => panic!("QEMU exited before the guest answered SOAP: {errors}"),
            }
        }
        panic!("QEMU could not forward three pairs of free ports");
    }

    /// Waits until the guest answers SOAP; QEMU's errors if it exited first.
    fn wait_answering(&mut self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.qemu.try_wait().unwrap() {
                return Err(format!("{status}: {}", self.qemu_errors()));
            }
            if soap_answers(self.http) {
                self.booted_in = started.elapsed();
                return Ok(());
            }
            assert!(
                started.elapsed() < BOOT,
                "no SOAP answer from the guest within {BOOT:?}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// The host port forwarded to the guest's HTTP port (the same number).
    pub fn http_port(&self) -> u16 {
        self.http
    }

    /// The host port forwarded to the guest's RTSP port (the same number).
    pub fn rtsp_port(&self) -> u16 {
        self.rtsp
    }

    /// From starting QEMU to the first SOAP answer.
    pub fn booted_in(&self) -> Duration {
        self.booted_in
    }

    /// The guest's serial console so far (kernel messages, /init, the binary's output).
    pub fn console(&self) -> String {
        let raw = std::fs::read(self.dir.path().join("console.log")).unwrap_or_default();
        String::from_utf8_lossy(&raw).replace('\r', "")
    }

    fn qemu_errors(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("qemu.err")).unwrap_or_default()
    }

    /// Runs `command` in a guest shell and returns its output (stdout and stderr) once it
    /// finished.
    pub fn guest(&self, command: &str) -> String {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.shell));
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("guest shell: {e}"));
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        writeln!(s, "{{ {command} ; }} 2>&1; exit").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out)
            .unwrap_or_else(|e| panic!("guest shell: {command}: {e}"));
        out
    }

    /// Whether QEMU still runs (the guest powers off when the binary exits).
    pub fn running(&mut self) -> bool {
        self.qemu.try_wait().unwrap().is_none()
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        // Child::kill signals QEMU's own pid (SIGKILL); the temp dir goes with `dir`.
        let _ = self.qemu.kill();
        let _ = self.qemu.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- guest console ---\n{}\n--- qemu stderr ---\n{}",
                self.console(),
                self.qemu_errors()
            );
        }
    }
}

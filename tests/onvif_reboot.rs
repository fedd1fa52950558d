//! SystemReboot through the real binary: the answer arrives, then the daemon stops cleanly and
//! starts again from its settings file (what a client set before the reboot is still there).

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use support::{Daemon, soap};

/// POSTs `body` to the device service as admin and returns the whole response.
fn admin_post(port: u16, body: &str) -> String {
    soap::call(port, soap::DEVICE, Some(("admin", "reboot-secret")), body).raw
}

#[test]
fn system_reboot_answers_then_restarts_with_settings_kept() {
    let state = support::temp_state();
    let mut nvt = Daemon::start(
        state.path(),
        &[],
        &[("NVT_ADMIN_PASSWORD", "reboot-secret")],
    );
    let port = nvt.http_port();
    let r = admin_post(
        port,
        "<tds:SetHostname><tds:Name>kept-after-reboot</tds:Name></tds:SetHostname>",
    );
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    // An idle keep-alive connection (as every HTTP client library keeps) must not hold the
    // restart up: it is closed when the daemon stops.
    let mut idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(idle, "POST /onvif/device_service HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\nContent-Length: 0\r\n\r\n").unwrap();
    let r = admin_post(port, "<tds:SystemReboot/>");
    assert!(
        r.starts_with("HTTP/1.1 200") && r.contains("SystemRebootResponse"),
        "{r}"
    );
    nvt.wait_for("restarting (SystemReboot)", Duration::from_secs(20));
    let line = nvt.wait_for("nvt running", Duration::from_secs(30));
    assert!(line.contains("nvt running"));
    // The ephemeral port chosen at the first start is kept across the restart.
    let again = nvt
        .seen
        .iter()
        .filter_map(|l| match l {
            support::Line::Out(s) | support::Line::Err(s) => s
                .contains("ONVIF device service at")
                .then(|| support::daemon::port_of(s)),
        })
        .collect::<Vec<_>>();
    assert_eq!(again, vec![port, port], "ports across the restart");
    let mut rest = Vec::new();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = idle.read_to_end(&mut rest);
    let r = admin_post(port, "<tds:GetHostname/>");
    assert!(r.contains("kept-after-reboot"), "{r}");
    nvt.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(nvt.wait_exit(Duration::from_secs(20)).success());
}

//! The SOAP endpoint in process: the real `Endpoint`, Device service and settings store, no
//! sockets, for tests that need what a socket hides (the throttle's delay returned instead of
//! slept, a clock that is not the host's, thousands of requests in a second).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use nvt::auth::UserLevel;
use nvt::onvif::device::{Device, DeviceHooks, Identity};
use nvt::onvif::endpoint::{DEVICE_PATH, Endpoint, HttpRequest, HttpResponse, Security};
use nvt::settings::{SettingsStore, User};

/// The loopback peer most requests come from.
pub const PEER: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Adds users `NAME` with password `NAME-pass` at their levels.
pub fn seed_users(store: &SettingsStore, users: &[(&str, UserLevel)]) {
    store
        .update(|s| {
            for &(u, level) in users {
                s.users.push(User {
                    username: u.into(),
                    password: format!("{u}-pass"),
                    level,
                });
            }
            Ok(())
        })
        .unwrap();
}

/// An endpoint serving the Device service of `store` (simulator identity, ports 8080/8554 as
/// a PC's defaults) behind `security`.
pub fn device(store: Arc<SettingsStore>, security: Security) -> Endpoint {
    let device = Device::new(
        store,
        Identity {
            manufacturer: "nvt".into(),
            model: "sim".into(),
            firmware_version: "test".into(),
            serial_number: "1".into(),
            hardware_id: "sim".into(),
        },
        DeviceHooks {
            reboot: Arc::new(|| {}),
            http_port: 8080,
            rtsp_port: 8554,
            bind: Ipv4Addr::LOCALHOST.into(),
            services: Vec::new(),
        },
    );
    Endpoint::new(security).route(DEVICE_PATH, nvt::onvif::generated::device::Service(device))
}

/// POSTs the envelope `body` to the device service from `peer`, as `Host: host`.
pub async fn post(
    e: &Endpoint,
    peer: IpAddr,
    host: &str,
    authorization: Option<&str>,
    body: &str,
) -> HttpResponse {
    e.handle(&HttpRequest {
        method: "POST",
        uri: DEVICE_PATH,
        authorization,
        host,
        peer,
        body: body.as_bytes(),
        accepts_gzip: true,
    })
    .await
}

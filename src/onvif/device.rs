//! The Device service (ONVIF Core s.8, `tds`), implementing the generated `DeviceService`
//! over the settings model and the host (interfaces, MACs, gateway, clock).
//!
//! Every Set* is translated into a `camera::Change` and run by the camera core (computed
//! from the current settings under the store's writer lock, persisted, and applied to the
//! host: discovery announcements, the restart on new ports), and the core's refusal back
//! into the fault ONVIF Core names. So no change is lost to another one running at the same
//! time (issue 14 item 10), and none blocks an async worker.
//!
//! Applied vs stored: the clock offset, time zone, scopes, discovery mode and users take
//! effect at once; hostname, NTP and DNS are stored and reported but not applied to the host
//! (a PC's network belongs to its owner); network protocol ports take effect with the restart
//! SetNetworkProtocols triggers (docs/soap.md).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::auth::UserLevel;
use crate::camera::change::{
    DateTimeRequest, NetworkError, ProtocolKind, ProtocolRequest, ProtocolsRequest, ScopesEdit,
    UserEdit, UserError, UsersChange,
};
use crate::camera::{Change, ChangeError, Core, Effects};
use crate::discovery::scopes::ScopeError;
use crate::host;
use crate::onvif::generated::{device::DeviceService, tds, tt};
use crate::onvif::rt::{RequestContext, ToXml};
use crate::settings::validate::{MAX_CREDENTIAL_LEN, PasswordError};
use crate::settings::{self, SettingsStore, timezone};
use crate::soap::{Code, Fault};
use crate::xml::xsd::{days_from_civil, utc_from_unix_ms};

pub(crate) use crate::settings::timezone::posix_tz_offset;
pub use crate::settings::validate::MAX_USERS;
pub(crate) use crate::settings::validate::MIN_PASSWORD_LEN;

/// Who the device says it is (GetDeviceInformation).
#[derive(Clone, Debug)]
pub struct Identity {
    pub manufacturer: String,
    pub model: String,
    pub firmware_version: String,
    pub serial_number: String,
    pub hardware_id: String,
}

/// Things the Device service asks of the daemon.
pub struct DeviceHooks {
    /// Called after SystemReboot has been answered: restart the daemon gracefully.
    pub reboot: Arc<dyn Fn() + Send + Sync>,
    pub http_port: u16,
    pub rtsp_port: u16,
    /// Address the servers listen on (a new port is test-bound there before it is accepted).
    pub bind: std::net::IpAddr,
    /// The other services, as GetServices and GetCapabilities list them.
    pub services: Vec<Arc<dyn crate::onvif::directory::Advertised>>,
}

pub struct Device {
    store: Arc<SettingsStore>,
    /// Every Set* goes through it.
    core: Arc<Core>,
    /// The relay operations (Core s.8.5) are DeviceIO's; None: a device without relays.
    deviceio: Option<crate::onvif::deviceio::DeviceIo>,
    identity: Identity,
    hooks: DeviceHooks,
}

/// Device clock in Unix ms: system clock plus the stored offset.
pub fn device_now_ms(store: &SettingsStore) -> i64 {
    system_now_ms() + store.get().time.clock_offset_secs.saturating_mul(1000)
}

fn system_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// AddScopes and RemoveScopes need at least one ScopeItem (devicemgmt.wsdl: minOccurs 1); an
/// empty request is a client error, not a successful no-op.
fn require_scope_items(items: &[String]) -> Result<(), Fault> {
    if items.is_empty() {
        return Err(Fault::invalid_arg_val(
            None,
            "at least one ScopeItem is required",
        ));
    }
    Ok(())
}

fn tt_datetime(ms: i64) -> tt::DateTime {
    let t = utc_from_unix_ms(ms);
    tt::DateTime {
        date: tt::Date {
            year: t.year as i32,
            month: t.month as i32,
            day: t.day as i32,
        },
        time: tt::Time {
            hour: t.hour as i32,
            minute: t.minute as i32,
            second: t.second as i32,
        },
    }
}

fn from_tt_datetime(d: &tt::DateTime) -> Option<i64> {
    let (y, mo, da) = (d.date.year as i64, d.date.month as i64, d.date.day as i64);
    let (h, mi, s) = (
        d.time.hour as i64,
        d.time.minute as i64,
        d.time.second as i64,
    );
    let dim = match mo {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if !(1970..=9999).contains(&y)
        || da < 1
        || da > dim
        || !(0..24).contains(&h)
        || !(0..60).contains(&mi)
        || !(0..61).contains(&s)
    {
        return None;
    }
    Some((days_from_civil(y, mo, da) * 86_400 + h * 3600 + mi * 60 + s.min(59)) * 1000)
}

fn level_to_tt(l: UserLevel) -> tt::UserLevel {
    match l {
        UserLevel::Administrator => tt::UserLevel::Administrator,
        UserLevel::Operator => tt::UserLevel::Operator,
        UserLevel::User => tt::UserLevel::User,
    }
}

fn level_from_tt(l: tt::UserLevel) -> Result<UserLevel, Fault> {
    match l {
        tt::UserLevel::Administrator => Ok(UserLevel::Administrator),
        tt::UserLevel::Operator => Ok(UserLevel::Operator),
        tt::UserLevel::User => Ok(UserLevel::User),
        tt::UserLevel::Anonymous => Err(Fault::operation_prohibited(
            "AnonymousNotAllowed",
            "the Anonymous level cannot be given to a user",
        )),
        tt::UserLevel::Extended => Err(Fault::invalid_arg_val(
            None,
            "Extended user level is not supported",
        )),
    }
}

/// The ONVIF Core fault of a refused change (s.8.4 users, s.8.2 network, s.8.3 scopes).
fn change_fault(e: ChangeError) -> Fault {
    use Fault as F;
    match e {
        ChangeError::User(u) => match u {
            UserError::UsernameTooLong => {
                F::operation_prohibited("UsernameTooLong", "user name too long")
            }
            UserError::BadUsername(r) => Fault::invalid_arg_val(None, r),
            UserError::Password(PasswordError::TooLong) => {
                F::operation_prohibited("PasswordTooLong", "password too long")
            }
            UserError::Password(PasswordError::TooWeak) => F::operation_prohibited(
                "PasswordTooWeak",
                format!("passwords need at least {MIN_PASSWORD_LEN} printable characters"),
            ),
            UserError::PasswordMissing => {
                F::operation_prohibited("PasswordTooWeak", "a password is required")
            }
            UserError::Clash(name) => F::operation_prohibited(
                "UsernameClash",
                format!("user {name:?} exists or is given twice"),
            ),
            UserError::TooMany => Fault::action("TooManyUsers", "too many users"),
            UserError::Missing(_) => {
                Fault::invalid_arg_val(Some("UsernameMissing"), "no such user")
            }
            UserError::LastAdmin => Fault::invalid_arg_val(
                Some("FixedUser"),
                "the last administrator cannot be removed or demoted",
            ),
        },
        ChangeError::Scope(e) => match e {
            ScopeError::Fixed => {
                F::operation_prohibited("ScopeOverwrite", "fixed scopes cannot be changed")
            }
            ScopeError::NotFound => F::invalid_arg_val(Some("NoScope"), "scope not found"),
            ScopeError::TooMany => F::action(
                "TooManyScopes",
                format!(
                    "at most {} configurable scopes",
                    crate::discovery::limits::MAX_CONFIGURABLE_SCOPES
                ),
            ),
            ScopeError::TooLong => F::action("TooManyScopes", ScopeError::TooLong.to_string()),
            ScopeError::Invalid => F::invalid_arg_val(
                None,
                format!(
                    "a scope is an absolute URI without spaces, at most {} bytes",
                    crate::discovery::limits::MAX_SCOPE_LEN
                ),
            ),
        },
        ChangeError::Network(e) => match e {
            NetworkError::InvalidHostname => {
                F::invalid_arg_val(Some("InvalidHostname"), "invalid host name")
            }
            NetworkError::InvalidPort => F::invalid_arg_val(Some("InvalidPort"), e.to_string()),
            NetworkError::ServiceNotSupported(r) => {
                F::invalid_arg_val(Some("ServiceNotSupported"), r)
            }
            NetworkError::PortInUse(r) => F::invalid_arg_val(Some("PortAlreadyInUse"), r),
        },
        ChangeError::Invalid(r) => Fault::invalid_arg_val(None, r),
        e => Fault::new(Code::Receiver, &["Action"], e.to_string()),
    }
}

fn network_host(s: &str) -> tt::NetworkHost {
    let mut h = tt::NetworkHost::default();
    if s.parse::<std::net::Ipv4Addr>().is_ok() {
        h.type_ = tt::NetworkHostType::IPv4;
        h.ipv4_address = Some(s.to_owned());
    } else if s.parse::<std::net::Ipv6Addr>().is_ok() {
        h.type_ = tt::NetworkHostType::IPv6;
        h.ipv6_address = Some(s.to_owned());
    } else {
        h.type_ = tt::NetworkHostType::DNS;
        h.dns_name = Some(s.to_owned());
    }
    h
}

fn ip_address(s: &str) -> tt::IPAddress {
    let mut a = tt::IPAddress::default();
    if s.parse::<std::net::Ipv6Addr>().is_ok() {
        a.type_ = tt::IPType::IPv6;
        a.ipv6_address = Some(s.to_owned());
    } else {
        a.type_ = tt::IPType::IPv4;
        a.ipv4_address = Some(s.to_owned());
    }
    a
}

impl Device {
    /// A Device service over `store`, with a camera core of its own (no hardware; restarts
    /// through `hooks.reboot`). The daemon shares its core with [`Device::with_core`];
    /// either way the store's writer lock serialises every change.
    pub fn new(store: Arc<SettingsStore>, identity: Identity, hooks: DeviceHooks) -> Self {
        let effects = Effects {
            discovery_changed: None,
            restart: Some(hooks.reboot.clone()),
        };
        Device {
            core: Arc::new(Core::new(store.clone()).with_effects(effects)),
            deviceio: None,
            store,
            identity,
            hooks,
        }
    }

    /// Runs every change through `core` (the daemon's, over the same store, with the
    /// discovery responder and the restart attached).
    pub(crate) fn with_core(mut self, core: Arc<Core>) -> Self {
        self.core = core;
        self
    }

    /// The relay operations answer with DeviceIO's relays.
    pub(crate) fn with_deviceio(mut self, deviceio: crate::onvif::deviceio::DeviceIo) -> Self {
        self.deviceio = Some(deviceio);
        self
    }

    fn xaddr(&self, ctx: &RequestContext) -> String {
        format!("http://{}{}", ctx.host, crate::onvif::endpoint::DEVICE_PATH)
    }

    fn fixed_scopes(&self) -> Vec<String> {
        crate::discovery::scopes::fixed(&self.identity.model, &host::primary_mac())
    }

    /// Runs `change` through the camera core; a refusal becomes its ONVIF fault.
    async fn change(&self, change: Change) -> Result<(), Fault> {
        self.core
            .apply(change)
            .await
            .map(|_| ())
            .map_err(change_fault)
    }

    /// A scope edit through the camera core (WS-Discovery announces a real change: its
    /// MetadataVersion was bumped).
    async fn edit_scopes(&self, edit: ScopesEdit) -> Result<(), Fault> {
        let fixed = self.fixed_scopes();
        self.change(Change::Scopes { fixed, edit }).await
    }

    fn service_capabilities(&self) -> tds::DeviceServiceCapabilities {
        tds::DeviceServiceCapabilities {
            network: tds::NetworkCapabilities {
                ip_filter: Some(false),
                zero_configuration: Some(false),
                ip_version6: Some(false),
                dyn_dns: Some(false),
                hostname_from_dhcp: Some(false),
                ..Default::default()
            },
            security: tds::SecurityCapabilities {
                username_token: Some(true),
                http_digest: Some(true),
                default_access_policy: Some(true),
                max_users: Some(MAX_USERS as i32),
                max_user_name_length: Some(MAX_CREDENTIAL_LEN as i32),
                max_password_length: Some(MAX_CREDENTIAL_LEN as i32),
                ..Default::default()
            },
            system: tds::SystemCapabilities {
                discovery_resolve: Some(true),
                discovery_bye: Some(true),
                remote_discovery: Some(false),
                system_backup: Some(false),
                system_logging: Some(false),
                http_firmware_upgrade: Some(false),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn device_capabilities(&self, ctx: &RequestContext) -> tt::DeviceCapabilities {
        tt::DeviceCapabilities {
            x_addr: self.xaddr(ctx),
            network: Some(tt::NetworkCapabilities {
                ip_filter: Some(false),
                zero_configuration: Some(false),
                ip_version6: Some(false),
                dyn_dns: Some(false),
                ..Default::default()
            }),
            system: Some(tt::SystemCapabilities {
                discovery_resolve: true,
                discovery_bye: true,
                remote_discovery: false,
                system_backup: false,
                system_logging: false,
                firmware_upgrade: false,
                supported_versions: vec![tt::OnvifVersion {
                    major: 2,
                    minor: 60,
                }],
                ..Default::default()
            }),
            io: Some({
                let (inputs, relays) = self.deviceio.as_ref().map_or((0, 0), |d| d.counts());
                tt::IOCapabilities {
                    input_connectors: Some(inputs as i32),
                    relay_outputs: Some(relays as i32),
                    ..Default::default()
                }
            }),
            security: Some(tt::SecurityCapabilities::default()),
            ..Default::default()
        }
    }
}

impl DeviceService for Device {
    async fn get_wsdl_url(
        &self,
        _: &RequestContext,
        _: tds::GetWsdlUrl,
    ) -> Result<tds::GetWsdlUrlResponse, Fault> {
        Ok(tds::GetWsdlUrlResponse {
            wsdl_url: "http://www.onvif.org/Documents/Specifications.aspx".into(),
        })
    }

    async fn get_services(
        &self,
        ctx: &RequestContext,
        req: tds::GetServices,
    ) -> Result<tds::GetServicesResponse, Fault> {
        let version = tt::OnvifVersion {
            major: 2,
            minor: 60,
        };
        let caps = |write: &dyn Fn(&mut crate::xml::XmlWriter)| {
            req.include_capability
                .then(|| crate::onvif::directory::service_capabilities(|w| write(w)))
                .transpose()
        };
        let mut service = vec![tds::Service {
            namespace: crate::onvif::generated::device::NAMESPACE.into(),
            x_addr: self.xaddr(ctx),
            capabilities: caps(&|w| self.service_capabilities().to_xml(w, "tds:Capabilities"))?,
            version,
            ..Default::default()
        }];
        for s in &self.hooks.services {
            service.push(tds::Service {
                namespace: s.namespace().into(),
                x_addr: format!("http://{}{}", ctx.host, s.path()),
                capabilities: caps(&|w| s.write_capabilities(w))?,
                version: s.version(),
                ..Default::default()
            });
        }
        Ok(tds::GetServicesResponse { service })
    }

    async fn get_service_capabilities(
        &self,
        _: &RequestContext,
        _: tds::GetServiceCapabilities,
    ) -> Result<tds::GetServiceCapabilitiesResponse, Fault> {
        Ok(tds::GetServiceCapabilitiesResponse {
            capabilities: self.service_capabilities(),
        })
    }

    async fn get_capabilities(
        &self,
        ctx: &RequestContext,
        req: tds::GetCapabilities,
    ) -> Result<tds::GetCapabilitiesResponse, Fault> {
        use tt::CapabilityCategory as C;
        let all = req.category.is_empty() || req.category.contains(&C::All);
        let mut capabilities = tt::Capabilities::default();
        if all || req.category.contains(&C::Device) {
            capabilities.device = Some(self.device_capabilities(ctx));
        }
        for cat in &req.category {
            if !matches!(cat, C::All | C::Device)
                && !self.hooks.services.iter().any(|s| s.category() == *cat)
            {
                // Asking for a category names a service this device does not have (ONVIF
                // Core s.8.1.2.2).
                return Err(Fault::new(
                    Code::Receiver,
                    &["ActionNotSupported", "NoSuchService"],
                    "no such service",
                ));
            }
        }
        for s in &self.hooks.services {
            if all || req.category.contains(&s.category()) {
                s.fill_capabilities(
                    &mut capabilities,
                    &format!("http://{}{}", ctx.host, s.path()),
                );
            }
        }
        Ok(tds::GetCapabilitiesResponse { capabilities })
    }

    async fn get_hostname(
        &self,
        _: &RequestContext,
        _: tds::GetHostname,
    ) -> Result<tds::GetHostnameResponse, Fault> {
        let name = self
            .store
            .get()
            .network
            .hostname
            .clone()
            .unwrap_or_else(host::hostname);
        Ok(tds::GetHostnameResponse {
            hostname_information: tt::HostnameInformation {
                from_dhcp: false,
                name: Some(name),
                ..Default::default()
            },
        })
    }

    async fn set_hostname(
        &self,
        _: &RequestContext,
        req: tds::SetHostname,
    ) -> Result<tds::SetHostnameResponse, Fault> {
        self.change(Change::Hostname(req.name)).await?;
        Ok(tds::SetHostnameResponse::default())
    }

    async fn get_system_date_and_time(
        &self,
        _: &RequestContext,
        _: tds::GetSystemDateAndTime,
    ) -> Result<tds::GetSystemDateAndTimeResponse, Fault> {
        let s = self.store.get();
        let now = device_now_ms(&self.store);
        let local = now + posix_tz_offset(&s.time.timezone).unwrap_or(0) * 1000;
        Ok(tds::GetSystemDateAndTimeResponse {
            system_date_and_time: tt::SystemDateTime {
                date_time_type: match s.time.date_time_type {
                    settings::DateTimeType::Manual => tt::SetDateTimeType::Manual,
                    settings::DateTimeType::Ntp => tt::SetDateTimeType::NTP,
                },
                daylight_savings: s.time.daylight_savings,
                time_zone: Some(tt::TimeZone {
                    tz: s.time.timezone.clone(),
                }),
                utc_date_time: Some(tt_datetime(now)),
                local_date_time: Some(tt_datetime(local)),
                ..Default::default()
            },
        })
    }

    async fn set_system_date_and_time(
        &self,
        _: &RequestContext,
        req: tds::SetSystemDateAndTime,
    ) -> Result<tds::SetSystemDateAndTimeResponse, Fault> {
        // A POSIX TZ string, or a zone name clients send first (UTC, CET, Europe/Berlin),
        // resolved to one (settings::timezone); what nothing can interpret is refused.
        let timezone = match &req.time_zone {
            Some(tz) => Some(
                timezone::resolve(&tz.tz)
                    .map_err(|e| Fault::invalid_arg_val(Some("InvalidTimeZone"), e.to_string()))?,
            ),
            None => None,
        };
        let utc_unix_ms = match (&req.date_time_type, &req.utc_date_time) {
            (tt::SetDateTimeType::Manual, Some(d)) => {
                Some(from_tt_datetime(d).ok_or_else(|| {
                    Fault::invalid_arg_val(Some("InvalidDateTime"), "invalid date or time")
                })?)
            }
            _ => None,
        };
        self.change(Change::DateTime(DateTimeRequest {
            kind: match req.date_time_type {
                tt::SetDateTimeType::Manual => settings::DateTimeType::Manual,
                tt::SetDateTimeType::NTP => settings::DateTimeType::Ntp,
            },
            daylight_savings: req.daylight_savings,
            timezone,
            utc_unix_ms,
        }))
        .await?;
        Ok(tds::SetSystemDateAndTimeResponse::default())
    }

    async fn get_device_information(
        &self,
        _: &RequestContext,
        _: tds::GetDeviceInformation,
    ) -> Result<tds::GetDeviceInformationResponse, Fault> {
        let i = &self.identity;
        Ok(tds::GetDeviceInformationResponse {
            manufacturer: i.manufacturer.clone(),
            model: i.model.clone(),
            firmware_version: i.firmware_version.clone(),
            serial_number: i.serial_number.clone(),
            hardware_id: i.hardware_id.clone(),
        })
    }

    async fn get_endpoint_reference(
        &self,
        _: &RequestContext,
        _: tds::GetEndpointReference,
    ) -> Result<tds::GetEndpointReferenceResponse, Fault> {
        Ok(tds::GetEndpointReferenceResponse {
            guid: host::endpoint_reference(&host::primary_mac()),
            ..Default::default()
        })
    }

    async fn get_scopes(
        &self,
        _: &RequestContext,
        _: tds::GetScopes,
    ) -> Result<tds::GetScopesResponse, Fault> {
        let mut scopes: Vec<tt::Scope> = self
            .fixed_scopes()
            .into_iter()
            .map(|s| tt::Scope {
                scope_def: tt::ScopeDefinition::Fixed,
                scope_item: s,
            })
            .collect();
        for s in crate::discovery::scopes::configurable(&self.store.get()) {
            scopes.push(tt::Scope {
                scope_def: tt::ScopeDefinition::Configurable,
                scope_item: s,
            });
        }
        Ok(tds::GetScopesResponse { scopes })
    }

    async fn set_scopes(
        &self,
        _: &RequestContext,
        req: tds::SetScopes,
    ) -> Result<tds::SetScopesResponse, Fault> {
        self.edit_scopes(ScopesEdit::Set(req.scopes)).await?;
        Ok(tds::SetScopesResponse::default())
    }

    async fn add_scopes(
        &self,
        _: &RequestContext,
        req: tds::AddScopes,
    ) -> Result<tds::AddScopesResponse, Fault> {
        require_scope_items(&req.scope_item)?;
        self.edit_scopes(ScopesEdit::Add(req.scope_item)).await?;
        Ok(tds::AddScopesResponse::default())
    }

    async fn remove_scopes(
        &self,
        _: &RequestContext,
        req: tds::RemoveScopes,
    ) -> Result<tds::RemoveScopesResponse, Fault> {
        require_scope_items(&req.scope_item)?;
        let fixed = self.fixed_scopes();
        if req.scope_item.iter().any(|s| fixed.contains(s)) {
            return Err(Fault::operation_prohibited(
                "FixedScope",
                "fixed scopes cannot be removed",
            ));
        }
        self.edit_scopes(ScopesEdit::Remove(req.scope_item.clone()))
            .await?;
        Ok(tds::RemoveScopesResponse {
            scope_item: req.scope_item,
        })
    }

    async fn get_network_interfaces(
        &self,
        _: &RequestContext,
        _: tds::GetNetworkInterfaces,
    ) -> Result<tds::GetNetworkInterfacesResponse, Fault> {
        // The identity's interface first: Home Assistant takes the first enabled one's MAC
        // as the device's, and it should be the MAC the EPR and the mac scope come from.
        let network_interfaces = host::interfaces_identity_first()
            .into_iter()
            .map(|i| tt::NetworkInterface {
                token: i.name.clone(),
                // The real state: a down interface is not one a client can reach the device
                // on, and its MAC must not become the device's.
                enabled: i.up,
                info: Some(tt::NetworkInterfaceInfo {
                    name: Some(i.name.clone()),
                    hw_address: i.mac.clone(),
                    mtu: i.mtu.map(|m| m as i32),
                }),
                ipv4: Some(tt::IPv4NetworkInterface {
                    enabled: !i.ipv4.is_empty(),
                    config: tt::IPv4Configuration {
                        manual: i
                            .ipv4
                            .iter()
                            .map(|(a, p)| tt::PrefixedIPv4Address {
                                address: a.to_string(),
                                prefix_length: *p as i32,
                            })
                            .collect(),
                        dhcp: false,
                        ..Default::default()
                    },
                }),
                ..Default::default()
            })
            .collect();
        Ok(tds::GetNetworkInterfacesResponse { network_interfaces })
    }

    async fn get_network_default_gateway(
        &self,
        _: &RequestContext,
        _: tds::GetNetworkDefaultGateway,
    ) -> Result<tds::GetNetworkDefaultGatewayResponse, Fault> {
        let stored = self.store.get().network.default_gateway.clone();
        let gws: Vec<String> = if stored.is_empty() {
            host::default_gateways()
                .iter()
                .map(|g| g.to_string())
                .collect()
        } else {
            stored
        };
        Ok(tds::GetNetworkDefaultGatewayResponse {
            network_gateway: tt::NetworkGateway {
                ipv4_address: gws,
                ..Default::default()
            },
        })
    }

    async fn get_dns(
        &self,
        _: &RequestContext,
        _: tds::GetDNS,
    ) -> Result<tds::GetDNSResponse, Fault> {
        let d = self.store.get().network.dns.clone();
        Ok(tds::GetDNSResponse {
            dns_information: tt::DNSInformation {
                from_dhcp: d.from_dhcp,
                search_domain: d.search_domains,
                dns_manual: d.servers.iter().map(|s| ip_address(s)).collect(),
                ..Default::default()
            },
        })
    }

    async fn get_ntp(
        &self,
        _: &RequestContext,
        _: tds::GetNTP,
    ) -> Result<tds::GetNTPResponse, Fault> {
        let n = self.store.get().network.ntp.clone();
        Ok(tds::GetNTPResponse {
            ntp_information: tt::NTPInformation {
                from_dhcp: n.from_dhcp,
                ntp_manual: n.servers.iter().map(|s| network_host(s)).collect(),
                ..Default::default()
            },
        })
    }

    async fn set_ntp(
        &self,
        _: &RequestContext,
        req: tds::SetNTP,
    ) -> Result<tds::SetNTPResponse, Fault> {
        let servers = req
            .ntp_manual
            .iter()
            .map(ntp_server)
            .collect::<Result<Vec<_>, _>>()?;
        self.change(Change::Ntp {
            from_dhcp: req.from_dhcp,
            servers,
        })
        .await?;
        Ok(tds::SetNTPResponse::default())
    }

    async fn get_network_protocols(
        &self,
        _: &RequestContext,
        _: tds::GetNetworkProtocols,
    ) -> Result<tds::GetNetworkProtocolsResponse, Fault> {
        Ok(tds::GetNetworkProtocolsResponse {
            network_protocols: self.protocols(),
        })
    }

    async fn set_network_protocols(
        &self,
        _: &RequestContext,
        req: tds::SetNetworkProtocols,
    ) -> Result<tds::SetNetworkProtocolsResponse, Fault> {
        // Merged with the current protocols, checked, port-probed, persisted and followed by
        // a restart on the new ports (after this answer) by the camera core.
        let protocols = req
            .network_protocols
            .iter()
            .map(|p| ProtocolRequest {
                kind: match p.name {
                    tt::NetworkProtocolType::HTTP => ProtocolKind::Http,
                    tt::NetworkProtocolType::RTSP => ProtocolKind::Rtsp,
                    ref other => ProtocolKind::Other(format!("{other:?}")),
                },
                enabled: p.enabled,
                ports: p.port.clone(),
            })
            .collect();
        self.change(Change::NetworkProtocols(ProtocolsRequest {
            protocols,
            running_http: self.hooks.http_port,
            running_rtsp: self.hooks.rtsp_port,
            bind: self.hooks.bind,
        }))
        .await?;
        Ok(tds::SetNetworkProtocolsResponse::default())
    }

    async fn get_discovery_mode(
        &self,
        _: &RequestContext,
        _: tds::GetDiscoveryMode,
    ) -> Result<tds::GetDiscoveryModeResponse, Fault> {
        let m = match self.store.get().discovery.mode {
            settings::DiscoveryMode::Discoverable => tt::DiscoveryMode::Discoverable,
            settings::DiscoveryMode::NonDiscoverable => tt::DiscoveryMode::NonDiscoverable,
        };
        Ok(tds::GetDiscoveryModeResponse { discovery_mode: m })
    }

    async fn set_discovery_mode(
        &self,
        _: &RequestContext,
        req: tds::SetDiscoveryMode,
    ) -> Result<tds::SetDiscoveryModeResponse, Fault> {
        self.change(Change::DiscoveryMode(match req.discovery_mode {
            tt::DiscoveryMode::Discoverable => settings::DiscoveryMode::Discoverable,
            tt::DiscoveryMode::NonDiscoverable => settings::DiscoveryMode::NonDiscoverable,
        }))
        .await?;
        Ok(tds::SetDiscoveryModeResponse::default())
    }

    async fn get_users(
        &self,
        _: &RequestContext,
        _: tds::GetUsers,
    ) -> Result<tds::GetUsersResponse, Fault> {
        // Passwords are never returned (Core: "the password is not included").
        let user = self
            .store
            .get()
            .users
            .iter()
            .map(|u| tt::User {
                username: u.username.clone(),
                password: None,
                user_level: level_to_tt(u.level),
                ..Default::default()
            })
            .collect();
        Ok(tds::GetUsersResponse { user })
    }

    async fn create_users(
        &self,
        _: &RequestContext,
        req: tds::CreateUsers,
    ) -> Result<tds::CreateUsersResponse, Fault> {
        let mut new = Vec::new();
        for u in req.user {
            let level = level_from_tt(u.user_level)?;
            let Some(password) = u.password else {
                return Err(change_fault(UserError::PasswordMissing.into()));
            };
            new.push(settings::User {
                username: u.username,
                password,
                level,
            });
        }
        self.change_users(UsersChange::Create(new)).await?;
        Ok(tds::CreateUsersResponse::default())
    }

    async fn delete_users(
        &self,
        _: &RequestContext,
        req: tds::DeleteUsers,
    ) -> Result<tds::DeleteUsersResponse, Fault> {
        self.change_users(UsersChange::Delete(req.username)).await?;
        Ok(tds::DeleteUsersResponse::default())
    }

    async fn set_user(
        &self,
        _: &RequestContext,
        req: tds::SetUser,
    ) -> Result<tds::SetUserResponse, Fault> {
        let mut edits = Vec::new();
        for u in req.user {
            edits.push(UserEdit {
                level: level_from_tt(u.user_level)?,
                username: u.username,
                password: u.password,
            });
        }
        self.change_users(UsersChange::Set(edits)).await?;
        Ok(tds::SetUserResponse::default())
    }

    async fn system_reboot(
        &self,
        _: &RequestContext,
        _: tds::SystemReboot,
    ) -> Result<tds::SystemRebootResponse, Fault> {
        self.restart_after_answer();
        Ok(tds::SystemRebootResponse {
            message: "Restarting in 1 second".into(),
        })
    }

    async fn set_system_factory_default(
        &self,
        _: &RequestContext,
        req: tds::SetSystemFactoryDefault,
    ) -> Result<tds::SetSystemFactoryDefaultResponse, Fault> {
        let _ = req.factory_default;
        // Every setting but the users back to its default, then a restart on them (the
        // camera core: Change::FactoryDefault).
        self.change(Change::FactoryDefault).await?;
        Ok(tds::SetSystemFactoryDefaultResponse::default())
    }

    // Core s.8.5 "Input/Output", kept for backward compatibility: DeviceIO's operations.

    async fn get_relay_outputs(
        &self,
        _: &RequestContext,
        _: tds::GetRelayOutputs,
    ) -> Result<tds::GetRelayOutputsResponse, Fault> {
        Ok(tds::GetRelayOutputsResponse {
            relay_outputs: self
                .deviceio
                .as_ref()
                .map(|d| d.relay_outputs())
                .unwrap_or_default(),
        })
    }

    async fn set_relay_output_settings(
        &self,
        _: &RequestContext,
        req: tds::SetRelayOutputSettings,
    ) -> Result<tds::SetRelayOutputSettingsResponse, Fault> {
        let Some(d) = &self.deviceio else {
            return Err(no_relay(&req.relay_output_token));
        };
        d.set_relay_settings(&req.relay_output_token, &req.properties)
            .await?;
        Ok(tds::SetRelayOutputSettingsResponse::default())
    }

    async fn set_relay_output_state(
        &self,
        _: &RequestContext,
        req: tds::SetRelayOutputState,
    ) -> Result<tds::SetRelayOutputStateResponse, Fault> {
        let Some(d) = &self.deviceio else {
            return Err(no_relay(&req.relay_output_token));
        };
        d.set_relay_state(&req.relay_output_token, req.logical_state)
            .await?;
        Ok(tds::SetRelayOutputStateResponse::default())
    }
}

/// A relay operation on a device without relays: the token is unknown (Core s.8.5).
fn no_relay(token: &str) -> Fault {
    Fault::invalid_arg_val(Some("RelayToken"), format!("no relay output {token:?}"))
}

impl Device {
    /// A users change through the camera core (computed from the current users under the
    /// settings writer lock, so concurrent CreateUsers/DeleteUsers/SetUser never lose one
    /// another, and the last administrator is never removed).
    async fn change_users(&self, change: UsersChange) -> Result<(), Fault> {
        self.change(Change::Users(change)).await
    }

    /// Restarts the daemon a moment from now, so the response reaches the client first.
    fn restart_after_answer(&self) {
        crate::camera::core::after_answer(self.hooks.reboot.clone());
    }

    /// HTTP and RTSP as they run now (HTTPS is not offered, so not listed). A port set with
    /// SetNetworkProtocols shows at once, although it takes effect with the restart that
    /// follows.
    fn protocols(&self) -> Vec<tt::NetworkProtocol> {
        let p = self.store.get().network.protocols.clone();
        vec![
            tt::NetworkProtocol {
                name: tt::NetworkProtocolType::HTTP,
                enabled: true,
                port: vec![i32::from(p.http_port.unwrap_or(self.hooks.http_port))],
                ..Default::default()
            },
            tt::NetworkProtocol {
                name: tt::NetworkProtocolType::RTSP,
                enabled: p.rtsp_enabled,
                port: vec![i32::from(p.rtsp_port.unwrap_or(self.hooks.rtsp_port))],
                ..Default::default()
            },
        ]
    }
}

/// An NTP server of SetNTP, checked by its declared type (ONVIF Core 8.2.? SetNTP faults:
/// InvalidIPv4Address, InvalidIPv6Address, InvalidDnsName).
fn ntp_server(h: &tt::NetworkHost) -> Result<String, Fault> {
    match h.type_ {
        tt::NetworkHostType::IPv4 => h
            .ipv4_address
            .as_deref()
            .and_then(|a| a.parse::<std::net::Ipv4Addr>().ok())
            .map(|a| a.to_string())
            .ok_or_else(|| {
                Fault::invalid_arg_val(Some("InvalidIPv4Address"), "invalid IPv4 address")
            }),
        tt::NetworkHostType::IPv6 => h
            .ipv6_address
            .as_deref()
            .and_then(|a| a.parse::<std::net::Ipv6Addr>().ok())
            .map(|a| a.to_string())
            .ok_or_else(|| {
                Fault::invalid_arg_val(Some("InvalidIPv6Address"), "invalid IPv6 address")
            }),
        tt::NetworkHostType::DNS => h
            .dns_name
            .as_deref()
            .filter(|n| valid_dns_name(n))
            .map(str::to_owned)
            .ok_or_else(|| Fault::invalid_arg_val(Some("InvalidDnsName"), "invalid DNS name")),
    }
}

/// RFC 1123 host name: labels of letters, digits and '-', not starting or ending with '-',
/// at most 63 octets each and 253 in all.
fn valid_dns_name(n: &str) -> bool {
    let n = n.strip_suffix('.').unwrap_or(n);
    !n.is_empty()
        && n.len() <= 253
        && n.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_conversions() {
        let ms = 1_795_323_741_000;
        assert_eq!(from_tt_datetime(&tt_datetime(ms)), Some(ms));
        let mut bad = tt_datetime(ms);
        bad.date.month = 13;
        assert_eq!(from_tt_datetime(&bad), None);
    }
}

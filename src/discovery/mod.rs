//! WS-Discovery (2005/04, as ONVIF Core s.7 requires): the thin tokio shell around the
//! sans-IO [`responder`]. See `docs/discovery.md`.
//!
//! - `message`: parse a datagram, write ProbeMatches/ResolveMatches/Hello/Bye.
//! - `matcher`: Types (QName by namespace URI) and Scopes (URI prefix, strcmp0) matching.
//! - `scopes`: the device's fixed and configurable scopes (shared with the Device service).
//! - `limits`: every bound, and the repeat filter.
//! - `budget`: the reply budget, shared out fairly between the addresses asking.
//! - `responder`: the decisions; this module only moves bytes, timers and interfaces.
//!
//! Sockets: one IPv4 socket on 0.0.0.0:3702 (SO_REUSEADDR, so another WS-Discovery stack on
//! the host can coexist) joined to 239.255.255.250 on every up interface by index, and, where
//! the host has IPv6, one IPv6-only socket on [::]:3702 joined to FF02::C on the same
//! interfaces. `IP_PKTINFO`/`IPV6_RECVPKTINFO` tell which interface a datagram came in on:
//! the on-link check and the XAddrs depend on it. Interfaces are re-scanned every
//! [`RESCAN_INTERVAL`](limits::RESCAN_INTERVAL); a new interface or a changed address joins
//! the group there and sends a Hello.

pub mod budget;
pub mod limits;
pub mod matcher;
pub mod message;
pub mod responder;
pub mod scopes;

use std::collections::BTreeMap;
use std::io::IoSliceMut;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, SockRef, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::{Notify, oneshot};

use crate::host;
use crate::settings::{DiscoveryMode, SettingsStore};
use responder::{Advertised, Dest, Iface, Responder};

/// The WS-Discovery port and groups (SOAP-over-UDP s.3.1, WS-Discovery 2005/04 s.2.4).
pub const PORT: u16 = 3702;
pub(crate) const GROUP_V4: Ipv4Addr = Ipv4Addr::new(239, 255, 255, 250);
pub(crate) const GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0xc);

/// What the responder needs from the daemon.
#[derive(Clone, Debug)]
pub struct Params {
    /// The daemon's `--bind` address: XAddrs name only interfaces that serve it.
    pub bind: IpAddr,
    /// The port the device service really listens on.
    pub http_port: u16,
    /// `hardware/<model>` scope.
    pub model: String,
    /// The device service's path, in every XAddr (the ONVIF layer above owns its routes).
    pub device_path: String,
}

/// A running responder. [`stop`](Self::stop) sends Bye; dropping it just stops.
pub struct Discovery {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Discovery {
    /// Binds the sockets, joins the groups, sends Hello and serves until stopped. `changed`
    /// is notified after any scope or discovery-mode change (the settings are re-read).
    pub async fn start(
        store: Arc<SettingsStore>,
        params: Params,
        changed: Arc<Notify>,
    ) -> anyhow::Result<Discovery> {
        let v4 = Arc::new(bind_v4().context("binding WS-Discovery to 0.0.0.0:3702")?);
        let v6 = match bind_v6() {
            Ok(s) => Some(Arc::new(s)),
            Err(e) => {
                tracing::info!(error = %e, "WS-Discovery over IPv6 unavailable");
                None
            }
        };
        let mac = host::primary_mac();
        let fixed = scopes::fixed(&params.model, &mac);
        let responder = Responder::new(
            host::endpoint_reference(&mac),
            advertised(&store, &fixed),
            next_instance_id(),
            Instant::now(),
        );
        tracing::info!(epr = %responder.epr(), "WS-Discovery on UDP {PORT}");
        let (stop_tx, stop_rx) = oneshot::channel();
        let shell = Shell {
            v4,
            v6,
            store,
            params,
            fixed,
            responder,
            ifaces: BTreeMap::new(),
        };
        let task = tokio::spawn(shell.run(changed, stop_rx));
        Ok(Discovery {
            stop: Some(stop_tx),
            task,
        })
    }

    /// Sends Bye (when discoverable) and stops.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if tokio::time::timeout(Duration::from_secs(5), &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }
}

impl Drop for Discovery {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// InstanceId of a new responder: the Unix time in seconds, and always more than the last
/// one of this process (a SystemReboot restarts within the same second).
fn next_instance_id() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(1);
    let prev = LAST
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
            Some(now.max(last + 1))
        })
        .unwrap_or(0);
    now.max(prev + 1)
}

/// What the settings say to advertise.
fn advertised(store: &SettingsStore, fixed: &[String]) -> Advertised {
    let s = store.get();
    let mut list: Vec<String> = fixed.to_vec();
    // A hand-edited settings file could hold a scope with whitespace, which would split in
    // the space-separated list: leave such a scope out. It (or an older version) could also
    // hold more than Set/AddScopes accept: only the first scopes within the bound are
    // advertised, so replies stay within the amplification bound for real Probes.
    let mut bytes = 0;
    for x in scopes::configurable(&s)
        .into_iter()
        .filter(|x| !x.is_empty() && !x.chars().any(char::is_whitespace))
    {
        bytes += scopes::list_bytes(&[&x]);
        if bytes > limits::MAX_CONFIGURABLE_SCOPES_BYTES {
            tracing::warn!(
                scope = %x.chars().take(64).collect::<String>(),
                "WS-Discovery: configurable scopes past {} bytes are not advertised",
                limits::MAX_CONFIGURABLE_SCOPES_BYTES
            );
            break;
        }
        list.push(x);
    }
    Advertised {
        scopes: list,
        metadata_version: s.discovery.metadata_version,
        discoverable: s.discovery.mode == DiscoveryMode::Discoverable,
    }
}

fn bind_v4() -> std::io::Result<UdpSocket> {
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    s.set_reuse_address(true)?;
    s.set_nonblocking(true)?;
    s.set_multicast_ttl_v4(1)?;
    // Our own Hello/Bye must not come back to us.
    s.set_multicast_loop_v4(false)?;
    setsockopt(&s, sockopt::Ipv4PacketInfo, &true).map_err(std::io::Error::from)?;
    s.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, PORT)).into())?;
    UdpSocket::from_std(s.into())
}

fn bind_v6() -> std::io::Result<UdpSocket> {
    let s = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))?;
    s.set_only_v6(true)?;
    s.set_reuse_address(true)?;
    s.set_nonblocking(true)?;
    s.set_multicast_hops_v6(1)?;
    s.set_multicast_loop_v6(false)?;
    setsockopt(&s, sockopt::Ipv6RecvPacketInfo, &true).map_err(std::io::Error::from)?;
    s.bind(&SocketAddr::from((Ipv6Addr::UNSPECIFIED, PORT)).into())?;
    UdpSocket::from_std(s.into())
}

/// The up interfaces with IPv4 addresses that serve `bind`, with their device service URLs.
fn scan(params: &Params) -> BTreeMap<u32, Iface> {
    let mut out = BTreeMap::new();
    for i in host::interfaces().into_iter().filter(|i| i.up) {
        let Ok(index) = nix::net::if_::if_nametoindex(i.name.as_str()) else {
            continue;
        };
        let ipv4: Vec<(Ipv4Addr, u8)> = match params.bind {
            IpAddr::V4(b) if !b.is_unspecified() => {
                i.ipv4.iter().filter(|(a, _)| *a == b).copied().collect()
            }
            IpAddr::V6(b) if !b.is_unspecified() => Vec::new(),
            _ => i.ipv4.clone(),
        };
        if ipv4.is_empty() {
            continue;
        }
        let xaddrs = ipv4
            .iter()
            .map(|(a, _)| format!("http://{a}:{}{}", params.http_port, params.device_path))
            .collect();
        out.insert(
            index,
            Iface {
                index,
                name: i.name,
                ipv4,
                xaddrs,
            },
        );
    }
    out
}

/// One received datagram: its length (the real one, even when longer than the buffer), the
/// sender, and the interface it arrived on.
struct Received {
    len: usize,
    from: SocketAddr,
    ifindex: Option<u32>,
    /// To the multicast group or to one of our addresses (the IP header's destination).
    dest: Dest,
}

fn recv_with_pktinfo(fd: RawFd, buf: &mut [u8]) -> std::io::Result<Received> {
    let mut iov = [IoSliceMut::new(buf)];
    let mut cmsg = nix::cmsg_space!(libc::in_pktinfo, libc::in6_pktinfo);
    // MSG_TRUNC: the length returned is the datagram's, so an oversized one is recognised.
    let msg = recvmsg::<SockaddrStorage>(fd, &mut iov, Some(&mut cmsg), MsgFlags::MSG_TRUNC)
        .map_err(std::io::Error::from)?;
    let mut ifindex = None;
    // Without PKTINFO we cannot tell: treat it as multicast (silence on errors).
    let mut dest = Dest::Multicast;
    if let Ok(cmsgs) = msg.cmsgs() {
        for c in cmsgs {
            match c {
                ControlMessageOwned::Ipv4PacketInfo(p) => {
                    ifindex = Some(p.ipi_ifindex as u32);
                    let to = Ipv4Addr::from(u32::from_be(p.ipi_addr.s_addr));
                    dest = if to.is_multicast() {
                        Dest::Multicast
                    } else {
                        Dest::Unicast
                    };
                }
                ControlMessageOwned::Ipv6PacketInfo(p) => {
                    ifindex = Some(p.ipi6_ifindex);
                    let to = Ipv6Addr::from(p.ipi6_addr.s6_addr);
                    dest = if to.is_multicast() {
                        Dest::Multicast
                    } else {
                        Dest::Unicast
                    };
                }
                _ => {}
            }
        }
    }
    let from = msg.address.and_then(|a| {
        if let Some(v4) = a.as_sockaddr_in() {
            Some(SocketAddr::V4(SocketAddrV4::from(*v4)))
        } else {
            a.as_sockaddr_in6()
                .map(|v6| SocketAddr::V6(SocketAddrV6::from(*v6)))
        }
    });
    let from = from.ok_or_else(|| std::io::Error::other("datagram without a sender address"))?;
    Ok(Received {
        len: msg.bytes,
        from,
        ifindex,
        dest,
    })
}

async fn recv(sock: &UdpSocket, buf: &mut [u8]) -> std::io::Result<Received> {
    let fd = sock.as_raw_fd();
    sock.async_io(Interest::READABLE, || recv_with_pktinfo(fd, buf))
        .await
}

/// `recv` on an optional socket: never ready without one.
async fn recv_opt(sock: Option<&UdpSocket>, buf: &mut [u8]) -> std::io::Result<Received> {
    match sock {
        Some(s) => recv(s, buf).await,
        None => std::future::pending().await,
    }
}

struct Shell {
    v4: Arc<UdpSocket>,
    v6: Option<Arc<UdpSocket>>,
    store: Arc<SettingsStore>,
    params: Params,
    fixed: Vec<String>,
    responder: Responder,
    ifaces: BTreeMap<u32, Iface>,
}

impl Shell {
    async fn run(mut self, changed: Arc<Notify>, mut stop: oneshot::Receiver<()>) {
        self.rescan().await;
        if self.ifaces.is_empty() {
            tracing::warn!(bind = %self.params.bind, "WS-Discovery: no up interface with an IPv4 address to serve (will re-scan)");
        }
        let mut rescan = tokio::time::interval(limits::RESCAN_INTERVAL);
        rescan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        rescan.tick().await;
        let mut buf4 = vec![0u8; limits::MAX_DATAGRAM + 1];
        let mut buf6 = vec![0u8; limits::MAX_DATAGRAM + 1];
        let v4 = self.v4.clone();
        let v6 = self.v6.clone();
        loop {
            // Replies wait in the responder's budget (their random delay, and their turn when
            // the budget is short); wake up when the next may go.
            let wake = self.responder.next_wake();
            let due = tokio::time::sleep_until(
                wake.unwrap_or_else(|| Instant::now() + limits::RESCAN_INTERVAL)
                    .into(),
            );
            tokio::select! {
                _ = &mut stop => break,
                _ = rescan.tick() => self.rescan().await,
                _ = changed.notified() => self.settings_changed().await,
                r = recv(&v4, &mut buf4) => self.received(r, &buf4),
                r = recv_opt(v6.as_deref(), &mut buf6) => self.received(r, &buf6),
                _ = due, if wake.is_some() => self.send_due().await,
            }
        }
        let ifaces: Vec<Iface> = self.ifaces.values().cloned().collect();
        // The thread-local RNG must not live across an await (the task moves between threads).
        let bye = self.responder.bye(&mut rand::rng());
        if let Some(bye) = bye {
            for i in &ifaces {
                self.multicast(i, &bye).await;
            }
            tracing::info!(interfaces = ifaces.len(), "WS-Discovery Bye sent");
        }
    }

    fn received(&mut self, r: std::io::Result<Received>, buf: &[u8]) {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                // ICMP errors surface on later reads of a UDP socket; they are not ours to fix.
                tracing::debug!(error = %e, "WS-Discovery receive error");
                return;
            }
        };
        if r.len > limits::MAX_DATAGRAM {
            tracing::debug!(from = %r.from, len = r.len, "WS-Discovery: oversized datagram dropped");
            return;
        }
        let Some(iface) = r.ifindex.and_then(|i| self.ifaces.get(&i)) else {
            tracing::debug!(from = %r.from, "WS-Discovery: datagram on an interface we do not serve");
            return;
        };
        let decision = self.responder.on_datagram(
            &buf[..r.len],
            r.from,
            r.dest,
            iface,
            Instant::now(),
            &mut rand::rng(),
        );
        if let Err(why) = decision {
            tracing::debug!(from = %r.from, ?why, "WS-Discovery: no reply");
        }
    }

    /// Sends the replies the budget lets go now, each from the socket of its family.
    async fn send_due(&mut self) {
        for reply in self.responder.due_replies(Instant::now()) {
            let sock = match reply.to {
                SocketAddr::V4(_) => Some(&self.v4),
                SocketAddr::V6(_) => self.v6.as_ref(),
            };
            let Some(sock) = sock else { continue };
            // A full socket buffer drops the reply rather than hold up the loop.
            if let Err(e) = sock.try_send_to(&reply.bytes, reply.to) {
                tracing::debug!(to = %reply.to, error = %e, "WS-Discovery reply not sent");
            }
        }
    }

    /// Re-reads the settings; announces a change with Hello.
    async fn settings_changed(&mut self) {
        if self.responder.update(advertised(&self.store, &self.fixed)) {
            let ifaces: Vec<Iface> = self.ifaces.values().cloned().collect();
            for i in &ifaces {
                self.hello(i).await;
            }
        }
    }

    /// Joins the groups on new interfaces and announces new or changed ones.
    async fn rescan(&mut self) {
        let now = scan(&self.params);
        for (index, iface) in &now {
            if self.ifaces.get(index) == Some(iface) {
                continue;
            }
            let v4 = SockRef::from(&*self.v4);
            match v4.join_multicast_v4_n(&GROUP_V4, &InterfaceIndexOrAddress::Index(*index)) {
                Ok(()) => {}
                // Already joined there (an address change on a known interface).
                Err(e) if e.raw_os_error() == Some(libc::EADDRINUSE) => {}
                Err(e) => {
                    tracing::warn!(iface = %iface.name, error = %e, "WS-Discovery: cannot join {GROUP_V4}");
                    continue;
                }
            }
            if let Some(v6) = &self.v6 {
                // Fails where the interface has no IPv6; IPv4 still works.
                let _ = SockRef::from(&**v6).join_multicast_v6(&GROUP_V6, *index);
            }
            tracing::info!(iface = %iface.name, xaddrs = ?iface.xaddrs, "WS-Discovery serving interface");
            self.hello(iface).await;
        }
        self.ifaces = now;
    }

    async fn hello(&mut self, iface: &Iface) {
        let hello = self.responder.hello(iface, &mut rand::rng());
        if let Some(h) = hello {
            self.multicast(iface, &h).await;
            tracing::debug!(iface = %iface.name, "WS-Discovery Hello sent");
        }
    }

    /// Sends `bytes` to the groups out of `iface`.
    async fn multicast(&self, iface: &Iface, bytes: &[u8]) {
        let v4 = SockRef::from(&*self.v4);
        if let Some((addr, _)) = iface.ipv4.first() {
            match v4.set_multicast_if_v4(addr) {
                Ok(()) => {
                    if let Err(e) = self.v4.send_to(bytes, (GROUP_V4, PORT)).await {
                        tracing::debug!(iface = %iface.name, error = %e, "WS-Discovery multicast not sent");
                    }
                }
                Err(e) => tracing::debug!(iface = %iface.name, error = %e, "IP_MULTICAST_IF"),
            }
        }
        if let Some(v6) = &self.v6
            && SockRef::from(&**v6)
                .set_multicast_if_v6(iface.index)
                .is_ok()
        {
            let to = SocketAddrV6::new(GROUP_V6, PORT, 0, iface.index);
            // No IPv6 on this interface: nothing to do.
            let _ = v6.send_to(bytes, to).await;
        }
    }
}

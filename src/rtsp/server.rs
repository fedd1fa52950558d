//! The tokio shell around the sans-IO RTSP core: accepts connections, frames requests, runs
//! [`session::handle`], and starts and stops the stream core's viewers (`crate::stream`),
//! whose frames [`delivery`] moves to sockets.
//!
//! Per connection there are two tasks: the reader (parses, answers through the writer, starts
//! and stops viewers) and the writer (owns the socket's write half; replies and interleaved
//! frames go out in order, one `writev` per frame). UDP viewers get one small task each that
//! sends on the server's shared RTP/RTCP socket pair. Every streaming task (writer, UDP
//! viewer, multicast sender) is a [`Task`]: it stops when its handle is dropped.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use bytes::{Buf, BytesMut};
use rtsp_types::Method;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use super::auth::{AuthDecision, AuthRequest, RtspAuth};
use super::backchannel::{self, Required, TalkStats};
use super::delivery::{self, Task, UdpDest};
use super::direct_write::{DirectLink, SharedTcp, ViewerSink};
use super::limits::{
    DESCRIBE_PARAMS_WAIT, Limits, MAX_SESSIONS_PER_CONNECTION, SR_INTERVAL, TCP_NOTSENT_LOWAT,
};
use super::message::{self, Incoming, Request};
use super::sdp::{AUDIO_TRACK, StreamParams, TrackKind};
use super::session::{
    self, Action, ConnId, Context, Delivery, Reply, SessionTable, SetupTrack, Streams,
};
use super::talk::{self, Speaker, TalkSlot};
use super::tunnel::{self, TunnelRole};
use super::udp_batch::RtpSocket;
use crate::conn_slots::{Refusal, SharedSlots, SlotGuard, SlotTable};
use crate::rtp::rtcp::{self, SrSchedule};
use crate::rtp::wire::WIRE_CHANNEL;
use crate::rtp::{AudioRegistry, MetadataRegistry, RtpHub, RtpRegistry, RtpViewer, RtpWatch};

/// How the server is set up.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// RTSP listen address (camera: port 554; PC default 8554).
    pub(crate) bind: SocketAddr,
    /// RTP port of the server's UDP pair (RTCP is the next port); 0 picks a free even pair.
    pub(crate) udp_rtp_port: u16,
    pub limits: Limits,
    /// RTCP SDES CNAME (RFC 3550 s6.5.1).
    pub(crate) cname: String,
    /// The streams' metadata tracks, by the same path as their video (`trackID=1`); a path
    /// without an entry has video only.
    pub(crate) metadata: Arc<MetadataRegistry>,
    /// The streams' audio tracks, by the same path as their video (`trackID=2`).
    pub(crate) audio: Arc<AudioRegistry>,
    /// The speaker the ONVIF back channel plays to (`trackID=3`); none: no back channel, and
    /// a `Require` of it is 551.
    pub(crate) speaker: Option<Arc<dyn Speaker>>,
    /// Which streams offer the back channel (a profile holding an audio output and an audio
    /// decoder configuration, docs/rtsp.md "Back channel"), and on which SDK audio output;
    /// none: every stream, on output 0, when there is a speaker.
    pub(crate) talk_paths: Option<TalkPaths>,
    /// Send RTP over UDP with GSO where the kernel allows (`rtsp::udp_batch`); default on
    /// unless the environment says `NVT_UDP_GSO=0` (for comparing, docs/PERFORMANCE.md).
    pub(crate) udp_gso: bool,
}

/// Whether the stream of a path offers the back channel, and then the SDK audio output it
/// plays on (its audio output configuration's OutputToken); asked on every request that
/// names it, so a profile change takes effect at the next DESCRIBE or SETUP.
#[derive(Clone)]
pub struct TalkPaths(pub Arc<TalkOutput>);

/// A path's SDK audio output for the back channel, if its stream offers one.
pub type TalkOutput = dyn Fn(&str) -> Option<u32> + Send + Sync;

impl std::fmt::Debug for TalkPaths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TalkPaths")
    }
}

impl ServerConfig {
    pub fn new(bind: SocketAddr) -> Self {
        Self {
            bind,
            udp_rtp_port: 0,
            limits: Limits::default(),
            cname: "nvt".to_owned(),
            metadata: MetadataRegistry::new(),
            audio: AudioRegistry::new(),
            speaker: None,
            talk_paths: None,
            udp_gso: std::env::var_os("NVT_UDP_GSO").is_none_or(|v| v != "0"),
        }
    }

    /// Sends RTP over UDP with GSO where the kernel allows (`on`), or with plain `sendmmsg`.
    pub fn with_udp_gso(mut self, on: bool) -> Self {
        self.udp_gso = on;
        self
    }

    /// Serves the audio tracks of `registry` beside the video of the same paths.
    pub fn with_audio(mut self, registry: Arc<AudioRegistry>) -> Self {
        self.audio = registry;
        self
    }

    /// Offers the ONVIF audio back channel, played on `speaker`.
    pub fn with_speaker(mut self, speaker: Arc<dyn Speaker>) -> Self {
        self.speaker = Some(speaker);
        self
    }

    /// Offers the back channel only on the streams `paths` says (with a speaker).
    pub fn with_talk_paths(mut self, paths: TalkPaths) -> Self {
        self.talk_paths = Some(paths);
        self
    }

    /// Serves the metadata tracks of `registry` beside the video of the same paths.
    pub fn with_metadata(mut self, registry: Arc<MetadataRegistry>) -> Self {
        self.metadata = registry;
        self
    }
}

/// Server-wide counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerMetrics {
    /// Open RTSP connections now.
    pub connections: usize,
    /// Connections accepted since start.
    pub connections_total: u64,
    /// Connections refused: every slot taken, or only reserved ones left (see
    /// [`crate::conn_slots`]).
    pub connections_refused: u64,
    /// Connections refused because their address held [`Limits::max_connections_per_address`].
    pub connections_refused_per_address: u64,
    /// Connections closed for making no authenticated request within
    /// [`Limits::unauthenticated_timeout`].
    pub connections_unauthenticated_closed: u64,
    /// Connections closed because a reply could not be written within
    /// [`Limits::write_timeout`] (a peer that does not read).
    pub connections_write_timeout: u64,
    /// Sessions now.
    pub sessions: usize,
    /// Sessions removed by the session timeout.
    pub sessions_expired: u64,
    /// PLAYs served by multicast (joins of a stream's group), since start.
    pub sessions_multicast_total: u64,
    /// Requests answered with a 4xx/5xx status.
    pub(crate) requests_rejected: u64,
    /// What back-channel talkers sent: played and dropped, by reason.
    pub talk: TalkStats,
}

/// What a connection's reader sends its writer, in order: a PLAY's reply is written before
/// its first RTP packet, a PAUSE's `Detach` takes effect before its reply.
enum Out {
    Reply(Vec<u8>, bool),
    Attach {
        session: String,
        track: u8,
        viewer: RtpViewer,
        rtp: u8,
        rtcp: u8,
    },
    Detach(String),
}

/// What shared tasks (the session reaper) tell a connection's writer. Sent on an unbounded
/// channel so that the sender never waits for the writer, which may be blocked on a peer that
/// does not read (issue 14.8). It holds at most one message per expired session of the
/// connection, and a connection's sessions only expire when it has been silent for a
/// session timeout.
enum Control {
    /// The session expired: stop sending it.
    Expired(String),
    /// Bytes to write as they are (a back-channel receiver report, `$`-framed).
    Write(Vec<u8>),
}

/// Hands a tunnel's POST half (its socket and the bytes read past its head) to the GET half
/// waiting under the same x-sessioncookie.
type TunnelWaiter = oneshot::Sender<(TcpStream, Vec<u8>, SlotGuard)>;

/// A tunnel's GET half waiting for its POST: only a POST from the same address, with the
/// same user authenticated in its head (or none, as the GET), is paired with it.
struct TunnelWait {
    tx: TunnelWaiter,
    peer: IpAddr,
    user: Option<String>,
}

struct Shared {
    registry: Arc<RtpRegistry>,
    metadata: Arc<MetadataRegistry>,
    audio: Arc<AudioRegistry>,
    auth: Arc<dyn RtspAuth>,
    limits: Limits,
    cname: String,
    sessions: Mutex<SessionTable>,
    /// The back channel's one talker (lock it before `sessions` when both are needed).
    talk: TalkSlot,
    talk_paths: Option<TalkPaths>,
    /// Each connection's out-of-band channel to its writer (see [`Control`]).
    conns: Mutex<HashMap<ConnId, mpsc::UnboundedSender<Control>>>,
    /// Connection slots: per-address limits and the reserve (`conn_slots`).
    slots: SharedSlots,
    /// Each session's UDP senders, one per track it plays.
    udp_viewers: Mutex<HashMap<String, Vec<Task>>>,
    /// One multicast sender per hub (encoder), with the sessions that keep it running (an
    /// ONVIF StartMulticastStreaming counts as one per path, see [`MULTICAST_START_SESSION`]).
    multicast: Mutex<HashMap<String, MulticastSender>>,
    bind_ip: IpAddr,
    /// GET halves of HTTP tunnels waiting for their POST, by x-sessioncookie.
    tunnels: Mutex<HashMap<String, TunnelWait>>,
    rtp: RtpSocket,
    rtcp: UdpSocket,
    udp_ports: (u16, u16),
    next_conn: AtomicU64,
    open: AtomicUsize,
    total: AtomicU64,
    refused: AtomicU64,
    refused_per_address: AtomicU64,
    unauthenticated_closed: AtomicU64,
    write_timeouts: AtomicU64,
    expired: AtomicU64,
    rejected: AtomicU64,
    multicast_total: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running RTSP server.
pub struct RtspServer {
    local: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    adopt: mpsc::Sender<(TcpStream, SocketAddr)>,
}

/// How many connections accepted elsewhere may wait for the accept loop (a burst of tunnel
/// halves from the web port; each is admitted by this server's slots like its own).
const ADOPT_QUEUE: usize = 64;

impl RtspServer {
    /// Binds the RTSP listener and the UDP pair and starts serving the registry's streams.
    pub async fn start(
        config: ServerConfig,
        registry: Arc<RtpRegistry>,
        auth: Arc<dyn RtspAuth>,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(config.bind).await?;
        let local = listener.local_addr()?;
        let (rtp, rtcp) = bind_udp_pair(config.bind.ip(), config.udp_rtp_port).await?;
        let udp_ports = (rtp.local_addr()?.port(), rtcp.local_addr()?.port());
        let shared = Arc::new(Shared {
            registry,
            metadata: config.metadata,
            audio: config.audio,
            auth,
            sessions: Mutex::new(SessionTable::new()),
            talk: TalkSlot::new(config.speaker),
            talk_paths: config.talk_paths,
            slots: Arc::new(Mutex::new(SlotTable::new(config.limits.slot_policy()))),
            limits: config.limits,
            cname: config.cname,
            conns: Mutex::new(HashMap::new()),
            udp_viewers: Mutex::new(HashMap::new()),
            multicast: Mutex::new(HashMap::new()),
            bind_ip: config.bind.ip(),
            tunnels: Mutex::new(HashMap::new()),
            rtp: RtpSocket::new(rtp, config.udp_gso),
            rtcp,
            udp_ports,
            next_conn: AtomicU64::new(1),
            open: AtomicUsize::new(0),
            total: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            refused_per_address: AtomicU64::new(0),
            unauthenticated_closed: AtomicU64::new(0),
            write_timeouts: AtomicU64::new(0),
            expired: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            multicast_total: AtomicU64::new(0),
        });
        let (tx, rx) = watch::channel(false);
        let (adopt, adopted) = mpsc::channel(ADOPT_QUEUE);
        let tasks = vec![
            tokio::spawn(accept_loop(shared.clone(), listener, adopted, rx.clone())),
            tokio::spawn(rtcp_loop(shared.clone(), rx.clone())),
            tokio::spawn(talk_udp_loop(shared.clone(), rx.clone())),
            tokio::spawn(reaper(shared.clone(), rx)),
        ];
        info!(%local, udp = ?udp_ports, "RTSP server listening");
        Ok(Self {
            local,
            shared,
            shutdown: tx,
            tasks,
            adopt,
        })
    }

    /// A door for connections another server accepted and this one serves: the RTSP-over-HTTP
    /// tunnel halves the web server receives on its port (Media2 GetStreamUri, RtspOverHttp:
    /// the web service's port). The connection's bytes must be unread; it is admitted by this
    /// server's connection slots as if accepted here. Returns false (and drops the
    /// connection) when the server has stopped or its queue is full.
    pub(crate) fn door(&self) -> impl Fn(TcpStream, SocketAddr) -> bool + Send + Sync + 'static {
        let tx = self.adopt.clone();
        move |stream, peer| tx.try_send((stream, peer)).is_ok()
    }

    /// The bound RTSP address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The server's UDP RTP and RTCP ports.
    pub fn udp_ports(&self) -> (u16, u16) {
        self.shared.udp_ports
    }

    /// A handle that starts and stops multicast without an RTSP session (ONVIF
    /// Start/StopMulticastStreaming). It does not keep the server alive.
    pub(crate) fn multicast_control(&self) -> MulticastControl {
        MulticastControl {
            shared: Arc::downgrade(&self.shared),
        }
    }

    pub fn metrics(&self) -> ServerMetrics {
        ServerMetrics {
            connections: self.shared.open.load(Ordering::Relaxed),
            connections_total: self.shared.total.load(Ordering::Relaxed),
            connections_refused: self.shared.refused.load(Ordering::Relaxed),
            connections_refused_per_address: self
                .shared
                .refused_per_address
                .load(Ordering::Relaxed),
            connections_unauthenticated_closed: self
                .shared
                .unauthenticated_closed
                .load(Ordering::Relaxed),
            connections_write_timeout: self.shared.write_timeouts.load(Ordering::Relaxed),
            sessions: lock(&self.shared.sessions).len(),
            sessions_expired: self.shared.expired.load(Ordering::Relaxed),
            sessions_multicast_total: self.shared.multicast_total.load(Ordering::Relaxed),
            requests_rejected: self.shared.rejected.load(Ordering::Relaxed),
            talk: self.shared.talk.stats(),
        }
    }

    /// Stops accepting, closes every connection and viewer, and waits for the tasks.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        // Dropping a streaming task stops it.
        let udp: Vec<Vec<Task>> = lock(&self.shared.udp_viewers)
            .drain()
            .map(|(_, t)| t)
            .collect();
        drop(udp);
        let multicast: Vec<MulticastSender> = lock(&self.shared.multicast)
            .drain()
            .map(|(_, m)| m)
            .collect();
        drop(multicast);
        // Connection tasks watch the same channel; give them a moment to close.
        for _ in 0..100 {
            if self.shared.open.load(Ordering::Relaxed) == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

async fn bind_udp_pair(ip: IpAddr, port: u16) -> io::Result<(UdpSocket, UdpSocket)> {
    if port != 0 {
        let rtp = UdpSocket::bind((ip, port)).await?;
        let rtcp = UdpSocket::bind((ip, port.wrapping_add(1))).await?;
        return Ok((rtp, rtcp));
    }
    // RFC 3550 s11: RTP on an even port, RTCP on the next odd one.
    for _ in 0..64 {
        let rtp = UdpSocket::bind((ip, 0)).await?;
        let p = rtp.local_addr()?.port();
        if p % 2 != 0 || p == u16::MAX {
            continue;
        }
        if let Ok(rtcp) = UdpSocket::bind((ip, p + 1)).await {
            return Ok((rtp, rtcp));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        "no free UDP port pair",
    ))
}

async fn accept_loop(
    shared: Arc<Shared>,
    listener: TcpListener,
    mut adopted: mpsc::Receiver<(TcpStream, SocketAddr)>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let (stream, peer) = tokio::select! {
            Some(handed) = adopted.recv() => handed,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    warn!(%e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let slot = match SlotGuard::admit(&shared.slots, peer.ip(), Instant::now()) {
            Ok(slot) => slot,
            Err(why) => {
                let counter = match why {
                    Refusal::Full => &shared.refused,
                    Refusal::PerAddress => &shared.refused_per_address,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                debug!(%peer, ?why, "connection refused");
                let timeout = shared.limits.write_timeout;
                tokio::spawn(async move {
                    let mut stream = stream;
                    let _ = tokio::time::timeout(
                        timeout,
                        stream.write_all(
                            b"RTSP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
                        ),
                    )
                    .await;
                });
                continue;
            }
        };
        shared.open.fetch_add(1, Ordering::Relaxed);
        shared.total.fetch_add(1, Ordering::Relaxed);
        let conn = shared.next_conn.fetch_add(1, Ordering::Relaxed);
        let s = shared.clone();
        let rx = shutdown.clone();
        tokio::spawn(async move {
            connection(s.clone(), stream, peer, conn, rx, slot).await;
            s.open.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

/// RTCP from UDP receivers: a valid compound packet refreshes its session (RFC 2326 s12.37).
async fn rtcp_loop(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let mut buf = vec![0u8; 2048];
    loop {
        tokio::select! {
            r = shared.rtcp.recv_from(&mut buf) => {
                if let Ok((n, from)) = r
                    && rtcp::parse_compound(&buf[..n]).is_ok()
                {
                    lock(&shared.sessions).touch_udp_source(from, Instant::now());
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}

/// Back-channel RTP to the server's RTP port (the talker's `server_port`): played if it
/// comes from the playing talker's address, ignored otherwise. The buffer takes the largest
/// datagram, so an oversize payload is seen whole and dropped as such, never truncated.
async fn talk_udp_loop(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    if !shared.talk.offered() {
        return;
    }
    let mut buf = vec![0u8; 65536];
    loop {
        tokio::select! {
            r = shared.rtp.recv_from(&mut buf) => {
                if let Ok((n, from)) = r {
                    let now = Instant::now();
                    if let Some(session) = shared.talk.on_udp(from, &buf[..n], now) {
                        lock(&shared.sessions).touch(&session, now);
                    }
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}

/// Expires idle sessions and stops their viewers.
async fn reaper(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        let now = Instant::now();
        shared.talk.expire_idle(now);
        send_talk_report(&shared, now);
        let dead = lock(&shared.sessions).expire(now);
        for s in dead {
            debug!(session = %s.id, "session expired");
            shared.expired.fetch_add(1, Ordering::Relaxed);
            stop_viewer(&shared, &s.id, s.owner);
        }
    }
}

/// The talker's receiver report, when due: on its connection (through the writer, never
/// waiting) or from the RTCP port to its RTCP port (a full socket buffer drops it).
fn send_talk_report(shared: &Shared, now: Instant) {
    let Some((to, rr)) = shared.talk.due_report(now, SR_INTERVAL, &shared.cname) else {
        return;
    };
    match to {
        talk::ReportTo::Interleaved { conn, channel } => {
            let mut frame = Vec::with_capacity(4 + rr.len());
            frame.push(b'$');
            frame.push(channel);
            frame.extend_from_slice(&(rr.len() as u16).to_be_bytes());
            frame.extend_from_slice(&rr);
            if let Some(ctl) = lock(&shared.conns).get(&conn) {
                let _ = ctl.send(Control::Write(frame));
            }
        }
        talk::ReportTo::Udp { to } => {
            let _ = shared.rtcp.try_send_to(&rr, to);
        }
    }
}

/// Stops an expired session's RTP. Never waits: this runs in the reaper, which serves every
/// client (issue 14.8: awaiting one connection's full channel stopped all expiry).
fn stop_viewer(shared: &Shared, session: &str, owner: ConnId) {
    release(shared, session);
    shared.talk.end(session, "session expired");
    if let Some(ctl) = lock(&shared.conns).get(&owner) {
        let _ = ctl.send(Control::Expired(session.to_owned()));
    }
}

/// The registry's streams; with `.1` (a request for the back channel) they have the back
/// channel's track too.
struct RegistryStreams<'a>(&'a Shared, bool);

impl Streams for RegistryStreams<'_> {
    fn params(&self, name: &str) -> Option<StreamParams> {
        let metadata = self.0.metadata.get(name);
        let mut params = match self.0.registry.get(name) {
            Some(video) => delivery::describe(video.as_ref()),
            // A profile with a metadata configuration and no video encoder: a presentation
            // of its metadata alone.
            None => StreamParams {
                without_video: true,
                ..StreamParams::default()
            },
        };
        params
            .tracks
            .extend(metadata.map(|m| delivery::metadata_track(&m)));
        // A profile's audio encoder: beside its video, or alone (a profile holding only
        // audio configurations, Media2 RTSS "audio streaming using only audio in profile").
        if let Some(a) = self.0.audio.get(name) {
            params.tracks.push(delivery::audio_track(&a));
        }
        if self.1 && self.0.talk.offered() {
            params.tracks.push(super::sdp::TrackParams {
                kind: TrackKind::Backchannel {
                    pcma: self
                        .0
                        .talk
                        .codecs()
                        .contains(&crate::sdk::AudioCodec::G711Alaw),
                },
                // Nothing is sent on it; the Transport reply names this SSRC all the same.
                ssrc: params.ssrc ^ 0x5441_4C4B,
                multicast: None,
            });
        }
        (!params.without_video || !params.tracks.is_empty()).then_some(params)
    }
}

fn method_name(m: &Method) -> &str {
    match m {
        Method::Describe => "DESCRIBE",
        Method::GetParameter => "GET_PARAMETER",
        Method::Options => "OPTIONS",
        Method::Pause => "PAUSE",
        Method::Play => "PLAY",
        Method::PlayNotify => "PLAY_NOTIFY",
        Method::Redirect => "REDIRECT",
        Method::Setup => "SETUP",
        Method::SetParameter => "SET_PARAMETER",
        Method::Announce => "ANNOUNCE",
        Method::Record => "RECORD",
        Method::Teardown => "TEARDOWN",
        Method::Extension(s) => s,
    }
}

/// One accepted TCP connection: RTSP, or one half of an HTTP tunnel.
async fn connection(
    shared: Arc<Shared>,
    mut stream: TcpStream,
    peer: SocketAddr,
    conn: ConnId,
    shutdown: watch::Receiver<bool>,
    slot: SlotGuard,
) {
    let local = stream.local_addr().map(|a| a.ip()).unwrap_or(peer.ip());
    let _ = stream.set_nodelay(true);
    let sock = socket2::SockRef::from(&stream);
    let _ = sock.set_send_buffer_size(shared.limits.tcp_send_buffer);
    let _ = sock.set_tcp_notsent_lowat(TCP_NOTSENT_LOWAT);
    // Sniff the first bytes: an HTTP GET/POST opens a tunnel half, anything else is RTSP.
    let mut buf = BytesMut::with_capacity(2048);
    let deadline = tokio::time::Instant::now()
        + shared
            .limits
            .idle_timeout
            .min(shared.limits.unauthenticated_timeout);
    while buf.len() < 5 && maybe_http_prefix(&buf) {
        match tokio::time::timeout_at(deadline, stream.read_buf(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => return,
        }
    }
    if tunnel::looks_like_http(&buf) {
        http_tunnel(shared, stream, peer, local, conn, shutdown, buf, slot).await;
        return;
    }
    // Shared by the reader, the writer and the publisher's direct write (`direct_write`).
    let stream = Arc::new(stream);
    let link = shared
        .limits
        .direct_write
        .then(|| Arc::new(DirectLink::new(stream.clone())));
    let (rd, wr) = (SharedTcp(stream.clone()), SharedTcp(stream));
    serve(shared, rd, wr, peer, local, conn, shutdown, buf, slot, link).await;
}

fn maybe_http_prefix(buf: &[u8]) -> bool {
    let n = buf.len();
    b"GET ".starts_with(&buf[..n.min(4)]) || b"POST ".starts_with(&buf[..n.min(5)])
}

/// Pairs the GET and POST halves of an HTTP tunnel by cookie and runs RTSP over them.
///
/// A POST is paired only with a GET from the same IP address and, when the GET's head
/// authenticated a user, with a POST authenticating the same user: a cookie alone (sniffed or
/// guessed) does not let another host write requests into someone's tunnel. A POST that does
/// not match is refused (403) and the GET keeps waiting for its own.
#[allow(clippy::too_many_arguments)]
async fn http_tunnel(
    shared: Arc<Shared>,
    mut stream: TcpStream,
    peer: SocketAddr,
    local: IpAddr,
    conn: ConnId,
    shutdown: watch::Receiver<bool>,
    mut buf: BytesMut,
    slot: SlotGuard,
) {
    let limits = shared.limits.clone();
    let deadline = tokio::time::Instant::now() + limits.header_timeout;
    let head_len = loop {
        let window = &buf[..buf.len().min(limits.max_request_head)];
        if let Some(p) = window.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        if buf.len() >= limits.max_request_head {
            write_timed(&shared, &mut stream, b"HTTP/1.0 400 Bad Request\r\n\r\n").await;
            return;
        }
        match tokio::time::timeout_at(deadline, stream.read_buf(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => return,
        }
    };
    let head = match tunnel::parse_head(&buf[..head_len], limits.max_headers) {
        Ok(h) => h,
        Err(e) => {
            debug!(%peer, %e, "bad tunnel request");
            shared.rejected.fetch_add(1, Ordering::Relaxed);
            write_timed(&shared, &mut stream, b"HTTP/1.0 400 Bad Request\r\n\r\n").await;
            return;
        }
    };
    // The user the head authenticated, if it carried credentials (most clients authenticate
    // the tunnelled RTSP requests instead; those are checked one by one as on any connection).
    let user = head.authorization.as_deref().and_then(|a| {
        let method = match head.role {
            TunnelRole::Get => "GET",
            TunnelRole::Post => "POST",
        };
        match shared.auth.check(&AuthRequest {
            peer: peer.ip(),
            method,
            uri: &head.path,
            authorization: Some(a),
        }) {
            AuthDecision::Allow { user } => user,
            // Refused credentials on a tunnel head bind nothing; the failure is counted by
            // the gate's throttle like any other.
            AuthDecision::Challenge { .. } | AuthDecision::Failed { .. } => None,
        }
    });
    match head.role {
        TunnelRole::Get => {
            let (tx, rx) = oneshot::channel();
            let registered = {
                let mut t = lock(&shared.tunnels);
                let free = !t.contains_key(&head.cookie) && t.len() < limits.max_connections;
                if free {
                    t.insert(
                        head.cookie.clone(),
                        TunnelWait {
                            tx,
                            peer: peer.ip(),
                            user,
                        },
                    );
                }
                free
            };
            if !registered {
                write_timed(&shared, &mut stream, b"HTTP/1.0 400 Bad Request\r\n\r\n").await;
                return;
            }
            if !write_timed(&shared, &mut stream, tunnel::GET_RESPONSE).await {
                lock(&shared.tunnels).remove(&head.cookie);
                return;
            }
            let post = tokio::time::timeout(limits.header_timeout, rx).await;
            lock(&shared.tunnels).remove(&head.cookie);
            let Ok(Ok((post, initial, post_slot))) = post else {
                return;
            };
            // One connection from here: the pair is proven and released together.
            let mut slot = slot;
            slot.join(post_slot);
            let Ok(reader) = tunnel::Base64Reader::new(post, &initial) else {
                return;
            };
            let (_get_rd, get_wr) = stream.into_split();
            serve(
                shared,
                reader,
                get_wr,
                peer,
                local,
                conn,
                shutdown,
                BytesMut::new(),
                slot,
                // Not a bare TCP socket: the writer alone writes.
                None,
            )
            .await;
        }
        TunnelRole::Post => {
            let body = buf.split_off(head_len);
            let paired = {
                let mut t = lock(&shared.tunnels);
                match t.get(&head.cookie) {
                    None => Err(&b"HTTP/1.0 404 Not Found\r\n\r\n"[..]),
                    Some(w) if w.peer != peer.ip() || w.user != user => {
                        Err(&b"HTTP/1.0 403 Forbidden\r\n\r\n"[..])
                    }
                    Some(_) => t.remove(&head.cookie).ok_or(&b""[..]),
                }
            };
            match paired {
                // The GET's task owns the POST socket (and its slot) from here on.
                Ok(w) => {
                    let _ = w.tx.send((stream, body.to_vec(), slot));
                }
                Err(answer) => {
                    debug!(%peer, cookie = %head.cookie, "tunnel POST not paired");
                    shared.rejected.fetch_add(1, Ordering::Relaxed);
                    write_timed(&shared, &mut stream, answer).await;
                }
            }
        }
    }
}

/// Writes a whole short answer, giving up after [`Limits::write_timeout`]. True if written.
async fn write_timed<W: AsyncWrite + Unpin>(shared: &Shared, wr: &mut W, bytes: &[u8]) -> bool {
    match tokio::time::timeout(shared.limits.write_timeout, wr.write_all(bytes)).await {
        Ok(r) => r.is_ok(),
        Err(_) => {
            shared.write_timeouts.fetch_add(1, Ordering::Relaxed);
            false
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn serve<R, W>(
    shared: Arc<Shared>,
    mut rd: R,
    wr: W,
    peer: SocketAddr,
    local: IpAddr,
    conn: ConnId,
    mut shutdown: watch::Receiver<bool>,
    mut buf: BytesMut,
    mut slot: SlotGuard,
    link: Option<Arc<DirectLink>>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<Out>(16);
    let (ctl, ctl_rx) = mpsc::unbounded_channel::<Control>();
    lock(&shared.conns).insert(conn, ctl);
    let mut writer = Task::spawn(writer_task(wr, rx, ctl_rx, shared.clone(), link));
    let limits = shared.limits.clone();
    let mut last_activity = tokio::time::Instant::now();
    let mut partial_since: Option<tokio::time::Instant> = None;
    'outer: loop {
        loop {
            match message::read(&buf, &limits) {
                Ok(Some((msg, used))) => {
                    buf.advance(used);
                    partial_since = None;
                    match msg {
                        Incoming::Request(req) => {
                            let close =
                                on_request(&shared, &tx, &req, conn, peer, local, &mut slot).await;
                            if close {
                                break 'outer;
                            }
                        }
                        Incoming::Interleaved { channel, payload } => {
                            let now = Instant::now();
                            // A talker's RTP on its back channel, or RTCP receiver reports.
                            if shared.talk.on_interleaved(conn, channel, &payload, now)
                                || rtcp::parse_compound(&payload).is_ok()
                            {
                                lock(&shared.sessions).touch_conn(conn, now);
                            }
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    shared.rejected.fetch_add(1, Ordering::Relaxed);
                    let r = Reply::new(e.status(), None).header("Connection", "close");
                    let _ = tx.send(Out::Reply(r.to_bytes(), true)).await;
                    break 'outer;
                }
            }
        }
        let now = tokio::time::Instant::now();
        if buf.is_empty() {
            partial_since = None;
        } else if partial_since.is_none() {
            partial_since = Some(now);
        }
        let mut deadline = match partial_since {
            Some(t) => t + limits.header_timeout,
            None => last_activity + limits.idle_timeout,
        };
        // Unauthenticated: closed at its deadline whatever it sends (issue 14.3).
        let unproven = slot.unproven_deadline().map(tokio::time::Instant::from_std);
        if let Some(u) = unproven {
            deadline = deadline.min(u);
        }
        tokio::select! {
            r = rd.read_buf(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(_) => last_activity = tokio::time::Instant::now(),
            },
            _ = tokio::time::sleep_until(deadline) => {
                if unproven.is_some_and(|u| u <= tokio::time::Instant::now()) {
                    debug!(%peer, "no authenticated request: closing");
                    shared.unauthenticated_closed.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                if partial_since.is_some() {
                    debug!(%peer, "request head timeout");
                    break;
                }
                let has_sessions = lock(&shared.sessions).has_conn(conn);
                if !has_sessions {
                    debug!(%peer, "idle timeout");
                    break;
                }
                last_activity = tokio::time::Instant::now();
            }
            _ = shutdown.changed() => break,
            _ = &mut writer => break,
        }
    }
    // Cleanup: sessions of this connection die with it.
    let dead = lock(&shared.sessions).remove_conn(conn);
    for s in dead {
        release(&shared, &s.id);
        shared.talk.end(&s.id, "connection closed");
    }
    lock(&shared.conns).remove(&conn);
    drop(tx);
    if !writer.is_finished() {
        // Let the writer flush a final reply, but never wait on a stuck peer: past the
        // timeout it is dropped here, which stops it.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), &mut writer).await;
    }
}

/// Answers one request; returns true if the connection must close.
async fn on_request(
    shared: &Arc<Shared>,
    tx: &mpsc::Sender<Out>,
    req: &Request,
    conn: ConnId,
    peer: SocketAddr,
    local: IpAddr,
    slot: &mut SlotGuard,
) -> bool {
    let decision = shared.auth.check(&AuthRequest {
        peer: peer.ip(),
        method: method_name(&req.method),
        uri: &req.uri,
        authorization: req.header("Authorization"),
    });
    let user = match decision {
        AuthDecision::Allow { user } => {
            // Progress: the connection no longer counts against the unauthenticated limits.
            slot.prove(Instant::now());
            user
        }
        AuthDecision::Challenge { www_authenticate } => {
            shared.rejected.fetch_add(1, Ordering::Relaxed);
            let mut r = Reply::new(401, req.cseq);
            for c in www_authenticate {
                r = r.header("WWW-Authenticate", c);
            }
            return tx.send(Out::Reply(r.to_bytes(), false)).await.is_err();
        }
        AuthDecision::Failed {
            www_authenticate,
            delay,
            close,
        } => {
            // Refused credentials: answered after the gate's throttle delay (this
            // connection's task only waits), and the connection closed once the address
            // keeps failing (issue 14.1).
            shared.rejected.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(delay).await;
            let mut r = Reply::new(401, req.cseq);
            for c in www_authenticate {
                r = r.header("WWW-Authenticate", c);
            }
            if close {
                r = r.header("Connection", "close");
            }
            return tx.send(Out::Reply(r.to_bytes(), close)).await.is_err() || close;
        }
    };
    if req.method == Method::Describe
        && let Some((name, _)) = session::stream_of_uri(&req.uri)
        && let Some(hub) = shared.registry.get(&name)
    {
        delivery::describe_when_ready(&hub, DESCRIBE_PARAMS_WAIT).await;
    }
    // RFC 2326 s12.32: a feature the server does not support is 551 with `Unsupported`. The
    // back channel is the stream's only when its profile holds an audio output (ONVIF
    // Streaming s."Back channel connection": a device that signals audio outputs understands
    // the tag; a stream without one "does not support bidirectional data connections").
    let talks = shared.talk.offered()
        && session::stream_of_uri(&req.uri).is_some_and(|(name, _)| {
            (shared.talk_paths.as_ref()).is_none_or(|on| (on.0)(&name).is_some())
        });
    let talk = match backchannel::required(req, talks) {
        Required::Plain => false,
        Required::Backchannel => true,
        Required::Unsupported(tags) => {
            shared.rejected.fetch_add(1, Ordering::Relaxed);
            let r = Reply::new(551, req.cseq).header("Unsupported", tags.join(", "));
            return tx.send(Out::Reply(r.to_bytes(), false)).await.is_err();
        }
    };
    let talk_setup = req.method == Method::Setup
        && talks
        && session::track_of_uri(&req.uri) == Some(backchannel::TRACK_ID);
    // Talking actuates the camera's speaker: ONVIF's ACTUATE class (Operator and up), as
    // a relay or a PTZ move. Checked at the SETUP of the back channel, where the right is
    // used; DESCRIBE shows the track to viewers too (GetAudioOutputs tells them as much).
    if talk_setup && !shared.auth.may_talk(user.as_deref()) {
        shared.rejected.fetch_add(1, Ordering::Relaxed);
        warn!(%peer, user = ?user, "back channel refused: below ACTUATE");
        let r = Reply::new(403, req.cseq);
        return tx.send(Out::Reply(r.to_bytes(), false)).await.is_err();
    }
    let ctx = Context {
        conn,
        peer: peer.ip(),
        local,
        user,
        now: Instant::now(),
        server_ports: shared.udp_ports,
        session_timeout: shared.limits.session_timeout,
    };
    // A SETUP of the back channel offers it even without `Require` (the spec's client sends
    // one; a lenient client is still bound by the access check and the one-talker rule).
    let streams = RegistryStreams(shared, talk || talk_setup);
    let mut reply = if talk_setup {
        talk_setup_reply(shared, req, &ctx, &streams)
    } else {
        let mut table = lock(&shared.sessions);
        session::handle(req, &ctx, &mut table, &streams)
    };
    if reply.status >= 400 {
        shared.rejected.fetch_add(1, Ordering::Relaxed);
    }
    match reply.action.take() {
        Some(Action::Play {
            session,
            stream,
            mut tracks,
        }) => {
            // The video first: the audio starts at the instant of its first frame.
            tracks.sort_by_key(|t| t.track != TrackKind::Video.id());
            let mut video_start = None;
            // The video's hub; none for a presentation without video (its tracks are
            // looked up below, each may have gone since SETUP).
            let video = shared.registry.get(&stream);
            if video.is_none()
                && shared.metadata.get(&stream).is_none()
                && shared.audio.get(&stream).is_none()
            {
                let r = Reply::new(404, req.cseq);
                return tx.send(Out::Reply(r.to_bytes(), false)).await.is_err();
            }
            // RTP-Info names the first packet this PLAY brings on each track: the first frame
            // of the track's new viewer, whose writer starts only after the reply; for
            // multicast, the group's next frame, with a sender this PLAY starts held until
            // the reply is out.
            // Gates of the group senders this PLAY starts (video, metadata, audio).
            let mut gates: Vec<oneshot::Sender<()>> = Vec::new();
            let mut started: Vec<(SetupTrack, RtpViewer)> = Vec::with_capacity(tracks.len());
            let mut info: Vec<(u8, (u16, u32))> = Vec::with_capacity(tracks.len());
            for t in tracks {
                if t.track == backchannel::TRACK_ID {
                    // Nothing to send: from now on the talker's RTP plays (the spec: the
                    // client sends only after this reply; earlier packets find no source).
                    let (source, report_to) = match t.delivery {
                        Delivery::Interleaved { rtp, rtcp } => (
                            talk::Source::Interleaved { conn, channel: rtp },
                            talk::ReportTo::Interleaved {
                                conn,
                                channel: rtcp,
                            },
                        ),
                        Delivery::Udp { rtp, rtcp } => (
                            talk::Source::Udp { from: rtp },
                            talk::ReportTo::Udp { to: rtcp },
                        ),
                        Delivery::Multicast { .. } => continue,
                    };
                    shared
                        .talk
                        .play(&session, source, report_to, Instant::now());
                    continue;
                }
                let first = if t.track == TrackKind::Video.id() {
                    let Some(hub) = &video else { continue };
                    let (viewer, watch, go) = match &t.delivery {
                        Delivery::Multicast { group, ttl } => {
                            let (watch, go) =
                                join_multicast(shared, hub, session.clone(), *group, *ttl);
                            (None, watch, go)
                        }
                        _ => {
                            let viewer = hub.subscribe(peer.to_string(), Instant::now());
                            let watch = viewer.watch();
                            (Some(viewer), watch, None)
                        }
                    };
                    gates.extend(go);
                    if let Some(v) = viewer {
                        started.push((t, v));
                    }
                    let first = delivery::first_frame(&watch).await;
                    video_start = first.as_ref().map(|f| f.pts);
                    first.map(|f| (f.first_seq, f.rtp_ts))
                } else if t.track == AUDIO_TRACK {
                    // Gone since SETUP: as a metadata track, it plays nothing.
                    let Some(a) = shared.audio.get(&stream) else {
                        continue;
                    };
                    if let Delivery::Multicast { group, ttl } = &t.delivery {
                        // The audio encoder configuration's group: its own sender, keyed by
                        // the audio hub as the video's is by its hub; one this PLAY starts
                        // begins with the video's first picture, as a unicast viewer does.
                        let (watch, go) = join_multicast_from(
                            shared,
                            &a,
                            (session.clone(), *group, *ttl),
                            video_start,
                        );
                        gates.extend(go);
                        delivery::first_packet(&watch).await
                    } else {
                        // Sound from the instant of the first picture (the cached IDR, up
                        // to a GOP ago), not from now (docs/rtsp.md, "Audio").
                        let viewer =
                            a.subscribe_from(peer.to_string(), Instant::now(), video_start);
                        let first = delivery::first_packet(&viewer.watch()).await;
                        started.push((t, viewer));
                        first
                    }
                } else {
                    // A track that went away since SETUP (its configuration changed) plays
                    // nothing; the others go on.
                    let Some(m) = shared.metadata.get(&stream) else {
                        continue;
                    };
                    if let Delivery::Multicast { group, ttl } = &t.delivery {
                        // The metadata configuration's group: its own sender, keyed by the
                        // metadata hub as the video's is by its hub.
                        let (watch, go) = join_multicast(shared, &m, session.clone(), *group, *ttl);
                        let first = delivery::metadata_first_packet(&m, &watch).await;
                        gates.extend(go);
                        Some(first)
                    } else {
                        let viewer = m.subscribe(peer.to_string(), Instant::now());
                        let first = delivery::metadata_first_packet(&m, &viewer.watch()).await;
                        started.push((t, viewer));
                        Some(first)
                    }
                };
                if let Some(first) = first {
                    info.push((t.track, first));
                }
            }
            if !info.is_empty() {
                reply = reply.header("RTP-Info", session::rtp_info(&req.uri, &info));
            }
            let sent = tx.send(Out::Reply(reply.to_bytes(), false)).await.is_ok();
            for go in gates {
                let _ = go.send(());
            }
            if !sent {
                return true;
            }
            let mut udp = Vec::new();
            for (t, viewer) in started {
                match t.delivery {
                    Delivery::Interleaved { rtp, rtcp } => {
                        let _ = tx
                            .send(Out::Attach {
                                session: session.clone(),
                                track: t.track,
                                viewer,
                                rtp,
                                rtcp,
                            })
                            .await;
                    }
                    Delivery::Udp { rtp, rtcp } => {
                        udp.push(Task::spawn(udp_viewer(shared.clone(), viewer, rtp, rtcp)));
                    }
                    Delivery::Multicast { .. } => {}
                }
            }
            if !udp.is_empty() {
                // Viewers this PLAY replaces stop as their tasks are dropped.
                lock(&shared.udp_viewers).insert(session, udp);
            }
            false
        }
        Some(Action::Pause { session }) | Some(Action::Teardown { session }) => {
            release(shared, &session);
            if req.method == Method::Teardown {
                shared.talk.end(&session, "TEARDOWN");
            } else {
                shared.talk.pause(&session);
            }
            let _ = tx.send(Out::Detach(session)).await;
            tx.send(Out::Reply(reply.to_bytes(), reply.close))
                .await
                .is_err()
                || reply.close
        }
        None => {
            tx.send(Out::Reply(reply.to_bytes(), reply.close))
                .await
                .is_err()
                || reply.close
        }
    }
}

/// A SETUP of the back channel: 453 while another session talks, else the state machine's
/// answer, claiming the slot for the session when it is 200. The slot stays locked across
/// both, so two SETUPs at once cannot both win.
fn talk_setup_reply(
    shared: &Shared,
    req: &Request,
    ctx: &Context,
    streams: &RegistryStreams<'_>,
) -> Reply {
    let mut slot = shared.talk.lock();
    let asker = req
        .header("Session")
        .map(|v| v.split(';').next().unwrap_or("").trim());
    if let Some(held) = slot.as_ref()
        && Some(held.session.as_str()) != asker
    {
        debug!(peer = %ctx.peer, "back channel busy: 453");
        return Reply::new(453, req.cseq);
    }
    let mut table = lock(&shared.sessions);
    let reply = session::handle(req, ctx, &mut table, streams);
    if reply.status == 200 {
        let id = reply
            .headers
            .iter()
            .find(|(n, _)| n == "Session")
            .and_then(|(_, v)| v.split(';').next());
        if let Some(s) = id.and_then(|id| table.get(id)) {
            let output = (shared.talk_paths.as_ref())
                .and_then(|on| (on.0)(&s.stream))
                .unwrap_or(0);
            shared
                .talk
                .claim(&mut slot, &s.id, s.timeout, ctx.now, output);
        }
    }
    reply
}

/// Stops a session's UDP viewer or leaves its multicast sender (stopping it when the last
/// session leaves). Interleaved viewers are detached through their connection's writer.
fn release(shared: &Shared, session: &str) {
    // Dropping a task stops it.
    drop(lock(&shared.udp_viewers).remove(session));
    let mut m = lock(&shared.multicast);
    m.retain(|_, sender| {
        sender.sessions.remove(session);
        !sender.sessions.is_empty()
    });
}

struct MulticastSender {
    /// Stops the sender when dropped.
    _task: Task,
    sessions: std::collections::HashSet<String>,
    /// The sender's queue, for the RTP-Info of members joining.
    watch: RtpWatch,
    /// The hub it sends. An audio hub is replaced when its configuration changes (a new
    /// packer): a sender whose hub is gone or is not the one a member joins is stale and
    /// is replaced, its sessions kept. Held weakly, so the sender keeps no hub alive, and
    /// its address is not reused while held.
    hub: Weak<dyn std::any::Any + Send + Sync>,
    /// Where it sends: a hub whose configuration now names another group (a metadata
    /// configuration changed in place) moves its sender there.
    to: (SocketAddr, u8),
}

impl MulticastSender {
    fn sends<T: Send + Sync + 'static>(&self, hub: &Arc<T>) -> bool {
        std::ptr::addr_eq(self.hub.as_ptr(), Arc::as_ptr(hub)) && self.hub.strong_count() > 0
    }
}

/// Prefix of the pseudo-sessions that keep a multicast sender running between ONVIF
/// StartMulticastStreaming and StopMulticastStreaming, one per path (`<prefix><path>`): two
/// profiles sharing an encoder share its sender, and stopping one leaves the other's running.
/// Real session ids are hex, so a pseudo-session never collides with one.
pub(crate) const MULTICAST_START_SESSION: &str = "onvif-start-multicast/";

fn start_session(stream: &str) -> String {
    format!("{MULTICAST_START_SESSION}{stream}")
}

/// A hub to multicast and where: (the server, the hub, its group and port, TTL).
type Group<H> = (Arc<Shared>, Arc<H>, SocketAddr, u8);

/// Why [`MulticastControl::start`] did not start a sender.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MulticastError {
    #[error("no stream {0:?}")]
    NoStream(String),
    #[error("stream {0:?} has no IPv4 multicast group")]
    NoGroup(String),
    #[error("the RTSP server has stopped")]
    Stopped,
}

/// Starts and stops a stream's multicast sender without an RTSP session (ONVIF Media
/// Start/StopMulticastStreaming): RTP goes to the stream's group and port, RTCP to port + 1,
/// with its TTL, until stopped. RTSP clients that SETUP multicast join the same sender.
/// The default one controls no server (RTSP disabled): every start answers `Stopped`.
#[derive(Clone, Debug, Default)]
pub struct MulticastControl {
    shared: Weak<Shared>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("rtsp::Shared")
    }
}

impl MulticastControl {
    /// Starts multicasting `stream` (a registry name) to its hub's group and holds it for
    /// that path until [`MulticastControl::stop`]; already running is fine.
    ///
    /// Every track of the path with a group is started: the video at its encoder
    /// configuration's, the metadata at its metadata configuration's (ONVIF Media2,
    /// StartMulticastStreaming: "all streams of the profile"). The video's error is the
    /// answer when no track has a group.
    pub(crate) fn start(&self, stream: &str) -> Result<(), MulticastError> {
        let metadata = self.track_group(|s| s.metadata.get(stream));
        let audio = self.track_group(|s| s.audio.get(stream));
        let video = self.resolve(stream);
        if let Err(e) = &video
            && metadata.is_none()
            && audio.is_none()
        {
            return Err(e.clone());
        }
        // No RTP-Info to announce: the senders start at once (their gates dropped).
        if let Ok((shared, hub, group, ttl)) = video {
            join_multicast(&shared, &hub, start_session(stream), group, ttl);
        }
        if let Some((shared, hub, group, ttl)) = metadata {
            join_multicast(&shared, &hub, start_session(stream), group, ttl);
        }
        if let Some((shared, hub, group, ttl)) = audio {
            join_multicast(&shared, &hub, start_session(stream), group, ttl);
        }
        Ok(())
    }

    /// A track of the path beside its video (`get` finds its hub) and the track's group, if
    /// it has both.
    fn track_group<P: crate::stream::Packer>(
        &self,
        get: impl FnOnce(&Shared) -> Option<Arc<crate::stream::StreamHub<P>>>,
    ) -> Option<Group<crate::stream::StreamHub<P>>> {
        let shared = self.shared.upgrade()?;
        let hub = get(&shared)?;
        let m = hub.description().multicast?;
        Some((
            shared,
            hub,
            SocketAddr::new(IpAddr::V4(m.group), m.port),
            m.ttl,
        ))
    }

    /// Follows the audio and metadata tracks after a change, keeping each sender's
    /// sessions:
    /// - a sender whose audio hub was replaced (its configuration changed: new codec, rate
    ///   or group) moves to the new hub and its group; one whose path lost its audio stops;
    /// - a metadata hub outlives its configuration's changes, so a sender whose metadata
    ///   configuration now names another group, port or TTL moves there (ONVIF Media,
    ///   SetMetadataConfiguration: "changes ... shall be immediately applied"); one whose
    ///   configuration lost its IPv4 group stops.
    ///
    /// Video hubs outlive their changes too; their encoder's change moves them
    /// ([`MulticastControl::restart`]).
    pub(crate) fn follow_tracks(&self) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let audio: Vec<Arc<crate::rtp::AudioHub>> = shared
            .audio
            .names()
            .into_iter()
            .filter_map(|n| shared.audio.get(&n))
            .collect();
        let stale: Vec<String> = lock(&shared.multicast)
            .iter()
            .filter(|(_, s)| s.hub.strong_count() == 0)
            .map(|(name, _)| name.clone())
            .collect();
        for name in stale {
            let Some(old) = lock(&shared.multicast).remove(&name) else {
                continue;
            };
            let MulticastSender { sessions, .. } = old; // the old sender stops here
            let Some(hub) = audio.iter().find(|h| h.name() == name) else {
                continue;
            };
            if let Some((group, ttl)) = group_of(hub.description().multicast) {
                for s in sessions {
                    join_multicast(&shared, hub, s, group, ttl);
                }
            }
        }
        for path in shared.metadata.names() {
            let Some(hub) = shared.metadata.get(&path) else {
                continue;
            };
            let to = group_of(hub.description().multicast);
            let moved = {
                let mut senders = lock(&shared.multicast);
                match senders.get(hub.name()) {
                    Some(s) if s.sends(&hub) && Some(s.to) != to => senders.remove(hub.name()),
                    _ => None,
                }
            };
            let Some(MulticastSender { sessions, .. }) = moved else {
                continue; // the old sender, if any, stops here
            };
            match to {
                Some((group, ttl)) => {
                    tracing::info!(track = %hub.name(), %group, "metadata multicast moved");
                    for s in sessions {
                        join_multicast(&shared, &hub, s, group, ttl);
                    }
                }
                None => tracing::info!(track = %hub.name(), "metadata multicast stopped"),
            }
        }
    }

    /// Replaces `stream`'s running sender by one to the hub's current group (after its
    /// configuration changed), keeping the sessions that hold it. Returns whether one ran.
    pub(crate) fn restart(&self, stream: &str) -> Result<bool, MulticastError> {
        let (shared, hub, group, ttl) = self.resolve(stream)?;
        let Some(old) = lock(&shared.multicast).remove(hub.name()) else {
            return Ok(false);
        };
        let MulticastSender { sessions, .. } = old; // the old sender stops here
        for s in sessions {
            join_multicast(&shared, &hub, s, group, ttl);
        }
        Ok(true)
    }

    fn resolve(
        &self,
        stream: &str,
    ) -> Result<(Arc<Shared>, Arc<RtpHub>, SocketAddr, u8), MulticastError> {
        let shared = self.shared.upgrade().ok_or(MulticastError::Stopped)?;
        let hub = shared
            .registry
            .get(stream)
            .ok_or_else(|| MulticastError::NoStream(stream.to_owned()))?;
        let m = hub
            .description()
            .multicast
            .ok_or_else(|| MulticastError::NoGroup(stream.to_owned()))?;
        Ok((
            shared,
            hub,
            SocketAddr::new(IpAddr::V4(m.group), m.port),
            m.ttl,
        ))
    }

    /// Stops what [`MulticastControl::start`] started for `stream` (RTSP multicast sessions
    /// and other paths of the same hub keep the sender). Returns whether it was started.
    pub(crate) fn stop(&self, stream: &str) -> bool {
        let Some(shared) = self.shared.upgrade() else {
            return false;
        };
        let hubs = [
            shared.registry.get(stream).map(|h| h.name().to_owned()),
            shared.metadata.get(stream).map(|h| h.name().to_owned()),
            shared.audio.get(stream).map(|h| h.name().to_owned()),
        ];
        let mut senders = lock(&shared.multicast);
        let mut was = false;
        for name in hubs.into_iter().flatten() {
            let Some(sender) = senders.get_mut(&name) else {
                continue;
            };
            was |= sender.sessions.remove(&start_session(stream));
            if sender.sessions.is_empty() {
                senders.remove(&name); // dropped: stops it
            }
        }
        was
    }
}

/// A track's multicast destination, from its hub's description: IPv4 group and port, TTL.
fn group_of(m: Option<crate::stream::MulticastConfig>) -> Option<(SocketAddr, u8)> {
    let m = m?;
    Some((SocketAddr::new(IpAddr::V4(m.group), m.port), m.ttl))
}

/// Adds `session` to the hub's multicast sender, starting it if needed. Keyed by hub, not
/// by path: two profiles sharing one encoder share one group and must share one sender.
/// Returns a watch on the sender's queue (where the group's next frame starts) and, when
/// this call started the sender, the gate that holds it until sent or dropped.
fn join_multicast<P: crate::stream::Packer<Unit = crate::rtp::h264::RtpFrame>>(
    shared: &Arc<Shared>,
    hub: &Arc<crate::stream::StreamHub<P>>,
    session: String,
    group: SocketAddr,
    ttl: u8,
) -> (RtpWatch, Option<oneshot::Sender<()>>) {
    join_multicast_from(shared, hub, (session, group, ttl), None)
}

/// As [`join_multicast`]; a sender it starts begins at capture time `from` (the audio of a
/// PLAY, at its video's first picture: `StreamHub::subscribe_from`).
fn join_multicast_from<P: crate::stream::Packer<Unit = crate::rtp::h264::RtpFrame>>(
    shared: &Arc<Shared>,
    hub: &Arc<crate::stream::StreamHub<P>>,
    (session, group, ttl): (String, SocketAddr, u8),
    from: Option<std::time::Duration>,
) -> (RtpWatch, Option<oneshot::Sender<()>>) {
    shared.multicast_total.fetch_add(1, Ordering::Relaxed);
    let mut m = lock(&shared.multicast);
    let mut gate = None;
    let sender = match m.entry(hub.name().to_owned()) {
        std::collections::hash_map::Entry::Occupied(e) if e.get().sends(hub) => {
            // The group is already sending: this member starts at the next IDR, so ask for
            // one (a new sender starts with the cached GOP instead).
            hub.request_keyframe(Instant::now());
            e.into_mut()
        }
        entry => {
            // A new sender, or one in place of a stale one (its hub replaced), which keeps
            // the stale one's sessions (dropped here: it stops).
            let viewer = hub.subscribe_from(format!("multicast {group}"), Instant::now(), from);
            let watch = viewer.watch();
            let (go, wait) = oneshot::channel();
            gate = Some(go);
            let hub_ref: Arc<dyn std::any::Any + Send + Sync> = hub.clone();
            let sender = MulticastSender {
                _task: Task::spawn(multicast_sender(shared.clone(), viewer, group, ttl, wait)),
                sessions: Default::default(),
                watch,
                hub: Arc::downgrade(&hub_ref),
                to: (group, ttl),
            };
            match entry {
                std::collections::hash_map::Entry::Occupied(mut e) => {
                    let old = e.insert(sender);
                    let s = e.into_mut();
                    s.sessions = old.sessions;
                    s
                }
                std::collections::hash_map::Entry::Vacant(e) => e.insert(sender),
            }
        }
    };
    sender.sessions.insert(session);
    (sender.watch.clone(), gate)
}

/// The one sender of a stream's multicast group: every packet is sent once, whatever the
/// number of receivers (RFC 3550 s11 port pair: RTP to `port`, RTCP to `port + 1`), paced
/// (`rtp::pacing`). It starts when `go` fires or is dropped: after the PLAY reply that
/// announced its first packet.
async fn multicast_sender(
    shared: Arc<Shared>,
    viewer: RtpViewer,
    group: SocketAddr,
    ttl: u8,
    go: oneshot::Receiver<()>,
) {
    let _ = go.await;
    let bind = match shared.bind_ip {
        IpAddr::V4(ip) if !ip.is_loopback() => IpAddr::V4(ip),
        _ => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
    };
    let sock = match UdpSocket::bind((bind, 0)).await {
        Ok(s) => s,
        Err(e) => {
            warn!(%e, "multicast socket");
            return;
        }
    };
    let _ = sock.set_multicast_ttl_v4(u32::from(ttl));
    // GSO as the unicast socket has it: off with the configuration's `udp_gso` (or
    // `NVT_UDP_GSO=0`) or on a kernel without it; this socket probes its own and falls back
    // to plain sendmmsg when a send is refused (`RtpSocket`). The kernel segments before
    // the multicast route's device, so the group gets one datagram per RTP packet.
    let sock = RtpSocket::new(sock, shared.rtp.gso());
    let dest = UdpDest {
        rtp: &sock,
        rtp_to: group,
        rtcp: &sock,
        rtcp_to: SocketAddr::new(group.ip(), group.port().wrapping_add(1)),
    };
    let reports = SrSchedule::new(SR_INTERVAL, shared.cname.clone());
    delivery::send_udp(viewer, dest, reports).await;
}

struct Attached {
    session: String,
    /// Which of the session's tracks (one entry per track played).
    track: u8,
    viewer: RtpViewer,
    rtp: u8,
    rtcp: u8,
    reports: SrSchedule,
    /// Its direct sink (`direct_write`), when the publisher may write its frames.
    direct: Option<Arc<ViewerSink>>,
    /// Names it in a half-written direct frame (`direct_write::Partial`).
    id: u64,
}

/// The next frame of any attached session (RFC 2326 s10.12: several sessions may share one
/// connection, each on its own channels), starting the search at `first` so that no session
/// starves the others. Pending for ever when nothing is attached.
///
/// `armed`: the session whose writer just sent a frame and saw its queue empty
/// (`Viewer::sent_armed`) in this same poll of the task; the first poll skips its look.
async fn next_frame(
    active: &[Attached],
    first: usize,
    armed: Option<usize>,
) -> (
    usize,
    Result<Arc<crate::rtp::h264::RtpFrame>, crate::stream::Kicked>,
) {
    // The usual connection plays one track: wait on it alone, without the boxed futures
    // below (an allocation per frame per viewer).
    if let [only] = active {
        return (0, only.viewer.next_armed(armed == Some(0)).await);
    }
    let n = active.len();
    let mut futs: Vec<_> = (0..n)
        .map(|k| {
            let i = (first + k) % n;
            (i, Box::pin(active[i].viewer.next()))
        })
        .collect();
    std::future::poll_fn(|cx| {
        for (i, f) in futs.iter_mut() {
            if let std::task::Poll::Ready(r) = f.as_mut().poll(cx) {
                return std::task::Poll::Ready((*i, r));
            }
        }
        std::task::Poll::Pending
    })
    .await
}

enum Next {
    /// A direct write was short: its rest is the writer's to finish.
    Resume,
    Control(Control),
    Msg(Option<Out>),
    Frame(
        usize,
        Result<Arc<crate::rtp::h264::RtpFrame>, crate::stream::Kicked>,
    ),
}

/// How many frames in a row a connection's writer takes before it looks at its replies and
/// controls first (`writer_task`).
const FRAMES_BEFORE_CHANNELS: usize = 8;

/// Owns a connection's write half: replies in order, interleaved RTP of every playing
/// session, and [`Control`] from shared tasks. Every write is bounded in time: replies by
/// [`Limits::write_timeout`], frames by the viewer's lag bound (it is kicked).
///
/// With a `link` (a bare TCP socket), the publisher writes the frames of a viewer that keeps
/// up itself (`direct_write`); this task takes the socket from it for each of its own writes
/// ([`claim_socket`]) and finishes any frame a direct write left half-written.
async fn writer_task<W: AsyncWrite + Unpin>(
    mut wr: W,
    mut rx: mpsc::Receiver<Out>,
    mut ctl: mpsc::UnboundedReceiver<Control>,
    shared: Arc<Shared>,
    link: Option<Arc<DirectLink>>,
) {
    let shared_link = link;
    let link = shared_link.as_deref();
    let mut next_id = 0u64;
    let mut active: Vec<Attached> = Vec::with_capacity(MAX_SESSIONS_PER_CONNECTION);
    // Sessions that expired, so that an Attach still queued behind a stuck reply is dropped.
    let mut expired: std::collections::VecDeque<String> = Default::default();
    let mut turn = 0usize;
    // Frames taken in a row without looking at the channels first (see below).
    let mut streak = 0usize;
    // The session whose queue `Viewer::sent_armed` saw empty just now (see `next_frame`).
    let mut armed: Option<usize> = None;
    loop {
        // A frame first: the usual wake-up is the hub's, for one frame, and looking at the two
        // channels before it costs two polls of each per frame per viewer (a take and a
        // waker registration each, issue 20); when no frame is ready they are polled anyway,
        // which registers their wake-ups before the task sleeps. Every
        // [`FRAMES_BEFORE_CHANNELS`] frames in a row the channels go first, so a writer with
        // a backlog still answers requests and expiries between frames.
        let frames_first = streak < FRAMES_BEFORE_CHANNELS;
        let next = tokio::select! {
            biased;
            // The publisher wakes this task through the viewer's queue after a short direct
            // write (`Queue::offer_direct`); looked at on every poll, it costs a load.
            () = direct_pending(link), if link.is_some() => Next::Resume,
            (i, f) = next_frame(&active, turn, armed), if frames_first && !active.is_empty() => Next::Frame(i, f),
            Some(c) = ctl.recv() => Next::Control(c),
            m = rx.recv() => Next::Msg(m),
            (i, f) = next_frame(&active, turn, armed), if !frames_first && !active.is_empty() => Next::Frame(i, f),
        };
        armed = None;
        streak = match next {
            Next::Frame(..) if frames_first => streak + 1,
            _ => 0,
        };
        match next {
            Next::Resume => {
                if !claim_socket(link, &mut wr, &active, &shared).await {
                    break;
                }
                release_socket(link);
            }
            Next::Control(Control::Expired(session)) => {
                active.retain(|a| a.session != session);
                if expired.len() >= 4 * MAX_SESSIONS_PER_CONNECTION {
                    expired.pop_front();
                }
                expired.push_back(session);
            }
            Next::Control(Control::Write(bytes)) => {
                if !claim_socket(link, &mut wr, &active, &shared).await {
                    break;
                }
                let ok = write_timed(&shared, &mut wr, &bytes).await;
                release_socket(link);
                if !ok {
                    break;
                }
            }
            Next::Msg(None) => break,
            Next::Msg(Some(Out::Reply(bytes, close))) => {
                if !claim_socket(link, &mut wr, &active, &shared).await {
                    break;
                }
                let ok = write_timed(&shared, &mut wr, &bytes).await;
                release_socket(link);
                if !ok || close {
                    break;
                }
            }
            Next::Msg(Some(Out::Attach {
                session,
                track,
                viewer,
                rtp,
                rtcp,
            })) => {
                if expired.contains(&session) {
                    continue;
                }
                active.retain(|a| a.session != session || a.track != track);
                next_id += 1;
                // After the PLAY reply (written before this Attach): the publisher may write
                // this viewer's frames from now on, on the shared bytes' channel only.
                let direct = shared_link
                    .as_ref()
                    .filter(|_| rtp == WIRE_CHANNEL)
                    .map(|l| Arc::new(ViewerSink::new(l.clone(), next_id, SR_INTERVAL)));
                if let Some(d) = &direct {
                    viewer.set_direct(Some(d.clone()));
                }
                active.push(Attached {
                    session,
                    track,
                    viewer,
                    rtp,
                    rtcp,
                    reports: SrSchedule::new(SR_INTERVAL, shared.cname.clone()),
                    direct,
                    id: next_id,
                });
            }
            Next::Msg(Some(Out::Detach(session))) => {
                active.retain(|a| a.session != session);
            }
            Next::Frame(_, Err(_)) => {
                debug!("interleaved viewer kicked: lag bound");
                break;
            }
            Next::Frame(i, Ok(f)) => {
                turn = i + 1;
                if !claim_socket(link, &mut wr, &active, &shared).await {
                    break;
                }
                let Some(a) = active.get_mut(i) else {
                    release_socket(link);
                    continue;
                };
                // Timed by the frame's capture time: no clock read per frame per viewer.
                let sr = a.reports.report_by_capture(&f);
                // Biased, the write first: on loopback or a LAN it nearly always completes
                // on its first poll, and then the kick's wake-up is never registered (a
                // waiter list's lock and unlock per frame per viewer, issue 20).
                let written = tokio::select! {
                    biased;
                    r = delivery::write_interleaved(&mut wr, &f, sr.as_ref(), (a.rtp, a.rtcp)) => r.ok(),
                    _ = a.viewer.kicked() => None,
                };
                // The report schedule as the direct write must see it, before the frame is
                // reported sent (which lets the publisher write the next one).
                if let Some(d) = &a.direct {
                    d.follow(&a.reports);
                }
                release_socket(link);
                let Some(total) = written else { break };
                // With nothing queued behind it, the next `next_frame` sleeps at once (one
                // lock for the report and the look, not two).
                if a.viewer.sent_armed(total) {
                    armed = Some(i);
                }
            }
        }
    }
    if let Some(l) = link {
        l.close();
    }
    drop(active);
    let _ = tokio::time::timeout(std::time::Duration::from_millis(200), wr.shutdown()).await;
}

/// Resolves while a short direct write waits for the writer (see `writer_task`'s select).
fn direct_pending(link: Option<&DirectLink>) -> impl Future<Output = ()> + '_ {
    std::future::poll_fn(move |_| match link {
        Some(l) if l.is_pending() => std::task::Poll::Ready(()),
        _ => std::task::Poll::Pending,
    })
}

/// Takes the socket from the direct write for one of the writer's writes (`direct_write`),
/// first finishing a frame a direct write left half-written (bounded by
/// [`Limits::write_timeout`]) and reporting it sent. False if that failed: the connection is
/// done. Pair with [`release_socket`].
async fn claim_socket<W: AsyncWrite + Unpin>(
    link: Option<&DirectLink>,
    wr: &mut W,
    active: &[Attached],
    shared: &Shared,
) -> bool {
    let Some(p) = link.and_then(|l| l.claim()) else {
        return true;
    };
    if !write_timed(shared, wr, &p.rest).await {
        return false;
    }
    if let Some(a) = active.iter().find(|a| a.id == p.viewer) {
        a.viewer.sent(p.total);
    }
    true
}

/// The writer's write is done ([`claim_socket`]).
fn release_socket(link: Option<&DirectLink>) {
    if let Some(l) = link {
        l.release();
    }
}

/// Sends one viewer's frames over the server's shared UDP pair until its task is dropped
/// or the viewer is kicked.
async fn udp_viewer(shared: Arc<Shared>, viewer: RtpViewer, rtp: SocketAddr, rtcp_to: SocketAddr) {
    let dest = UdpDest {
        rtp: &shared.rtp,
        rtp_to: rtp,
        rtcp: &shared.rtcp,
        rtcp_to,
    };
    let reports = SrSchedule::new(SR_INTERVAL, shared.cname.clone());
    delivery::send_udp(viewer, dest, reports).await;
}

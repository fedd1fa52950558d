//! The RTSP 1.0 session state machine (RFC 2326 s10, appendix A), sans-IO.
//!
//! [`handle`] takes one request, the connection's context and the server-wide
//! [`SessionTable`], and returns the [`Reply`] plus at most one [`Action`] for the shell
//! (start or stop a viewer). It does no IO and reads no clock: time comes in `Context::now`.
//!
//! Security rules enforced here:
//! - session ids carry [`SESSION_ID_BYTES`] random bytes (>= 64 bits; RFC 2326 s12.37 wants
//!   them unguessable) from the OS-seeded CSPRNG;
//! - a session is bound to the connection and the user that created it; a `Session` header
//!   naming another connection's or another user's session is answered 454 exactly like an
//!   unknown one, so ids cannot be probed (the live555 CVE-2026-41470 class of bug);
//! - RTP is only ever sent to the requester's own address: a unicast `destination=` naming
//!   another host is refused with 403 (RFC 2326 s16 "stream redirection" attack).

use std::collections::HashMap;
use std::fmt::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rtsp_types::Method;

use super::limits::{MAX_SESSIONS_PER_CONNECTION, SESSION_ID_BYTES};
use super::message::Request;
use super::sdp;
use super::sdp::StreamParams;
use super::transport::{self, Lower, TransportSpec};

/// Identifies one client connection (or one HTTP tunnel) for the lifetime of the server.
pub(crate) type ConnId = u64;

/// Methods we implement, as listed in `Public` (RFC 2326 s12.28).
pub(crate) const PUBLIC: &str =
    "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER";

/// Where a session's RTP goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// `$`-framed on the RTSP connection (RFC 2326 s10.12).
    Interleaved { rtp: u8, rtcp: u8 },
    /// UDP unicast to the requester's address.
    Udp { rtp: SocketAddr, rtcp: SocketAddr },
    /// The stream's multicast group (one sender per stream, shared by its sessions).
    Multicast { group: SocketAddr, ttl: u8 },
}

/// RFC 2326 appendix A server states (Init is "no session").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Ready,
    Playing,
}

/// One track a session has set up, and where its RTP goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetupTrack {
    /// `TrackKind::id` of the track (its `trackID=`).
    pub track: u8,
    pub delivery: Delivery,
}

/// One session: a stream and the tracks of it the client set up (RFC 2326 s10.4: one
/// SETUP per track, all under one session, played and torn down together by the aggregate
/// URL).
#[derive(Clone, Debug)]
pub struct Session {
    pub id: String,
    pub owner: ConnId,
    pub user: Option<String>,
    pub stream: String,
    /// The tracks set up, in track id order; never empty.
    pub tracks: Vec<SetupTrack>,
    pub state: State,
    pub last_seen: Instant,
    /// The timeout announced in this session's SETUP (RFC 2326 s12.37) and enforced on it.
    /// Fixed for the session's life: a later change of the stream's timeout applies to
    /// sessions set up after it, never to one already told another value.
    pub timeout: Duration,
}

/// All sessions of the server.
#[derive(Debug, Default)]
pub struct SessionTable {
    sessions: HashMap<String, Session>,
}

impl SessionTable {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Session> {
        self.sessions.get(id)
    }

    /// Marks a session alive (a request or an RTCP packet from its receiver, s12.37).
    pub(crate) fn touch(&mut self, id: &str, now: Instant) {
        if let Some(s) = self.sessions.get_mut(id) {
            s.last_seen = now;
        }
    }

    /// Marks alive the session whose UDP receiver sends RTCP from `from`.
    pub(crate) fn touch_udp_source(&mut self, from: SocketAddr, now: Instant) -> bool {
        let mut hit = false;
        for s in self.sessions.values_mut() {
            let from_receiver = s.tracks.iter().any(|t| {
                matches!(t.delivery, Delivery::Udp { rtp, rtcp } if rtcp == from || rtp == from)
            });
            if from_receiver {
                s.last_seen = now;
                hit = true;
            }
        }
        hit
    }

    /// Removes and returns the sessions idle longer than their own timeout.
    pub fn expire(&mut self, now: Instant) -> Vec<Session> {
        let dead: Vec<String> = self
            .sessions
            .values()
            .filter(|s| now.duration_since(s.last_seen) > s.timeout)
            .map(|s| s.id.clone())
            .collect();
        dead.iter()
            .filter_map(|id| self.sessions.remove(id))
            .collect()
    }

    /// Removes and returns every session of a connection (it closed).
    pub(crate) fn remove_conn(&mut self, conn: ConnId) -> Vec<Session> {
        let ids: Vec<String> = self
            .sessions
            .values()
            .filter(|s| s.owner == conn)
            .map(|s| s.id.clone())
            .collect();
        ids.iter()
            .filter_map(|id| self.sessions.remove(id))
            .collect()
    }

    fn count_conn(&self, conn: ConnId) -> usize {
        self.sessions.values().filter(|s| s.owner == conn).count()
    }

    /// True if the connection owns any session.
    pub(crate) fn has_conn(&self, conn: ConnId) -> bool {
        self.sessions.values().any(|s| s.owner == conn)
    }

    /// Marks alive every session of a connection (any request or interleaved RTCP on it).
    pub(crate) fn touch_conn(&mut self, conn: ConnId, now: Instant) {
        for s in self.sessions.values_mut().filter(|s| s.owner == conn) {
            s.last_seen = now;
        }
    }
}

/// What the state machine knows about the request's origin.
#[derive(Clone, Debug)]
pub struct Context {
    pub conn: ConnId,
    pub peer: IpAddr,
    /// Our address as the client reached it (SDP origin).
    pub local: IpAddr,
    /// The authenticated user, if authentication is on.
    pub user: Option<String>,
    pub now: Instant,
    /// The server's UDP RTP/RTCP port pair.
    pub server_ports: (u16, u16),
    /// Session timeout announced in SETUP for a stream without its own
    /// ([`StreamParams::session_timeout`]).
    pub session_timeout: Duration,
}

/// The streams the machine may serve; implemented over the `StreamRegistry` by the shell.
pub trait Streams {
    /// Parameters of a stream, or `None` if there is no such stream.
    fn params(&self, name: &str) -> Option<StreamParams>;
}

/// What the shell must do besides sending the reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Start sending every set-up track of `stream` to the session; add `RTP-Info` (one
    /// entry per track) to the reply.
    Play {
        session: String,
        stream: String,
        tracks: Vec<SetupTrack>,
    },
    /// Stop sending, keep the session.
    Pause { session: String },
    /// Stop sending and forget the session.
    Teardown { session: String },
}

/// A response to write (RFC 2326 s7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub cseq: Option<u32>,
    pub headers: Vec<(String, String)>,
    pub body: Option<(&'static str, String)>,
    pub action: Option<Action>,
    /// Close the connection after writing.
    pub close: bool,
}

impl Reply {
    pub fn new(status: u16, cseq: Option<u32>) -> Self {
        Self {
            status,
            cseq,
            headers: Vec::new(),
            body: None,
            action: None,
            close: false,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    #[cfg(test)]
    pub(crate) fn get_header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Serializes as an RTSP/1.0 response.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = String::with_capacity(256);
        let _ = write!(s, "RTSP/1.0 {} {}\r\n", self.status, reason(self.status));
        if let Some(c) = self.cseq {
            let _ = write!(s, "CSeq: {c}\r\n");
        }
        s.push_str("Server: nvt\r\n");
        for (n, v) in &self.headers {
            let _ = write!(s, "{n}: {v}\r\n");
        }
        match &self.body {
            Some((ct, body)) => {
                let _ = write!(
                    s,
                    "Content-Type: {ct}\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
            }
            None => s.push_str("\r\n"),
        }
        s.into_bytes()
    }
}

/// Reason phrases of RFC 2326 s7.1.1.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Request Entity Too Large",
        451 => "Parameter Not Understood",
        453 => "Not Enough Bandwidth",
        454 => "Session Not Found",
        455 => "Method Not Valid in This State",
        459 => "Aggregate Operation Not Allowed",
        461 => "Unsupported Transport",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        551 => "Option not supported",
        505 => "RTSP Version Not Supported",
        _ => "Unknown",
    }
}

/// The stream a request URI addresses:
/// `rtsp://host[:port]/<name>[/multicast][/trackID=<n>][/]`. Returns the name and whether the
/// URI is a track (rather than the aggregate) URL.
pub(crate) fn stream_of_uri(uri: &str) -> Option<(String, bool)> {
    let (path, track, _) = parse_uri_path(uri)?;
    Some((path.to_owned(), track.is_some()))
}

/// The track a request URI names (`.../trackID=<n>`), `None` for the aggregate URL.
pub(crate) fn track_of_uri(uri: &str) -> Option<u8> {
    parse_uri_path(uri).and_then(|(_, track, _)| track)
}

/// Whether the URI is a stream's multicast URL, `rtsp://host/<name>/multicast`: its DESCRIBE
/// carries the group, port and TTL (see [`sdp::describe`]).
pub(crate) fn is_multicast_uri(uri: &str) -> bool {
    parse_uri_path(uri).is_some_and(|(_, _, multicast)| multicast)
}

/// (stream name, track id of a track URL, multicast URL?) of a request URI.
fn parse_uri_path(uri: &str) -> Option<(&str, Option<u8>, bool)> {
    let rest = uri
        .strip_prefix("rtsp://")
        .or_else(|| uri.strip_prefix("rtsps://"))
        .or_else(|| uri.strip_prefix("RTSP://"))?;
    let path = rest.split_once('/').map(|(_, p)| p).unwrap_or("");
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = path.trim_end_matches('/');
    let (path, track) = match path.rsplit_once(sdp::TRACK_CONTROL_PREFIX) {
        Some((p, n))
            if (p.is_empty() || p.ends_with('/'))
                && !n.is_empty()
                && n.len() <= 3
                && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            match n.parse::<u8>() {
                Ok(id) => (p.trim_end_matches('/'), Some(id)),
                Err(_) => (path, None),
            }
        }
        _ => (path, None),
    };
    let (path, multicast) = match path.strip_suffix(MULTICAST_SUFFIX) {
        Some(p) if !p.is_empty() => (p, true),
        _ => (path, false),
    };
    if path.is_empty() {
        return None;
    }
    Some((path, track, multicast))
}

/// Last path segment of a stream's multicast URL.
pub(crate) const MULTICAST_SUFFIX: &str = "/multicast";

/// How long a PLAY waits for the first frame of its viewer before answering, when nothing is
/// cached to start from (a stream not yet sending, or reconfigured and waiting for its next
/// IDR): `RTP-Info` names that frame's first packet, which does not exist before then. About
/// one default GOP (2 s); past it, the reply goes without `RTP-Info` rather than with a guess.
pub(crate) const RTP_INFO_WAIT: Duration = Duration::from_secs(2);

/// The PLAY reply's `RTP-Info` (RFC 2326 s12.33, RFC 7826 s18.45) for a request to
/// `request_uri`: per track played (`entries`: its id and first packet), the track's URL and
/// the sequence number and RTP timestamp of the very first packet the client will get on it
/// from this PLAY on, entries separated by commas. Clients set their timestamp base from
/// `rtptime` (ffmpeg's `base_timestamp`, GStreamer's `clock-base`) and drop packets before
/// `seq` (GStreamer's `seqnum-base`): both must be that packet's, not the stream's position.
pub fn rtp_info(request_uri: &str, entries: &[(u8, (u16, u32))]) -> String {
    // The aggregate URL: the request's, less the track it may name (a PLAY of a track URL).
    let base = match parse_uri_path(request_uri) {
        Some((_, Some(_), _)) => {
            let trimmed = request_uri.trim_end_matches('/');
            trimmed
                .rsplit_once(sdp::TRACK_CONTROL_PREFIX)
                .map_or(trimmed, |(b, _)| b)
                .trim_end_matches('/')
        }
        _ => request_uri.trim_end_matches('/'),
    };
    let mut out = String::new();
    for (i, (track, (seq, rtptime))) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "url={base}/{};seq={seq};rtptime={rtptime}",
            sdp::track_control(*track)
        );
    }
    out
}

fn session_header(req: &Request) -> Option<&str> {
    req.header("Session")
        .map(|v| v.split(';').next().unwrap_or("").trim())
}

/// A fresh session id: [`SESSION_ID_BYTES`] random bytes as upper-case hex.
pub(crate) fn new_session_id() -> String {
    let bytes: [u8; SESSION_ID_BYTES] = rand::random();
    bytes.iter().fold(String::with_capacity(24), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

/// Handles one request.
pub fn handle(
    req: &Request,
    ctx: &Context,
    table: &mut SessionTable,
    streams: &dyn Streams,
) -> Reply {
    let Some(cseq) = req.cseq else {
        // RFC 2326 s12.17: CSeq is mandatory; without it we cannot even answer in order.
        return Reply::new(400, None);
    };
    table.touch_conn(ctx.conn, ctx.now);
    match req.method {
        Method::Options => Reply::new(200, Some(cseq)).header("Public", PUBLIC),
        Method::Describe => describe(req, cseq, ctx, streams),
        Method::Setup => setup(req, cseq, ctx, table, streams),
        Method::Play => play(req, cseq, ctx, table),
        Method::Pause => pause(req, cseq, ctx, table),
        Method::Teardown => teardown(req, cseq, ctx, table),
        Method::GetParameter | Method::SetParameter => {
            if let Some(id) = session_header(req) {
                if owned(table, id, ctx).is_none() {
                    return Reply::new(454, Some(cseq));
                }
                table.touch(id, ctx.now);
            }
            if req.method == Method::SetParameter && !req.body.is_empty() {
                return Reply::new(451, Some(cseq));
            }
            let mut r = Reply::new(200, Some(cseq));
            if let Some(id) = session_header(req) {
                r = r.header("Session", id);
            }
            r
        }
        Method::Extension(_) => Reply::new(501, Some(cseq)).header("Public", PUBLIC),
        _ => Reply::new(405, Some(cseq)).header("Allow", PUBLIC),
    }
}

/// The session `id` if it exists and belongs to this connection and user.
fn owned<'a>(table: &'a SessionTable, id: &str, ctx: &Context) -> Option<&'a Session> {
    table
        .get(id)
        .filter(|s| s.owner == ctx.conn && s.user == ctx.user)
}

fn describe(req: &Request, cseq: u32, ctx: &Context, streams: &dyn Streams) -> Reply {
    let Some((name, _)) = stream_of_uri(&req.uri) else {
        return Reply::new(404, Some(cseq));
    };
    let Some(params) = streams.params(&name) else {
        return Reply::new(404, Some(cseq));
    };
    let multicast = is_multicast_uri(&req.uri);
    // A stream none of whose tracks has a group has no multicast URL.
    if multicast && !params.has_multicast() {
        return Reply::new(404, Some(cseq));
    }
    let origin = ctx.local.to_string();
    let body = sdp::describe(&params, &name, &origin, u64::from(params.ssrc), multicast);
    let base = format!("{}/", req.uri.trim_end_matches('/'));
    let mut r = Reply::new(200, Some(cseq)).header("Content-Base", base);
    r.body = Some(("application/sdp", body));
    r
}

fn setup(
    req: &Request,
    cseq: u32,
    ctx: &Context,
    table: &mut SessionTable,
    streams: &dyn Streams,
) -> Reply {
    let Some((name, _)) = stream_of_uri(&req.uri) else {
        return Reply::new(404, Some(cseq));
    };
    let Some(params) = streams.params(&name) else {
        return Reply::new(404, Some(cseq));
    };
    // The aggregate URL sets up the video, as it always has (clients that SETUP the URL
    // they were given get exactly what they got before there were tracks); a presentation
    // without video, its first track.
    let track = track_of_uri(&req.uri).unwrap_or_else(|| params.first_track());
    let Some(ssrc) = params.track_ssrc(track) else {
        return Reply::new(404, Some(cseq));
    };
    let existing = match session_header(req) {
        Some(id) => match owned(table, id, ctx) {
            None => return Reply::new(454, Some(cseq)),
            Some(s) if s.stream != name => return Reply::new(459, Some(cseq)),
            Some(s) if s.state == State::Playing => return Reply::new(455, Some(cseq)),
            Some(s) => Some(s.id.clone()),
        },
        None => None,
    };
    if existing.is_none() && table.count_conn(ctx.conn) >= MAX_SESSIONS_PER_CONNECTION {
        return Reply::new(453, Some(cseq));
    }
    let Some(header) = req.header("Transport") else {
        return Reply::new(400, Some(cseq));
    };
    let Ok(specs) = transport::parse(header) else {
        return Reply::new(400, Some(cseq));
    };
    // Interleaved channels of the connection's other sessions and of this session's other
    // tracks: each needs its own (RFC 2326 s10.12: the channel is all that tells one
    // stream's packets from another's).
    let taken: Vec<u8> = table
        .sessions
        .values()
        .filter(|s| s.owner == ctx.conn)
        .flat_map(|s| {
            let this = Some(&s.id) == existing.as_ref();
            s.tracks.iter().filter(move |t| !(this && t.track == track))
        })
        .filter_map(|t| match t.delivery {
            Delivery::Interleaved { rtp, rtcp } => Some([rtp, rtcp]),
            _ => None,
        })
        .flatten()
        .collect();
    // Each track is multicast to its own group (the video's is the encoder
    // configuration's, the metadata's the metadata configuration's), if it has one.
    let multicast = params.track_multicast(track);
    let mut forbidden = false;
    let mut chosen: Option<(Delivery, String)> = None;
    for spec in &specs {
        match pick(spec, ctx, multicast, ssrc, &taken) {
            Pick::Use(d, echo) => {
                chosen = Some((d, echo));
                break;
            }
            Pick::Forbidden => forbidden = true,
            Pick::Skip => {}
        }
    }
    let Some((delivery, echo)) = chosen else {
        return Reply::new(if forbidden { 403 } else { 461 }, Some(cseq));
    };
    let (id, timeout) = match existing {
        Some(id) => {
            // A repeated SETUP keeps the timeout the session was first told.
            let mut timeout = ctx.session_timeout;
            if let Some(s) = table.sessions.get_mut(&id) {
                match s.tracks.iter_mut().find(|t| t.track == track) {
                    Some(t) => t.delivery = delivery,
                    None => {
                        s.tracks.push(SetupTrack { track, delivery });
                        s.tracks.sort_by_key(|t| t.track);
                    }
                }
                s.last_seen = ctx.now;
                timeout = s.timeout;
            }
            (id, timeout)
        }
        None => {
            // ONVIF Media: the video encoder configuration's SessionTimeout is "the rtsp
            // session timeout for the related video stream".
            let timeout = params.session_timeout.unwrap_or(ctx.session_timeout);
            let id = new_session_id();
            table.sessions.insert(
                id.clone(),
                Session {
                    id: id.clone(),
                    owner: ctx.conn,
                    user: ctx.user.clone(),
                    stream: name,
                    tracks: vec![SetupTrack { track, delivery }],
                    state: State::Ready,
                    last_seen: ctx.now,
                    timeout,
                },
            );
            (id, timeout)
        }
    };
    // RFC 2326 s12.37: `timeout` is in whole seconds; the stream's value is whole seconds
    // (xs:duration bounded in onvif::media), a sub-second test limit rounds up, never to 0.
    let secs = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
    Reply::new(200, Some(cseq))
        .header("Transport", echo)
        .header("Session", format!("{id};timeout={secs}"))
}

enum Pick {
    Use(Delivery, String),
    Forbidden,
    Skip,
}

/// The delivery `spec` asks for, if acceptable: `multicast` is the track's group (none:
/// multicast is refused), `ssrc` the track's.
fn pick(
    spec: &TransportSpec,
    ctx: &Context,
    multicast: Option<crate::stream::MulticastConfig>,
    ssrc: u32,
    taken_channels: &[u8],
) -> Pick {
    if !spec.is_play() {
        return Pick::Skip;
    }
    if spec.multicast {
        // The operator configures the group per stream; a client's destination/port/ttl are
        // ignored, never obeyed (RFC 2326 s12.39 lets the server choose).
        let Some(m) = multicast.filter(|_| spec.lower == Some(Lower::Udp)) else {
            return Pick::Skip;
        };
        return Pick::Use(
            Delivery::Multicast {
                group: SocketAddr::new(m.group.into(), m.port),
                ttl: m.ttl,
            },
            transport::multicast_reply(m.group, m.port, m.ttl, ssrc),
        );
    }
    if let Some(dest) = &spec.destination
        && dest.parse::<IpAddr>().ok() != Some(ctx.peer)
    {
        return Pick::Forbidden;
    }
    match spec.lower {
        Some(Lower::Tcp) => {
            let (rtp, rtcp) = match spec.interleaved {
                // Channels another session of this connection uses: not this transport.
                Some((a, b)) if taken_channels.contains(&a) || taken_channels.contains(&b) => {
                    return Pick::Skip;
                }
                Some(pair) => pair,
                // The lowest free even/odd pair (at most MAX_SESSIONS_PER_CONNECTION are taken).
                None => match (0..=254u8)
                    .step_by(2)
                    .find(|n| !taken_channels.contains(n) && !taken_channels.contains(&(n + 1)))
                {
                    Some(n) => (n, n + 1),
                    None => return Pick::Skip,
                },
            };
            Pick::Use(
                Delivery::Interleaved { rtp, rtcp },
                spec.interleaved_reply((rtp, rtcp)),
            )
        }
        Some(Lower::Udp) => {
            let Some((a, b)) = spec.client_port else {
                return Pick::Skip;
            };
            if a == 0 {
                return Pick::Skip;
            }
            Pick::Use(
                Delivery::Udp {
                    rtp: SocketAddr::new(ctx.peer, a),
                    rtcp: SocketAddr::new(ctx.peer, b),
                },
                transport::udp_reply((a, b), ctx.server_ports, ssrc),
            )
        }
        None => Pick::Skip,
    }
}

/// The session a PLAY/PAUSE/TEARDOWN addresses, or the error reply.
// The error is the reply to send (built once per failed request, not a hot path), so boxing
// it would buy nothing.
#[allow(clippy::result_large_err)]
fn target(req: &Request, cseq: u32, ctx: &Context, table: &SessionTable) -> Result<String, Reply> {
    let Some(id) = session_header(req) else {
        // No session on this request: a method that needs one, in state Init (appendix A).
        return Err(Reply::new(455, Some(cseq)));
    };
    let Some(s) = owned(table, id, ctx) else {
        return Err(Reply::new(454, Some(cseq)));
    };
    match stream_of_uri(&req.uri) {
        Some((name, _)) if name == s.stream => Ok(s.id.clone()),
        // RFC 2326 s10.5: the URI must name the session's presentation or its stream.
        _ => Err(Reply::new(459, Some(cseq))),
    }
}

fn play(req: &Request, cseq: u32, ctx: &Context, table: &mut SessionTable) -> Reply {
    let id = match target(req, cseq, ctx, table) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let Some(s) = table.sessions.get_mut(&id) else {
        return Reply::new(454, Some(cseq));
    };
    s.last_seen = ctx.now;
    let mut r = Reply::new(200, Some(cseq))
        .header("Session", id.clone())
        .header("Range", "npt=now-");
    if s.state == State::Ready {
        s.state = State::Playing;
        r.action = Some(Action::Play {
            session: id,
            stream: s.stream.clone(),
            tracks: s.tracks.clone(),
        });
    }
    r
}

fn pause(req: &Request, cseq: u32, ctx: &Context, table: &mut SessionTable) -> Reply {
    let id = match target(req, cseq, ctx, table) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let Some(s) = table.sessions.get_mut(&id) else {
        return Reply::new(454, Some(cseq));
    };
    let mut r = Reply::new(200, Some(cseq)).header("Session", id.clone());
    if s.state == State::Playing {
        s.state = State::Ready;
        r.action = Some(Action::Pause { session: id });
    }
    r
}

fn teardown(req: &Request, cseq: u32, ctx: &Context, table: &mut SessionTable) -> Reply {
    let id = match target(req, cseq, ctx, table) {
        Ok(id) => id,
        Err(r) => return r,
    };
    table.sessions.remove(&id);
    let mut r = Reply::new(200, Some(cseq));
    r.action = Some(Action::Teardown { session: id });
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn rtp_info_names_the_track_and_the_first_packet() {
        assert_eq!(
            rtp_info("rtsp://h/main", &[(0, (7, 4_000_000_000))]),
            "url=rtsp://h/main/trackID=0;seq=7;rtptime=4000000000"
        );
        assert_eq!(
            rtp_info("rtsp://h/main/", &[(0, (0, 1))]),
            "url=rtsp://h/main/trackID=0;seq=0;rtptime=1"
        );
        assert_eq!(
            rtp_info("rtsp://h/main/trackID=0", &[(0, (65535, 0))]),
            "url=rtsp://h/main/trackID=0;seq=65535;rtptime=0"
        );
        assert_eq!(
            rtp_info("rtsp://h/main/trackID=1/", &[(0, (1, 2)), (1, (3, 4))]),
            "url=rtsp://h/main/trackID=0;seq=1;rtptime=2,url=rtsp://h/main/trackID=1;seq=3;rtptime=4"
        );
    }

    struct OneStream;
    impl Streams for OneStream {
        fn params(&self, name: &str) -> Option<StreamParams> {
            (name == "main").then(|| StreamParams {
                sps: Some(Bytes::from_static(&[0x67, 0x42, 0xc0, 0x1e])),
                pps: Some(Bytes::from_static(&[0x68, 0xce])),
                framerate: Some(25.0),
                ssrc: 0xabcd,
                multicast: Some(crate::stream::MulticastConfig {
                    group: "239.1.2.3".parse().unwrap(),
                    port: 5004,
                    ttl: 2,
                }),
                session_timeout: None,
                tracks: vec![sdp::TrackParams {
                    kind: sdp::TrackKind::Metadata,
                    ssrc: 0x1111,
                    multicast: None,
                }],
                without_video: false,
            })
        }
    }

    /// "main" without a timeout of its own (the server default applies) and "sub" whose
    /// timeout can change between requests, as a SetVideoEncoderConfiguration does.
    struct TimedStreams {
        sub: std::cell::Cell<Option<Duration>>,
    }
    impl Streams for TimedStreams {
        fn params(&self, name: &str) -> Option<StreamParams> {
            let mut p = OneStream.params("main")?;
            match name {
                "main" => Some(p),
                "sub" => {
                    p.session_timeout = self.sub.get();
                    Some(p)
                }
                _ => None,
            }
        }
    }

    fn ctx(conn: ConnId) -> Context {
        Context {
            conn,
            peer: "127.0.0.1".parse().unwrap(),
            local: "127.0.0.1".parse().unwrap(),
            user: None,
            now: Instant::now(),
            server_ports: (6970, 6971),
            session_timeout: Duration::from_secs(60),
        }
    }

    const URI: &str = "rtsp://127.0.0.1:8554/main";
    const TRACK: &str = "rtsp://127.0.0.1:8554/main/trackID=0";

    fn req(m: Method, uri: &str, cseq: u32, h: &[(&str, &str)]) -> Request {
        Request::new(m, uri, cseq, h)
    }

    fn setup_tcp(t: &mut SessionTable, c: &Context) -> String {
        let r = handle(
            &req(
                Method::Setup,
                TRACK,
                2,
                &[("Transport", "RTP/AVP/TCP;unicast;interleaved=6-7")],
            ),
            c,
            t,
            &OneStream,
        );
        assert_eq!(r.status, 200);
        assert_eq!(
            r.get_header("Transport"),
            Some("RTP/AVP/TCP;unicast;interleaved=6-7")
        );
        let s = r.get_header("Session").unwrap();
        assert!(s.ends_with(";timeout=60"));
        s.split(';').next().unwrap().to_owned()
    }

    #[test]
    fn full_sequence() {
        let mut t = SessionTable::new();
        let c = ctx(1);
        let r = handle(&req(Method::Options, "*", 1, &[]), &c, &mut t, &OneStream);
        assert_eq!(r.status, 200);
        assert_eq!(r.get_header("Public"), Some(PUBLIC));
        let r = handle(&req(Method::Describe, URI, 1, &[]), &c, &mut t, &OneStream);
        assert_eq!(r.status, 200);
        assert_eq!(
            r.get_header("Content-Base"),
            Some("rtsp://127.0.0.1:8554/main/")
        );
        let id = setup_tcp(&mut t, &c);
        assert_eq!(id.len(), SESSION_ID_BYTES * 2);
        let r = handle(
            &req(Method::Play, URI, 3, &[("Session", &id)]),
            &c,
            &mut t,
            &OneStream,
        );
        assert_eq!(r.status, 200);
        assert_eq!(
            r.action,
            Some(Action::Play {
                session: id.clone(),
                stream: "main".into(),
                tracks: vec![SetupTrack {
                    track: 0,
                    delivery: Delivery::Interleaved { rtp: 6, rtcp: 7 }
                }],
            })
        );
        let r = handle(
            &req(Method::Pause, URI, 4, &[("Session", &id)]),
            &c,
            &mut t,
            &OneStream,
        );
        assert_eq!(
            r.action,
            Some(Action::Pause {
                session: id.clone()
            })
        );
        let r = handle(
            &req(Method::GetParameter, URI, 5, &[("Session", &id)]),
            &c,
            &mut t,
            &OneStream,
        );
        assert_eq!(r.status, 200);
        let r = handle(
            &req(Method::Teardown, URI, 6, &[("Session", &id)]),
            &c,
            &mut t,
            &OneStream,
        );
        assert_eq!(
            r.action,
            Some(Action::Teardown {
                session: id.clone()
            })
        );
        assert!(t.is_empty());
        let bytes = String::from_utf8(r.to_bytes()).unwrap();
        assert!(bytes.starts_with("RTSP/1.0 200 OK\r\nCSeq: 6\r\n"));
    }

    #[test]
    fn bad_sequences() {
        let mut t = SessionTable::new();
        let c = ctx(1);
        // PLAY before SETUP.
        let r = handle(&req(Method::Play, URI, 1, &[]), &c, &mut t, &OneStream);
        assert_eq!(r.status, 455);
        // Unknown session.
        let r = handle(
            &req(Method::Play, URI, 1, &[("Session", "DEADBEEF")]),
            &c,
            &mut t,
            &OneStream,
        );
        assert_eq!(r.status, 454);
        // Another connection's session.
        let id = setup_tcp(&mut t, &c);
        let r = handle(
            &req(Method::Play, URI, 2, &[("Session", &id)]),
            &ctx(2),
            &mut t,
            &OneStream,
        );
        assert_eq!(r.status, 454);
        let r = handle(
            &req(Method::Teardown, URI, 2, &[("Session", &id)]),
            &ctx(2),
            &mut t,
            &OneStream,
        );
        assert_eq!(r.status, 454);
        assert_eq!(t.len(), 1);
        // Another user on the same connection.
        let mut other_user = ctx(1);
        other_user.user = Some("eve".into());
        let r = handle(
            &req(Method::Play, URI, 2, &[("Session", &id)]),
            &other_user,
            &mut t,
            &OneStream,
        );
        assert_eq!(r.status, 454);
        // Missing CSeq.
        let mut no_cseq = req(Method::Options, "*", 1, &[]);
        no_cseq.cseq = None;
        assert_eq!(handle(&no_cseq, &c, &mut t, &OneStream).status, 400);
        // Unknown stream.
        let r = handle(
            &req(Method::Describe, "rtsp://h/nope", 1, &[]),
            &c,
            &mut t,
            &OneStream,
        );
        assert_eq!(r.status, 404);
        // Third-party destination.
        let r = handle(
            &req(
                Method::Setup,
                TRACK,
                3,
                &[(
                    "Transport",
                    "RTP/AVP;unicast;destination=10.9.9.9;client_port=5000-5001",
                )],
            ),
            &c,
            &mut t,
            &OneStream,
        );
        assert_eq!(r.status, 403);
        // Unsupported transport.
        let r = handle(
            &req(
                Method::Setup,
                TRACK,
                4,
                &[("Transport", "RTP/SAVP;unicast")],
            ),
            &c,
            &mut t,
            &OneStream,
        );
        assert_eq!(r.status, 461);
        // PLAY on a URI of another stream.
        let r = handle(
            &req(Method::Play, "rtsp://h/sub", 5, &[("Session", &id)]),
            &c,
            &mut t,
            &OneStream,
        );
        assert_eq!(r.status, 459);
        // SETUP again while playing.
        handle(
            &req(Method::Play, URI, 6, &[("Session", &id)]),
            &c,
            &mut t,
            &OneStream,
        );
        let r = handle(
            &req(
                Method::Setup,
                TRACK,
                7,
                &[("Session", &id), ("Transport", "RTP/AVP/TCP")],
            ),
            &c,
            &mut t,
            &OneStream,
        );
        assert_eq!(r.status, 455);
        // RECORD is not ours.
        let r = handle(&req(Method::Record, URI, 8, &[]), &c, &mut t, &OneStream);
        assert_eq!(r.status, 405);
    }

    #[test]
    fn udp_setup_uses_peer_address_and_expiry() {
        let mut t = SessionTable::new();
        let c = ctx(1);
        let r = handle(
            &req(
                Method::Setup,
                TRACK,
                1,
                &[(
                    "Transport",
                    "RTP/AVP;unicast;destination=127.0.0.1;client_port=5000-5001",
                )],
            ),
            &c,
            &mut t,
            &OneStream,
        );
        assert_eq!(r.status, 200);
        assert_eq!(
            r.get_header("Transport"),
            Some("RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=0000ABCD")
        );
        assert_eq!(t.expire(c.now + Duration::from_secs(30)).len(), 0);
        assert!(t.touch_udp_source(
            "127.0.0.1:5001".parse().unwrap(),
            c.now + Duration::from_secs(30)
        ));
        assert_eq!(t.expire(c.now + Duration::from_secs(61)).len(), 0);
        assert_eq!(t.expire(c.now + Duration::from_secs(91)).len(), 1);
    }

    /// SETUP on a stream with its own timeout announces it (RFC 2326 s12.37), the session
    /// expires by it, and a later change of the stream's timeout leaves it alone.
    #[test]
    fn each_session_has_its_streams_timeout() {
        let mut t = SessionTable::new();
        let streams = TimedStreams {
            sub: std::cell::Cell::new(Some(Duration::from_secs(30))),
        };
        let c = ctx(1);
        let setup = |t: &mut SessionTable, uri: &str, cseq: u32, session: Option<&str>| {
            let mut h = vec![("Transport", "RTP/AVP/TCP;unicast")];
            if let Some(id) = session {
                h.push(("Session", id));
            }
            let r = handle(&req(Method::Setup, uri, cseq, &h), &c, t, &streams);
            assert_eq!(r.status, 200);
            let s = r.get_header("Session").unwrap();
            let (id, timeout) = s.split_once(";timeout=").unwrap();
            (id.to_owned(), timeout.to_owned())
        };
        let (main, timeout) = setup(&mut t, "rtsp://127.0.0.1/main", 1, None);
        assert_eq!(timeout, "60");
        let (sub, timeout) = setup(&mut t, "rtsp://127.0.0.1/sub", 2, None);
        assert_eq!(timeout, "30");
        assert_eq!(t.get(&sub).unwrap().timeout, Duration::from_secs(30));
        // The stream's timeout changes: the existing session keeps what it was told, also
        // when it repeats its SETUP; a new session gets the new value.
        streams.sub.set(Some(Duration::from_secs(90)));
        let (again, timeout) = setup(&mut t, "rtsp://127.0.0.1/sub", 3, Some(&sub));
        assert_eq!((again.as_str(), timeout.as_str()), (sub.as_str(), "30"));
        let (later, timeout) = setup(&mut t, "rtsp://127.0.0.1/sub", 4, None);
        assert_eq!(timeout, "90");
        // Enforcement: each session by its own timeout.
        let ids = |v: Vec<Session>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
        assert!(t.expire(c.now + Duration::from_secs(30)).is_empty());
        assert_eq!(ids(t.expire(c.now + Duration::from_secs(31))), [sub]);
        assert!(t.expire(c.now + Duration::from_secs(60)).is_empty());
        assert_eq!(ids(t.expire(c.now + Duration::from_secs(61))), [main]);
        assert!(t.expire(c.now + Duration::from_secs(90)).is_empty());
        assert_eq!(ids(t.expire(c.now + Duration::from_secs(91))), [later]);
        assert!(t.is_empty());
    }

    #[test]
    fn multicast_setup_gets_the_configured_group() {
        let mut t = SessionTable::new();
        let c = ctx(1);
        let r = handle(
            &req(
                Method::Setup,
                TRACK,
                1,
                &[(
                    "Transport",
                    "RTP/AVP;multicast;destination=10.9.9.9;port=6000-6001;ttl=127",
                )],
            ),
            &c,
            &mut t,
            &OneStream,
        );
        assert_eq!(r.status, 200);
        assert_eq!(
            r.get_header("Transport"),
            Some("RTP/AVP;multicast;destination=239.1.2.3;port=5004-5005;ttl=2;ssrc=0000ABCD")
        );
        let id = r
            .get_header("Session")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let r = handle(
            &req(Method::Play, URI, 2, &[("Session", &id)]),
            &c,
            &mut t,
            &OneStream,
        );
        assert_eq!(
            r.action,
            Some(Action::Play {
                session: id,
                stream: "main".into(),
                tracks: vec![SetupTrack {
                    track: 0,
                    delivery: Delivery::Multicast {
                        group: "239.1.2.3:5004".parse().unwrap(),
                        ttl: 2
                    }
                }],
            })
        );
    }

    /// Video and metadata in one session, each on its own channels or ports; PLAY and
    /// TEARDOWN of the aggregate act on both.
    #[test]
    fn two_tracks_in_one_session() {
        let mut t = SessionTable::new();
        let c = ctx(1);
        const META: &str = "rtsp://127.0.0.1:8554/main/trackID=1";
        let setup =
            |t: &mut SessionTable, uri: &str, cseq: u32, tr: &str, session: Option<&str>| {
                let mut h = vec![("Transport", tr)];
                if let Some(id) = session {
                    h.push(("Session", id));
                }
                handle(&req(Method::Setup, uri, cseq, &h), &c, t, &OneStream)
            };
        // Metadata first, without channels: it gets 0-1; the video asking for 0-1 is refused,
        // then takes 2-3.
        let r = setup(&mut t, META, 1, "RTP/AVP/TCP;unicast", None);
        assert_eq!(r.status, 200);
        assert_eq!(
            r.get_header("Transport"),
            Some("RTP/AVP/TCP;unicast;interleaved=0-1")
        );
        let id = r
            .get_header("Session")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let r = setup(
            &mut t,
            TRACK,
            2,
            "RTP/AVP/TCP;unicast;interleaved=0-1",
            Some(&id),
        );
        assert_eq!(r.status, 461);
        let r = setup(&mut t, TRACK, 3, "RTP/AVP/TCP;unicast", Some(&id));
        assert_eq!(r.status, 200);
        assert_eq!(
            r.get_header("Transport"),
            Some("RTP/AVP/TCP;unicast;interleaved=2-3")
        );
        // Repeating a track's SETUP replaces its transport, keeps the other.
        let r = setup(
            &mut t,
            META,
            4,
            "RTP/AVP/TCP;unicast;interleaved=4-5",
            Some(&id),
        );
        assert_eq!(r.status, 200);
        assert_eq!(t.len(), 1);
        let r = handle(
            &req(Method::Play, URI, 5, &[("Session", &id)]),
            &c,
            &mut t,
            &OneStream,
        );
        assert_eq!(
            r.action,
            Some(Action::Play {
                session: id.clone(),
                stream: "main".into(),
                tracks: vec![
                    SetupTrack {
                        track: 0,
                        delivery: Delivery::Interleaved { rtp: 2, rtcp: 3 }
                    },
                    SetupTrack {
                        track: 1,
                        delivery: Delivery::Interleaved { rtp: 4, rtcp: 5 }
                    },
                ],
            })
        );
        let r = handle(
            &req(Method::Teardown, URI, 6, &[("Session", &id)]),
            &c,
            &mut t,
            &OneStream,
        );
        assert_eq!(r.action, Some(Action::Teardown { session: id }));
        assert!(t.is_empty());
        // UDP: the track's own SSRC in the reply; no multicast for metadata; an unknown
        // track is 404.
        let r = setup(
            &mut t,
            META,
            7,
            "RTP/AVP;unicast;client_port=5002-5003",
            None,
        );
        assert_eq!(
            r.get_header("Transport"),
            Some("RTP/AVP;unicast;client_port=5002-5003;server_port=6970-6971;ssrc=00001111")
        );
        let r = setup(&mut t, META, 8, "RTP/AVP;multicast", None);
        assert_eq!(r.status, 461);
        let r = setup(
            &mut t,
            "rtsp://127.0.0.1:8554/main/trackID=2",
            9,
            "RTP/AVP/TCP",
            None,
        );
        assert_eq!(r.status, 404);
        // The metadata receiver's RTCP keeps the session alive.
        assert!(t.touch_udp_source("127.0.0.1:5003".parse().unwrap(), c.now));
    }

    #[test]
    fn uri_mapping() {
        assert_eq!(
            stream_of_uri("rtsp://h:1/main"),
            Some(("main".into(), false))
        );
        assert_eq!(
            stream_of_uri("rtsp://h/main/"),
            Some(("main".into(), false))
        );
        assert_eq!(
            stream_of_uri("rtsp://h/main/trackID=0"),
            Some(("main".into(), true))
        );
        assert_eq!(
            stream_of_uri("rtsp://h/main?x=1"),
            Some(("main".into(), false))
        );
        assert_eq!(
            stream_of_uri("rtsp://h/main/multicast/trackID=0"),
            Some(("main".into(), true))
        );
        assert!(is_multicast_uri("rtsp://h/main/multicast"));
        assert!(is_multicast_uri("rtsp://h/main/multicast/trackID=0"));
        assert!(!is_multicast_uri("rtsp://h/main"));
        // A stream called "multicast" is just that.
        assert_eq!(
            stream_of_uri("rtsp://h/multicast"),
            Some(("multicast".into(), false))
        );
        assert!(!is_multicast_uri("rtsp://h/multicast"));
        assert_eq!(track_of_uri("rtsp://h/main/trackID=1"), Some(1));
        assert_eq!(track_of_uri("rtsp://h/main/trackID=1/"), Some(1));
        assert_eq!(track_of_uri("rtsp://h/main"), None);
        assert_eq!(
            stream_of_uri("rtsp://h/main/trackID=1"),
            Some(("main".into(), true))
        );
        // Not a track suffix: part of the name.
        assert_eq!(
            stream_of_uri("rtsp://h/main/trackID=x"),
            Some(("main/trackID=x".into(), false))
        );
        assert_eq!(
            stream_of_uri("rtsp://h/maintrackID=1"),
            Some(("maintrackID=1".into(), false))
        );
        assert_eq!(stream_of_uri("rtsp://h/"), None);
        assert_eq!(stream_of_uri("*"), None);
    }
}

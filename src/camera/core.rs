//! The camera core: the one place a configuration change is planned, validated, applied to
//! the SDK, persisted and applied to the streams, as one transaction.
//!
//! A transaction holds the settings store's writer lock from start to end, so:
//! - every change is computed from the settings current at that moment: a change from
//!   another service (Device users, Imaging, Media) committed a moment earlier is never
//!   written over by a stale copy (issue 14 item 10);
//! - the SDK, the file, the in-memory settings and the streams change in the order the
//!   changes commit.
//!
//! Steps: plan (`change::plan`: new settings from the current ones, validated once against
//! the hardware's facts and the settings invariants) -> apply the difference to the SDK
//! (encoder attributes, ISP) -> write the file (on failure the SDK gets the old values back)
//! -> make it current -> apply the difference to the streams (RTSP paths, hub parameters,
//! multicast senders). A refused step leaves everything as it was.
//!
//! Beyond the file and the hardware, a change may act on the host ([`Effects`]), in the same
//! transaction:
//! - SetNetworkProtocols: a new port is test-bound before the commit (a port another program
//!   holds is refused, nothing changes); after the commit the daemon restarts on the new
//!   ports once the answer is out. SetSystemFactoryDefault restarts the same way.
//! - scopes and discovery mode: after the commit WS-Discovery re-reads the settings and
//!   announces the change (Hello with the new MetadataVersion, or Bye).
//! - media profiles and configurations: after the commit, the hook of
//!   [`Core::with_media_changed`] learns which ones the change touched (`super::touched`, a
//!   diff of the settings), and the daemon publishes `tns1:Media/ProfileChanged` and
//!   `ConfigurationChanged` (Media2 s.5.16). Start-up changes are not told: nobody can be
//!   subscribed before the servers run.
//!
//! - on-screen texts: after the commit, the OSDs are redrawn into the SDK's regions
//!   (`super::osd`; laid out by the plan against the same facts, so the SDK takes them).
//! - relays and inputs (`Change::Io`): before the commit the running board takes the new
//!   settings (`io::Io::reconfigure`: a relay keeps its logical state at the level its new
//!   IdleState means), given the old ones back if the commit fails; after it, the states
//!   are published (only changes reach subscribers: an input whose IdleState flipped).
//!
//! Rollback rule: whatever can fail runs before the commit and a failure leaves everything
//! as it was; what runs after the commit (announce, restart) cannot fail and acts on the
//! committed settings. The hostname, NTP and DNS are stored and reported, not applied to the
//! host (a PC's network belongs to its owner); the clock is the host clock plus the stored
//! offset, so the file is the whole effect.
//!
//! SDK calls block (a vendor SDK may take tens of milliseconds to reconfigure an encoder) and
//! so does the durable write (fsync): [`Core::apply`] runs the transaction on tokio's
//! blocking pool, never on an async worker, and no async task waits on the writer lock.
//!
//! The start-up writes (the first administrator, imaging defaults from the SDK, encoders
//! fitted to the caps, the PTZ configuration of a head that has none) are changes too, planned and committed by the same code
//! ([`Core::apply_blocking`], [`Core::apply_at_start`]).

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::rtsp::MulticastControl;
use crate::sdk::EncoderAttr;
use crate::settings::{AudioOutputConfig, ImagingSettings, Settings, SettingsStore, UpdateError};
use crate::streams::Streams;

use super::caps::Facts;
use super::change::{self, Change, ChangeError, Context, NetworkError, Outcome};
use super::hardware::Camera;
use super::touched::Touched;

/// How long a restart waits after the change that asked for it, so its SOAP answer reaches
/// the client on the old port first.
pub(crate) const RESTART_DELAY: Duration = Duration::from_millis(500);

/// What the core does on the host after a commit (see the module doc).
#[derive(Clone, Default)]
pub(crate) struct Effects {
    /// WS-Discovery re-reads the settings and announces them. None: no responder runs.
    pub(crate) discovery_changed: Option<Arc<dyn Fn() + Send + Sync>>,
    /// Restarts the daemon (called [`RESTART_DELAY`] after the commit). None: nothing to
    /// restart, so changes that need a restart are refused.
    pub(crate) restart: Option<Arc<dyn Fn() + Send + Sync>>,
}

/// Told, after a change commits, which media profiles and configurations it touched (never
/// empty). Runs under the settings writer lock: it must be short (the daemon's publishes to
/// the event broker's queues).
pub(crate) type MediaChanged = Arc<dyn Fn(&Touched) + Send + Sync>;

/// Calls `f` [`RESTART_DELAY`] from now, on a thread of its own (the caller may be a
/// blocking-pool thread or an async task; the answer goes out meanwhile).
pub(crate) fn after_answer(f: Arc<dyn Fn() + Send + Sync>) {
    std::thread::spawn(move || {
        std::thread::sleep(RESTART_DELAY);
        f();
    });
}

/// The running hardware a core drives. Weak: a request in flight must not keep the SDK
/// channels alive across a shutdown or SystemReboot.
struct Hardware {
    camera: Weak<Camera>,
    streams: Weak<Streams>,
    multicast: MulticastControl,
}

/// See the module doc.
pub struct Core {
    store: Arc<SettingsStore>,
    hardware: Option<Hardware>,
    /// The running relays and inputs (weak, as the hardware).
    io: Option<Weak<crate::io::Io>>,
    effects: Effects,
    media_changed: Option<MediaChanged>,
}

impl Core {
    /// A core over the settings alone: changes that need no hardware (users) work; the
    /// others answer [`ChangeError::Stopping`]. The daemon attaches the hardware with
    /// [`Core::with_hardware`].
    pub(crate) fn new(store: Arc<SettingsStore>) -> Core {
        Core {
            store,
            hardware: None,
            io: None,
            effects: Effects::default(),
            media_changed: None,
        }
    }

    /// After every committed change but the start-up ones, `hook` learns which media
    /// profiles and configurations it touched, if any (see the module doc).
    pub(crate) fn with_media_changed(mut self, hook: MediaChanged) -> Core {
        self.media_changed = Some(hook);
        self
    }

    /// Acts on the host after commits (see [`Effects`]).
    pub(crate) fn with_effects(mut self, effects: Effects) -> Core {
        self.effects = effects;
        self
    }

    pub(crate) fn with_hardware(
        mut self,
        camera: &Arc<Camera>,
        streams: &Arc<Streams>,
        multicast: MulticastControl,
    ) -> Core {
        self.hardware = Some(Hardware {
            camera: Arc::downgrade(camera),
            streams: Arc::downgrade(streams),
            multicast,
        });
        self
    }

    /// Relay and input settings are applied to `io` in the transaction (see the module doc).
    pub(crate) fn with_io(mut self, io: &Arc<crate::io::Io>) -> Core {
        self.io = Some(Arc::downgrade(io));
        self
    }

    pub(crate) fn store(&self) -> &Arc<SettingsStore> {
        &self.store
    }

    /// The camera, while it runs.
    pub(crate) fn camera(&self) -> Option<Arc<Camera>> {
        self.hardware.as_ref().and_then(|h| h.camera.upgrade())
    }

    /// The streams, while they run.
    pub(crate) fn streams(&self) -> Option<Arc<Streams>> {
        self.hardware.as_ref().and_then(|h| h.streams.upgrade())
    }

    /// Start/StopMulticastStreaming's control of the RTSP server's multicast senders (one
    /// for every service that offers them: Media 1 and Media 2). None: no hardware attached.
    pub(crate) fn multicast(&self) -> Option<&MulticastControl> {
        self.hardware.as_ref().map(|h| &h.multicast)
    }

    /// Runs `change` as one transaction on the blocking pool (see the module doc).
    pub(crate) async fn apply(self: &Arc<Self>, change: Change) -> Result<Outcome, ChangeError> {
        let core = self.clone();
        tokio::task::spawn_blocking(move || core.apply_blocking(change))
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "configuration change task failed");
                Err(ChangeError::Hardware(format!(
                    "the change did not complete: {e}"
                )))
            })
    }

    /// The transaction itself, on the calling thread (which may block).
    pub(crate) fn apply_blocking(&self, change: Change) -> Result<Outcome, ChangeError> {
        let camera = self.camera();
        self.transact(
            camera.as_ref().map(|c| c.facts()),
            camera.as_deref(),
            change,
            When::Running,
        )
    }

    /// Opens the hardware and brings it up with the stored settings, so a restart resumes
    /// what clients set: reads what the SDK can do, completes the settings with what only
    /// the hardware knows (one transaction: imaging defaults from the SDK for a source that
    /// has none; at first start, the built-in default encoder configurations fitted to the
    /// caps, for a replayed recording or a sensor without the default sizes; a PTZ
    /// configuration and node for a head that has none, on the fixed profiles), then checks
    /// and applies them. A setting the hardware cannot do is an error naming the setting.
    pub(crate) fn start_camera(
        &self,
        sdk: crate::sdk::Sdk,
        first_start: bool,
    ) -> anyhow::Result<Camera> {
        let camera = Camera::open(sdk)?;
        let imaging = camera.sdk_imaging_defaults(&self.store.get())?;
        self.apply_at_start(
            camera.facts(),
            Change::HardwareDefaults {
                imaging,
                fit_encoders: first_start,
            },
        )
        .map_err(|e| anyhow::anyhow!("completing the settings from the hardware: {e}"))?;
        camera.bring_up(&self.store.get())?;
        super::osd::show(&camera, &self.store.get());
        Ok(camera)
    }

    /// A start-up change, before the hardware is attached: planned against `facts` and
    /// committed; the camera then applies the committed settings as it starts.
    pub(crate) fn apply_at_start(
        &self,
        facts: Facts<'_>,
        change: Change,
    ) -> Result<Outcome, ChangeError> {
        self.transact(Some(facts), None, change, When::Starting)
    }

    fn transact(
        &self,
        facts: Option<Facts<'_>>,
        camera: Option<&Camera>,
        change: Change,
        when: When,
    ) -> Result<Outcome, ChangeError> {
        let restarts = matches!(change, Change::NetworkProtocols(_) | Change::FactoryDefault);
        let probe = match &change {
            Change::NetworkProtocols(p) => Some((p.bind, p.running_http, p.running_rtsp)),
            _ => None,
        };
        let mut writer = self.store.writer();
        let before = writer.current();
        let streams = self.streams();
        let ctx = Context {
            facts,
            now_unix_ms: unix_now_ms(),
        };
        let (next, outcome) = change::plan(&before, &ctx, change)?;
        if next == *before {
            return Ok(outcome);
        }
        let restart = match (restarts, &self.effects.restart) {
            (false, _) => None,
            (true, Some(r)) => Some(r.clone()),
            (true, None) => return Err(ChangeError::Stopping),
        };
        if let Some((bind, http, rtsp)) = probe {
            probe_ports(bind, (http, rtsp), &before, &next)?;
        }
        let sdk = SdkChanges::between(camera, &before, &next);
        if !sdk.is_empty() && (camera.is_none() || streams.is_none()) {
            return Err(ChangeError::Stopping);
        }
        if let (Some(camera), Some(streams)) = (camera, &streams) {
            sdk.apply(camera, streams)?;
        }
        let io = (before.io != next.io)
            .then(|| self.io.as_ref().and_then(Weak::upgrade))
            .flatten();
        if let Some(io) = &io
            && let Err(e) = io.reconfigure(&next.io)
        {
            if let (Some(camera), Some(streams)) = (camera, &streams) {
                sdk.undo(camera, streams);
            }
            return Err(ChangeError::Hardware(e.to_string()));
        }
        if let Err(e) = writer.commit(next.clone()) {
            if let Some(io) = &io
                && let Err(e) = io.reconfigure(&before.io)
            {
                tracing::error!(error = %e, "restoring relay settings");
            }
            if let (Some(camera), Some(streams)) = (camera, &streams) {
                sdk.undo(camera, streams);
            }
            return Err(match e {
                UpdateError::Rejected(r) => ChangeError::Invalid(r),
                UpdateError::Io(e) => {
                    tracing::warn!(error = %e, "a configuration change could not be saved");
                    ChangeError::Storage(e.to_string())
                }
            });
        }
        if let (Some(hw), Some(streams)) = (&self.hardware, &streams) {
            apply_to_streams(hw, streams, &before, &next);
        }
        if let Some(camera) = camera {
            super::osd::show_changed(camera, &before, &next);
        }
        if let Some(io) = &io {
            io.publish();
        }
        log_change(&before, &next);
        if let (When::Running, Some(hook)) = (when, &self.media_changed) {
            let touched = Touched::between(&before, &next);
            if !touched.is_empty() {
                hook(&touched);
            }
        }
        if let Some(restart) = restart {
            // The new ports or the defaults take effect with a restart, as a camera reboots
            // after a reset (discovery sends Bye, then Hello).
            tracing::info!("restarting to apply the change");
            after_answer(restart);
        } else if before.discovery != next.discovery
            && let Some(announce) = &self.effects.discovery_changed
        {
            announce();
        }
        Ok(outcome)
    }
}

/// Whether a transaction is a start-up write (before anything is served) or a client's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum When {
    Starting,
    Running,
}

fn unix_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A port SetNetworkProtocols moves a server to must be free: the restart would fail on a
/// port another program holds. Test-bound on the servers' address, under the writer lock;
/// `running` are the ports the servers have now (what a protocol without a stored port
/// uses).
fn probe_ports(
    bind: std::net::IpAddr,
    (http, rtsp): (u16, u16),
    before: &Settings,
    next: &Settings,
) -> Result<(), ChangeError> {
    let (b, n) = (&before.network.protocols, &next.network.protocols);
    let (b_http, b_rtsp) = (b.http_port.unwrap_or(http), b.rtsp_port.unwrap_or(rtsp));
    let (n_http, n_rtsp) = (n.http_port.unwrap_or(http), n.rtsp_port.unwrap_or(rtsp));
    for (changed, port) in [
        (n_http != b_http, n_http),
        (n.rtsp_enabled && n_rtsp != b_rtsp, n_rtsp),
    ] {
        if changed && std::net::TcpListener::bind((bind, port)).is_err() {
            return Err(NetworkError::PortInUse(format!("port {port} is in use")).into());
        }
    }
    Ok(())
}

/// The SDK side of a transaction: encoder channels whose attributes change and video
/// sources whose imaging settings change, with the old values to put back.
#[derive(Default)]
struct SdkChanges {
    /// (encoder token, old attributes, new attributes)
    encoders: Vec<(String, EncoderAttr, EncoderAttr)>,
    /// (old, new)
    imaging: Vec<(ImagingSettings, ImagingSettings)>,
    /// Audio output configurations whose speaker volume changes: (old, new).
    volumes: Vec<(AudioOutputConfig, AudioOutputConfig)>,
}

impl SdkChanges {
    /// What changes between `before` and `next` (both checked against the hardware: at
    /// start or by the plan).
    fn between(camera: Option<&Camera>, before: &Settings, next: &Settings) -> SdkChanges {
        let mut out = SdkChanges::default();
        if let Some(camera) = camera {
            for e in &next.media.video_encoders {
                let Some(old) = before.encoder(&e.token) else {
                    continue;
                };
                // The old attributes are what the channel runs now.
                let old_attr = camera.encoder_attr(before, old);
                let new_attr = camera.encoder_attr(next, e);
                if old_attr != new_attr {
                    out.encoders.push((e.token.clone(), old_attr, new_attr));
                }
            }
        }
        for i in &next.imaging {
            match before.imaging(&i.source_token) {
                Some(old) if old == i => {}
                Some(old) => out.imaging.push((old.clone(), i.clone())),
                None => {}
            }
        }
        for o in &next.media.audio_outputs {
            if let Some(old) = before.audio_output(&o.token)
                && (old.output, old.output_level) != (o.output, o.output_level)
            {
                out.volumes.push((old.clone(), o.clone()));
            }
        }
        out
    }

    fn is_empty(&self) -> bool {
        self.encoders.is_empty() && self.imaging.is_empty() && self.volumes.is_empty()
    }

    /// Applies everything, or on the first refusal puts back what was applied and says why.
    fn apply(&self, camera: &Camera, streams: &Streams) -> Result<(), ChangeError> {
        for (n, (token, _, new)) in self.encoders.iter().enumerate() {
            if let Err(e) = set_encoder(camera, streams, token, new) {
                for (token, old, _) in self.encoders[..n].iter().rev() {
                    restore_encoder(camera, token, old);
                }
                return Err(e);
            }
        }
        for (n, (_, new)) in self.imaging.iter().enumerate() {
            if let Err(e) = camera.apply_imaging(new) {
                tracing::warn!(error = %e, "the ISP refused settings within its ranges");
                for (old, _) in self.imaging[..n].iter().rev() {
                    restore_imaging(camera, old);
                }
                for (token, old, _) in self.encoders.iter().rev() {
                    restore_encoder(camera, token, old);
                }
                return Err(ChangeError::Hardware(format!("{e:#}")));
            }
        }
        for (n, (_, new)) in self.volumes.iter().enumerate() {
            if let Err(e) = camera.apply_output_level(new) {
                tracing::warn!(error = %e, "the speaker refused a volume within its range");
                for (old, _) in self.volumes[..n].iter().rev() {
                    restore_volume(camera, old);
                }
                for (old, _) in self.imaging.iter().rev() {
                    restore_imaging(camera, old);
                }
                for (token, old, _) in self.encoders.iter().rev() {
                    restore_encoder(camera, token, old);
                }
                return Err(ChangeError::Hardware(format!("{e:#}")));
            }
        }
        Ok(())
    }

    /// Puts the old values back (the file could not be written).
    fn undo(&self, camera: &Camera, streams: &Streams) {
        for (old, _) in self.volumes.iter().rev() {
            restore_volume(camera, old);
        }
        for (old, _) in self.imaging.iter().rev() {
            restore_imaging(camera, old);
        }
        for (token, old, _) in self.encoders.iter().rev() {
            if let Some(h) = streams.hub(token) {
                h.cancel_new_params();
            }
            restore_encoder(camera, token, old);
        }
    }
}

/// Reconfigures one encoder channel. Viewers stay connected and get the next IDR with the
/// new SPS/PPS in band (RFC 6184 s8.4); the next DESCRIBE waits for those parameter sets
/// (`StreamHub::expect_new_params`).
fn set_encoder(
    camera: &Camera,
    streams: &Streams,
    token: &str,
    attr: &EncoderAttr,
) -> Result<(), ChangeError> {
    let channel = camera
        .channel(token)
        .ok_or_else(|| ChangeError::Hardware(format!("no encoder channel for {token:?}")))?;
    let hub = streams.hub(token);
    if let Some(h) = hub {
        h.expect_new_params();
    }
    if let Err(e) = channel.set_attr(attr) {
        if let Some(h) = hub {
            h.cancel_new_params();
        }
        return Err(ChangeError::Hardware(format!(
            "the encoder refused the configuration: {e}"
        )));
    }
    // The SDK contract makes the next frame an IDR; ask anyway, so a port that keeps its
    // GOP for a bitrate change does not hold DESCRIBE back.
    if let Err(e) = channel.request_idr() {
        tracing::warn!(encoder = %token, error = %e, "IDR request after a change");
    }
    Ok(())
}

fn restore_encoder(camera: &Camera, token: &str, old: &EncoderAttr) {
    if let Some(channel) = camera.channel(token)
        && let Err(e) = channel.set_attr(old)
    {
        tracing::error!(encoder = %token, error = %e, "restoring encoder attributes");
    }
}

fn restore_volume(camera: &Camera, old: &AudioOutputConfig) {
    if let Err(e) = camera.apply_output_level(old) {
        tracing::error!(error = %e, output = old.output, "restoring the speaker volume");
    }
}

fn restore_imaging(camera: &Camera, old: &ImagingSettings) {
    if let Err(e) = camera.apply_imaging(old) {
        tracing::error!(source = %old.source_token, error = %e, "restoring ISP settings");
    }
}

/// The streams side, after the commit: RTSP paths follow the profiles, hubs follow their
/// encoder configuration (frame rate in the SDP, multicast group, session timeout), and
/// multicast senders follow both.
fn apply_to_streams(hw: &Hardware, streams: &Streams, before: &Settings, next: &Settings) {
    // A path that goes away or changes encoder stops the multicast it started (while the
    // path still resolves to its old hub).
    for p in &before.media.profiles {
        let now = next
            .profile(&p.token)
            .and_then(|q| q.video_encoder.as_deref());
        if p.video_encoder.is_some()
            && now != p.video_encoder.as_deref()
            && hw.multicast.stop(&p.token)
        {
            tracing::info!(profile = %p.token, "multicast stopped (profile changed)");
        }
    }
    if before.media.profiles != next.media.profiles {
        streams.sync_profiles(next);
    }
    for e in &next.media.video_encoders {
        let Some(old) = before.encoder(&e.token) else {
            continue;
        };
        if old == e {
            continue;
        }
        streams.apply_encoder(e);
        if e.multicast == old.multicast {
            continue;
        }
        let profiles: Vec<&str> = next
            .media
            .profiles
            .iter()
            .filter(|p| p.video_encoder.as_deref() == Some(e.token.as_str()))
            .map(|p| p.token.as_str())
            .collect();
        // Profiles of one encoder share its sender: restarting through one is enough.
        if let Some(p) = profiles.first()
            && let Err(err) = hw.multicast.restart(p)
        {
            tracing::warn!(profile = %p, error = %err, "multicast restart");
        }
        if e.multicast.auto_start && !old.multicast.auto_start {
            for p in &profiles {
                if let Err(err) = hw.multicast.start(p) {
                    tracing::warn!(profile = %p, error = %err, "multicast AutoStart");
                }
            }
        }
    }
    auto_start_tracks(hw, before, next);
}

/// AutoStart newly set on a metadata or audio encoder configuration starts the profiles that
/// hold it at once, as the video encoder's does (ONVIF Media, Set*Configuration: "changes
/// ... shall be immediately applied"), not only at the next start. An audio hub replaced by
/// the same change is followed afterwards (`MulticastControl::follow_tracks`), keeping
/// the sender's start.
fn auto_start_tracks(hw: &Hardware, before: &Settings, next: &Settings) {
    fn newly<'a, T>(
        before: &'a [T],
        next: &'a [T],
        key: impl Fn(&T) -> (&str, bool) + Copy,
    ) -> Vec<&'a str> {
        next.iter()
            .map(key)
            .filter(|&(token, on)| {
                on && before
                    .iter()
                    .map(key)
                    .any(|(was, was_on)| was == token && !was_on)
            })
            .map(|(token, _)| token)
            .collect()
    }
    let metadata = newly(&before.media.metadata, &next.media.metadata, |m| {
        (m.token.as_str(), m.multicast.auto_start)
    });
    let audio = newly(
        &before.media.audio_encoders,
        &next.media.audio_encoders,
        |a| (a.token.as_str(), a.multicast.auto_start),
    );
    if metadata.is_empty() && audio.is_empty() {
        return;
    }
    for p in &next.media.profiles {
        let holds =
            |slot: &Option<String>, set: &[&str]| slot.as_deref().is_some_and(|t| set.contains(&t));
        if holds(&p.metadata, &metadata) || holds(&p.audio_encoder, &audio) {
            match hw.multicast.start(&p.token) {
                Ok(()) => tracing::info!(profile = %p.token, "multicast started (AutoStart)"),
                Err(err) => tracing::warn!(profile = %p.token, error = %err, "multicast AutoStart"),
            }
        }
    }
}

fn log_change(before: &Settings, next: &Settings) {
    for e in &next.media.video_encoders {
        if before.encoder(&e.token).is_some_and(|old| old != e) {
            tracing::info!(
                encoder = %e.token,
                size = %format!("{}x{}", e.width, e.height),
                fps = e.fps,
                kbps = e.bitrate_kbps,
                gop = e.gop,
                profile = ?e.h264_profile,
                "video encoder configuration changed"
            );
        }
    }
    for p in &next.media.profiles {
        if before.profile(&p.token).is_none() {
            tracing::info!(profile = %p.token, "profile created");
        }
    }
    for p in &before.media.profiles {
        if next.profile(&p.token).is_none() {
            tracing::info!(profile = %p.token, "profile deleted");
        }
    }
    let names = |s: &Settings| -> Vec<(String, crate::auth::UserLevel)> {
        s.users
            .iter()
            .map(|u| (u.username.clone(), u.level))
            .collect()
    };
    if names(before) != names(next) {
        tracing::info!(users = next.users.len(), "users changed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::UserLevel;
    use crate::camera::change::{UserEdit, UsersChange};
    use crate::settings::User;

    fn user(name: &str, level: UserLevel) -> User {
        User {
            username: name.into(),
            password: format!("{name}-secret"),
            level,
        }
    }

    /// Many threads changing users at once through cores over one store: every change
    /// lands, and the administrators are never all deleted.
    #[test]
    fn concurrent_user_changes_are_all_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SettingsStore::open(dir.path()).unwrap().0);
        store
            .update(|s| {
                s.users.push(user("admin", UserLevel::Administrator));
                s.users.push(user("admin2", UserLevel::Administrator));
                Ok(())
            })
            .unwrap();
        // 6 x 4 users + the 2 administrators: within MAX_USERS (32).
        let threads: Vec<_> = (0..6)
            .map(|t| {
                let core = Core::new(store.clone());
                std::thread::spawn(move || {
                    for i in 0..4 {
                        let name = format!("u{t}-{i}");
                        core.apply_blocking(Change::Users(UsersChange::Create(vec![user(
                            &name,
                            UserLevel::User,
                        )])))
                        .unwrap();
                        core.apply_blocking(Change::Users(UsersChange::Set(vec![UserEdit {
                            username: name,
                            password: None,
                            level: UserLevel::Operator,
                        }])))
                        .unwrap();
                    }
                })
            })
            .collect();
        let deleters: Vec<_> = ["admin", "admin2"]
            .into_iter()
            .map(|a| {
                let core = Core::new(store.clone());
                std::thread::spawn(move || {
                    core.apply_blocking(Change::Users(UsersChange::Delete(vec![a.into()])))
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let deleted: Vec<_> = deleters.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(
            deleted.iter().filter(|r| r.is_ok()).count(),
            1,
            "exactly one of two DeleteUsers of the two administrators succeeds: {deleted:?}"
        );
        let s = store.get();
        assert_eq!(s.users.len(), 1 + 24);
        assert!(
            s.users
                .iter()
                .filter(|u| u.username.starts_with('u'))
                .all(|u| u.level == UserLevel::Operator)
        );
        drop(s);
        drop(store);
        // And what was acknowledged is what the file holds.
        let (again, _) = SettingsStore::open(dir.path()).unwrap();
        assert_eq!(again.get().users.len(), 25);
    }

    fn counter() -> (
        Arc<std::sync::atomic::AtomicUsize>,
        Arc<dyn Fn() + Send + Sync>,
    ) {
        let n = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let m = n.clone();
        (
            n,
            Arc::new(move || {
                m.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }),
        )
    }

    fn count(n: &std::sync::atomic::AtomicUsize) -> usize {
        n.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The host side of Device changes, in the transaction: a port another program holds
    /// refuses the change before anything is written; a real change restarts (after the
    /// answer) or announces; a change to what already is does neither.
    #[test]
    fn host_effects_follow_the_commit() {
        use crate::camera::change::{ProtocolKind, ProtocolRequest, ProtocolsRequest};
        use crate::settings::DiscoveryMode;
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SettingsStore::open(dir.path()).unwrap().0);
        let (announced, announce) = counter();
        let (restarted, restart) = counter();
        let core = Core::new(store.clone()).with_effects(Effects {
            discovery_changed: Some(announce),
            restart: Some(restart),
        });
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let taken = held.local_addr().unwrap().port();
        let http = |port: u16| {
            Change::NetworkProtocols(ProtocolsRequest {
                protocols: vec![ProtocolRequest {
                    kind: ProtocolKind::Http,
                    enabled: true,
                    ports: vec![i32::from(port)],
                }],
                running_http: 8080,
                running_rtsp: 8554,
                bind: std::net::Ipv4Addr::LOCALHOST.into(),
            })
        };
        assert!(matches!(
            core.apply_blocking(http(taken)),
            Err(ChangeError::Network(NetworkError::PortInUse(_)))
        ));
        assert_eq!(
            store.get().network.protocols.http_port,
            None,
            "nothing written"
        );
        drop(held);
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        core.apply_blocking(http(free)).unwrap();
        assert_eq!(store.get().network.protocols.http_port, Some(free));
        // The same ports again: nothing to do, no second restart.
        core.apply_blocking(http(free)).unwrap();
        std::thread::sleep(RESTART_DELAY * 3);
        assert_eq!(count(&restarted), 1, "one restart, after the answer");

        let mode = |m| Change::DiscoveryMode(m);
        core.apply_blocking(mode(DiscoveryMode::NonDiscoverable))
            .unwrap();
        core.apply_blocking(mode(DiscoveryMode::NonDiscoverable))
            .unwrap();
        assert_eq!(
            count(&announced),
            1,
            "announced once: the second changed nothing"
        );
        // Without a restart hook, a change that needs one is refused, not half done.
        let bare = Core::new(store.clone());
        assert_eq!(
            bare.apply_blocking(Change::FactoryDefault),
            Err(ChangeError::Stopping)
        );
        assert_eq!(store.get().discovery.mode, DiscoveryMode::NonDiscoverable);
        drop((core, bare, store));
        let (again, _) = SettingsStore::open(dir.path()).unwrap();
        assert_eq!(again.get().network.protocols.http_port, Some(free));
    }

    /// The media hook hears of clients' changes that touch a profile or configuration,
    /// once each, and not of start-up writes (even one that creates a PTZ configuration and
    /// attaches it to profiles) nor of changes that touch no media setting.
    #[test]
    fn the_media_hook_hears_clients_changes_not_start_up_writes() {
        use crate::camera::change::ProfileChange;
        use crate::camera::change::ptz_tests::{Hw, dome};
        use crate::camera::change::{UserEdit, UsersChange};
        let hw = Hw::new(vec![Some(dome())]);
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SettingsStore::open(dir.path()).unwrap().0);
        let heard = Arc::new(std::sync::Mutex::new(Vec::<Touched>::new()));
        let h = heard.clone();
        let core = Core::new(store.clone()).with_media_changed(Arc::new(move |t: &Touched| {
            h.lock().unwrap().push(t.clone())
        }));
        core.apply_at_start(
            hw.facts(),
            Change::HardwareDefaults {
                imaging: Vec::new(),
                fit_encoders: true,
            },
        )
        .unwrap();
        assert_eq!(
            store.get().media.ptz.len(),
            1,
            "the start-up write happened"
        );
        core.apply_at_start(
            hw.facts(),
            Change::Administrator {
                username: "admin".into(),
                password: "secret-1".into(),
            },
        )
        .unwrap();
        core.apply_blocking(Change::Users(UsersChange::Set(vec![UserEdit {
            username: "admin".into(),
            password: Some("secret-2".into()),
            level: UserLevel::Administrator,
        }])))
        .unwrap();
        assert!(heard.lock().unwrap().is_empty(), "{:?}", heard.lock());
        let remove = || {
            Change::Profile(ProfileChange::Ptz {
                profile: "main".into(),
                config: None,
            })
        };
        core.apply_blocking(remove()).unwrap();
        // Removing what is no longer there changes nothing: not heard again.
        core.apply_blocking(remove()).unwrap();
        assert_eq!(
            *heard.lock().unwrap(),
            [Touched {
                profiles: vec!["main".into()],
                configurations: vec![],
            }]
        );
    }

    /// The PTZ configuration made at the first start with a head is made once: a client's
    /// RemovePTZConfiguration is still in force after a restart (the start-up change runs
    /// again on the stored settings).
    #[test]
    fn a_removed_ptz_configuration_stays_removed_after_a_restart() {
        use crate::camera::change::ProfileChange;
        use crate::camera::change::ptz_tests::{Hw, dome};
        let hw = Hw::new(vec![Some(dome())]);
        let start = |store: &Arc<SettingsStore>| {
            Core::new(store.clone()).apply_at_start(
                hw.facts(),
                Change::HardwareDefaults {
                    imaging: Vec::new(),
                    fit_encoders: true,
                },
            )
        };
        let ptz = |s: &Settings, p: &str| s.profile(p).unwrap().ptz.clone();
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SettingsStore::open(dir.path()).unwrap().0);
        start(&store).unwrap();
        assert_eq!(ptz(&store.get(), "main").as_deref(), Some("ptz_0"));
        Core::new(store.clone())
            .apply_blocking(Change::Profile(ProfileChange::Ptz {
                profile: "main".into(),
                config: None,
            }))
            .unwrap();
        drop(store);
        let store = Arc::new(SettingsStore::open(dir.path()).unwrap().0);
        start(&store).unwrap();
        let s = store.get();
        assert_eq!(ptz(&s, "main"), None);
        assert_eq!(ptz(&s, "sub").as_deref(), Some("ptz_0"));
        assert_eq!((s.media.ptz.len(), s.ptz_nodes.len()), (1, 1));
    }
}

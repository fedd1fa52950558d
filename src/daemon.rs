//! The daemon, top to bottom: signals, settings, first-start credential, SDK, camera,
//! motion, streams, the HTTP (ONVIF) and RTSP servers, WS-Discovery; then wait for
//! SIGTERM/SIGINT (or an ONVIF SystemReboot) and stop in reverse order.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};

use crate::camera::Camera;
use crate::config::Config;
use crate::discovery::Discovery;
use crate::motion::MotionMonitor;
use crate::rtsp::{DigestRtspAuth, RtspServer, ServerConfig};
use crate::sdk::Sdk;
use crate::settings::SettingsStore;
use crate::streams::Streams;

/// Runs until SIGTERM/SIGINT. An ONVIF SystemReboot stops everything the same way and starts
/// again from the settings file (a graceful restart of the daemon, not of the host).
pub async fn run(config: Config) -> anyhow::Result<()> {
    // Before anything else: a SIGTERM that arrives while we start must stop us cleanly, not
    // kill us with the default action halfway through a settings write.
    let mut signals = ShutdownSignals::install()?;
    let mut ports = Ports::default();
    loop {
        match run_once(&config, &mut signals, &mut ports).await? {
            Stop::Shutdown => return Ok(()),
            Stop::Restart => tracing::info!("restarting (SystemReboot)"),
        }
    }
}

enum Stop {
    Shutdown,
    Restart,
}

/// Ports the servers got on their first start in this process. With `--http-port 0` or
/// `--rtsp-port 0` the system picks a free port once; a restart (SystemReboot, a reset, a
/// protocol change) keeps it, so clients find the device where they left it.
#[derive(Default)]
struct Ports {
    http: Option<u16>,
    rtsp: Option<u16>,
}

/// The port to listen on: one set by ONVIF SetNetworkProtocols (persisted) wins; then the
/// command line or config file; an ephemeral (0) one sticks after its first bind.
fn port(set: Option<u16>, configured: u16, bound: Option<u16>) -> u16 {
    set.unwrap_or(if configured == 0 {
        bound.unwrap_or(0)
    } else {
        configured
    })
}

async fn run_once(
    config: &Config,
    signals: &mut ShutdownSignals,
    ports: &mut Ports,
) -> anyhow::Result<Stop> {
    let (store, first_start) = SettingsStore::open(&config.state_dir)?;
    let store = Arc::new(store);
    if first_start {
        tracing::info!(path = %store.path().display(), "first start: no settings file yet, using defaults");
    }
    // Every configuration change of this run enters the camera core, the start-up ones too.
    let core = crate::camera::Core::new(store.clone());
    crate::camera::admin::ensure_admin(&core)?;

    let options = config.sdk_options.clone();
    let sdk = tokio::task::spawn_blocking(move || Sdk::init(&options))
        .await?
        .context("initialising the camera SDK")?;
    // Shared with the Media and Imaging services (Media holds it weakly: a request in flight
    // must not keep the SDK channels alive across a stop or a SystemReboot).
    let camera = Arc::new(core.start_camera(sdk, first_start)?);
    let id = camera.identity();
    tracing::info!(
        sdk = %format!("{} {}", id.sdk_name, id.sdk_version),
        model = %id.chip_model,
        serial = %id.serial,
        state_dir = %config.state_dir.display(),
        "camera ready"
    );

    // Date and time OSDs follow the camera clock (camera::osd).
    let osd_clock = tokio::spawn(crate::camera::osd::ticker(
        Arc::downgrade(&camera),
        store.clone(),
    ));
    let settings = store.get();
    let (broker, event_tasks) = start_events(&store);
    let mut monitors = Vec::new();
    let mut tamper = Vec::new();
    for imaging in &settings.imaging {
        let vi = crate::camera::source_index(&imaging.source_token)?;
        let hold = Duration::from_millis(u64::from(imaging.motion.debounce_ms));
        let source = crate::events::monitor::MotionSource {
            source: imaging.source_token.clone(),
            configuration: (settings.media.video_sources.iter())
                .find(|c| c.source == vi)
                .map_or_else(|| imaging.source_token.clone(), |c| c.token.clone()),
        };
        monitors.push(MotionMonitor::start(
            camera.sdk().clone(),
            vi,
            hold,
            source.sink(broker.clone()),
        )?);
        let sink = crate::events::tamper::sink(imaging.source_token.clone(), broker.clone());
        tamper.push(crate::tamper::TamperMonitor::start(
            camera.sdk().clone(),
            vi,
            crate::tamper::Config::default(),
            sink,
        ));
    }
    // Sound detection on each audio source configuration's microphone (its level only: no
    // audio is captured for it).
    let inputs = camera.sdk().audio_caps().map_or(0, |c| c.inputs);
    let sound: Vec<_> = (settings.media.audio_sources.iter())
        .filter(|a| a.source < inputs)
        .map(|a| {
            crate::events::sound::SoundMonitor::start(
                camera.sdk().clone(),
                a.source,
                a.token.clone(),
                settings.events.sound.threshold_dbfs,
                broker.clone(),
            )
        })
        .collect();
    let streams = Arc::new(Streams::start(|token| camera.channel(token), &settings)?);
    let metadata = crate::onvif::events::metadata::MetadataStreams::new(broker.clone());
    metadata.sync(&settings);
    // The microphone, for the profiles that ask for audio (none by default).
    let audio = Arc::new(crate::audio::AudioStreams::new(camera.sdk().clone()));
    audio.sync(&settings);

    // Serve before "nvt running": that line means ready.
    let protocols = settings.network.protocols.clone();
    let rtsp_port = port(protocols.rtsp_port, config.rtsp_port, ports.rtsp);
    // The one authentication gate of this run: SOAP, plain HTTP and RTSP log in through it.
    let clock_store = store.clone();
    let gate = Arc::new(crate::auth::gate::Gate::new(
        store.clone(),
        Arc::new(move || crate::onvif::device::device_now_ms(&clock_store)),
    ));
    let rtsp = if protocols.rtsp_enabled {
        let rtsp_bind = SocketAddr::new(config.bind, rtsp_port);
        let speaker = crate::rtsp::SdkSpeaker::probe(camera.sdk());
        let tracks = Tracks {
            streams: streams.as_ref(),
            metadata: metadata.registry(),
            audio: audio.registry(),
            speaker,
        };
        let server = start_rtsp(rtsp_bind, &config.connections, &store, tracks, &gate).await?;
        ports.rtsp.get_or_insert(server.local_addr().port());
        Some(server)
    } else {
        tracing::info!("RTSP disabled (SetNetworkProtocols)");
        None
    };
    let rtsp_port = rtsp.as_ref().map_or(rtsp_port, |r| r.local_addr().port());
    let reboot = Arc::new(tokio::sync::Notify::new());
    let multicast = rtsp
        .as_ref()
        .map_or_else(crate::rtsp::MulticastControl::default, |r| {
            r.multicast_control()
        });
    let scopes_changed = Arc::new(tokio::sync::Notify::new());
    let (announce, restart) = (scopes_changed.clone(), reboot.clone());
    // The relays at their idle level and the inputs followed, before anything is served.
    let io = Arc::new(crate::io::Io::start(
        camera.sdk().clone(),
        camera.facts().gpio,
        &settings.io,
        broker.clone(),
    )?);
    let core = Arc::new(
        core.with_hardware(&camera, &streams, multicast.clone())
            .with_io(&io)
            .with_effects(crate::camera::Effects {
                discovery_changed: Some(Arc::new(move || announce.notify_one())),
                restart: Some(Arc::new(move || restart.notify_one())),
            })
            .with_media_changed(media_events(
                &broker,
                (&metadata, &audio, multicast.clone()),
                &store,
            )),
    );
    let media = crate::onvif::media::Media::new(
        core.clone(),
        crate::onvif::media::MediaHooks {
            rtsp_port,
            multicast,
            metadata: metadata.registry(),
        },
    );
    media.auto_start_multicast();
    let http_port = port(protocols.http_port, config.http_port, ports.http);
    let run = Run {
        store: &store,
        core: &core,
        camera: &camera,
        broker: &broker,
        streams: &streams,
        gate: &gate,
        io: &io,
        audio: &audio,
    };
    // RTSP over HTTP on the web port too (Media 2's RtspOverHttp URI names it).
    let tunnel = rtsp.as_ref().map(|r| {
        let door: crate::http::server::TunnelDoor = Arc::new(r.door());
        door
    });
    let (http, http_port) = start_http(
        config,
        http_port,
        &run,
        (rtsp_port, tunnel),
        reboot.clone(),
        media,
    )
    .await?;
    ports.http.get_or_insert(http_port);
    let discovery = start_discovery(config, &store, id, http_port, scopes_changed).await;

    tracing::info!(
        bind = %config.bind,
        discovery = config.discovery,
        "nvt running"
    );
    let stop = tokio::select! {
        _ = signals.recv() => Stop::Shutdown,
        _ = reboot.notified() => Stop::Restart,
    };
    tracing::info!("stopping");
    // Bye first, while the device service is still up.
    if let Some(d) = discovery {
        d.stop().await;
    }
    http.shutdown().await;
    // Subscriptions end with this run (push deliveries stop, waiting pulls return).
    // Aborted tasks are awaited: each holds the settings store (directly or through the
    // broker's clock), which a restart opens again at once.
    for t in event_tasks.into_iter().chain([osd_clock]) {
        t.abort();
        let _ = t.await;
    }
    for t in tamper {
        t.stop().await;
    }
    for s in sound {
        s.stop().await;
    }
    broker.close_all();
    if let Some(rtsp) = rtsp {
        rtsp.shutdown().await;
    }
    drop(streams);
    drop(audio);
    drop(monitors);
    drop(io);
    drop(camera);
    // No write here: every change was written durably before it became current, so the file
    // already holds the settings. A write at shutdown could only fail (a full state disk,
    // issue 14 item 12) and turn a clean stop or a SystemReboot into an exit.
    tracing::info!("stopped");
    Ok(stop)
}

/// The event broker, its monitoring producer and the collector of expired subscriptions.
fn start_events(
    store: &Arc<SettingsStore>,
) -> (Arc<crate::events::Broker>, [tokio::task::JoinHandle<()>; 2]) {
    let clock = store.clone();
    let broker = Arc::new(crate::events::Broker::new(
        store.get().events.max_pull_points as usize,
        Arc::new(move || crate::onvif::device::device_now_ms(&clock)),
    ));
    let monitor = crate::events::monitor::spawn(broker.clone());
    let reaper = broker.clone();
    let reap = tokio::spawn(async move {
        let mut tick = tokio::time::interval(crate::events::limits::REAP_INTERVAL);
        loop {
            tick.tick().await;
            reaper.reap();
        }
    });
    (broker, [monitor, reap])
}

/// Publishes `tns1:Media/ProfileChanged` and `ConfigurationChanged` for what a committed
/// change touched (the camera core's hook).
/// The metadata tracks follow the change first, so its own events reach their streams.
fn media_events(
    broker: &Arc<crate::events::Broker>,
    (metadata, audio, multicast): (
        &Arc<crate::onvif::events::metadata::MetadataStreams>,
        &Arc<crate::audio::AudioStreams>,
        crate::rtsp::MulticastControl,
    ),
    store: &Arc<SettingsStore>,
) -> crate::camera::core::MediaChanged {
    let (broker, metadata, store) = (broker.clone(), metadata.clone(), store.clone());
    let audio = audio.clone();
    Arc::new(move |t: &crate::camera::Touched| {
        metadata.sync(&store.get());
        audio.sync(&store.get());
        // Group senders move to a replaced audio hub and to a metadata configuration's new
        // group (docs/rtsp.md, "Multicast").
        multicast.follow_tracks();
        crate::events::media::publish(&broker, &t.profiles, &t.configurations);
    })
}

/// What the RTSP server serves: each profile's video, metadata and audio tracks by path, and
/// the speaker of the back channel (none: not offered).
struct Tracks<'a> {
    streams: &'a Streams,
    metadata: Arc<crate::rtp::MetadataRegistry>,
    audio: Arc<crate::rtp::AudioRegistry>,
    speaker: Option<Arc<dyn crate::rtsp::talk::Speaker>>,
}

/// The RTSP server on `bind:rtsp_port`, serving every profile's stream under Digest auth
/// with the ONVIF users (and Basic while `network.allow_basic_auth` is set).
async fn start_rtsp(
    bind: SocketAddr,
    connections: &crate::config::ConnectionLimits,
    store: &Arc<SettingsStore>,
    Tracks {
        streams,
        metadata,
        audio,
        speaker,
    }: Tracks<'_>,
    gate: &Arc<crate::auth::gate::Gate>,
) -> anyhow::Result<RtspServer> {
    let basic_store = store.clone();
    let auth = Arc::new(
        DigestRtspAuth::new(gate.clone())
            .with_basic(move || basic_store.get().network.allow_basic_auth),
    );
    let mut server_config = ServerConfig::new(bind)
        .with_metadata(metadata)
        .with_audio(audio);
    if let Some(speaker) = speaker {
        // The ONVIF audio back channel (docs/rtsp.md "Back channel"), on the profiles holding
        // an audio output and an audio decoder configuration.
        let talk_store = store.clone();
        server_config =
            server_config
                .with_speaker(speaker)
                .with_talk_paths(crate::rtsp::TalkPaths(Arc::new(move |path| {
                    let s = talk_store.get();
                    let p = s.profile(path).filter(|p| p.audio_decoder.is_some())?;
                    s.audio_output(p.audio_output.as_deref()?).map(|c| c.output)
                })));
    }
    let limits = &mut server_config.limits;
    limits.max_connections = connections
        .rtsp_max_connections
        .unwrap_or(limits.max_connections);
    limits.max_connections_per_address = connections
        .rtsp_max_connections_per_address
        .unwrap_or(limits.max_connections_per_address);
    let server = RtspServer::start(server_config, streams.registry.clone(), auth)
        .await
        .with_context(|| format!("binding RTSP to {bind}"))?;
    let local = server.local_addr();
    for name in streams.registry.names() {
        tracing::info!(addr = %local, "RTSP stream at rtsp://{local}/{name}");
    }
    Ok(server)
}

/// What the servers of one run share: the settings, the camera, the event broker and the
/// streams.
struct Run<'a> {
    store: &'a Arc<SettingsStore>,
    core: &'a Arc<crate::camera::Core>,
    camera: &'a Arc<Camera>,
    broker: &'a Arc<crate::events::Broker>,
    streams: &'a Streams,
    gate: &'a Arc<crate::auth::gate::Gate>,
    io: &'a Arc<crate::io::Io>,
    audio: &'a Arc<crate::audio::AudioStreams>,
}

/// The ONVIF HTTP endpoint (device and imaging services, snapshots) on `bind:http_port`.
async fn start_http(
    config: &Config,
    http_port: u16,
    run: &Run<'_>,
    (rtsp_port, tunnel): (u16, Option<crate::http::server::TunnelDoor>),
    reboot: Arc<tokio::sync::Notify>,
    media: crate::onvif::media::Media,
) -> anyhow::Result<(crate::http::server::HttpServer, u16)> {
    let Run {
        store,
        core,
        camera,
        broker,
        streams,
        gate,
        io,
        audio,
    } = *run;
    use crate::http::server::Router;
    use crate::onvif::device::{Device, DeviceHooks, Identity};
    use crate::onvif::endpoint::{DEVICE_PATH, Endpoint, SNAPSHOT_PREFIX};
    use crate::onvif::generated::device;
    use crate::onvif::imaging::Imaging;
    use crate::snapshot::Snapshots;
    let id = camera.identity();
    let listener = tokio::net::TcpListener::bind((config.bind, http_port))
        .await
        .with_context(|| format!("binding HTTP to {}:{}", config.bind, http_port))?;
    let local = listener.local_addr()?;
    let identity = Identity {
        manufacturer: id.manufacturer.clone(),
        model: id.chip_model.clone(),
        firmware_version: format!(
            "nvt {} ({} {})",
            env!("CARGO_PKG_VERSION"),
            id.sdk_name,
            id.sdk_version
        ),
        serial_number: id.serial.clone(),
        hardware_id: id.chip_model.clone(),
    };
    let web = crate::web::WebContext {
        store: store.clone(),
        registry: streams.registry.clone(),
        audio: audio.registry(),
        device: identity.clone(),
        rtsp_port,
    };
    // The ONVIF services besides Device, one registration each: the endpoint routes from
    // this list and the Device service lists it in GetServices and GetCapabilities.
    // PTZ only where a video source has a head (a camera without one lists no PTZ).
    let ptz = crate::onvif::ptz::Ptz::new(camera.clone(), core.clone());
    let sources = 0..camera.video_sources().len() as u32;
    let deviceio = crate::onvif::deviceio::DeviceIo::new(
        io.clone(),
        core.clone(),
        sources.map(crate::camera::source_token).collect(),
    );
    let metadata = media.metadata_tracks();
    let services: Vec<_> = [
        Some(media.registration()),
        Some(Imaging::new(camera.clone(), core.clone()).registration()),
        Some(
            crate::onvif::media2::Media2::new(
                core.clone(),
                crate::onvif::media2::Ports {
                    rtsp: rtsp_port,
                    http: local.port(),
                },
                ptz.is_some(),
                metadata,
            )
            .registration(),
        ),
        ptz.map(|p| p.registration()),
        Some(crate::onvif::events::Events::new(broker.clone(), store.clone()).registration()),
        Some(deviceio.clone().registration()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let hooks = DeviceHooks {
        reboot: Arc::new(move || reboot.notify_one()),
        http_port: local.port(),
        rtsp_port,
        bind: config.bind,
        services: crate::onvif::directory::advertised(&services),
    };
    let snapshots = Snapshots::new(gate.clone(), store.clone(), Arc::new(camera.sdk().clone()));
    let device = Device::new(store.clone(), identity, hooks)
        .with_core(core.clone())
        .with_deviceio(deviceio);
    let endpoint = services.iter().fold(
        Endpoint::new(gate.clone()).route(DEVICE_PATH, device::Service(device)),
        Endpoint::register,
    );
    let mut router = Router::new(endpoint).handler(SNAPSHOT_PREFIX, Arc::new(snapshots));
    if let Some(door) = tunnel {
        router = router.tunnel(door);
    }
    let router = Arc::new(crate::web::install(router, web));
    tracing::info!(addr = %local, "ONVIF device service at http://{local}/onvif/device_service");
    tracing::info!(addr = %local, "camera page at http://{local}/, live HLS at http://{local}/hls/index.m3u8");
    let mut policy = crate::soap::limits::http_slot_policy();
    let c = &config.connections;
    policy.max_connections = c.http_max_connections.unwrap_or(policy.max_connections);
    policy.max_per_address = c
        .http_max_connections_per_address
        .unwrap_or(policy.max_per_address);
    Ok((
        crate::http::server::HttpServer::spawn_with(listener, router, policy),
        local.port(),
    ))
}

/// The WS-Discovery responder (unless `--no-discovery`). A failure to start it is logged,
/// not fatal: the camera still works for clients given its address.
async fn start_discovery(
    config: &Config,
    store: &Arc<SettingsStore>,
    id: &crate::sdk::SdkVersion,
    http_port: u16,
    changed: Arc<tokio::sync::Notify>,
) -> Option<Discovery> {
    if !config.discovery {
        return None;
    }
    let params = crate::discovery::Params {
        bind: config.bind,
        http_port,
        model: id.chip_model.clone(),
        device_path: crate::onvif::endpoint::DEVICE_PATH.to_owned(),
    };
    match Discovery::start(store.clone(), params, changed).await {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "WS-Discovery not started");
            None
        }
    }
}

/// SIGTERM and SIGINT, installed once when the process starts and awaited when the daemon
/// is up (across SystemReboot restarts too).
struct ShutdownSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn install() -> anyhow::Result<ShutdownSignals> {
        Ok(ShutdownSignals {
            term: signal(SignalKind::terminate()).context("installing SIGTERM handler")?,
            int: signal(SignalKind::interrupt()).context("installing SIGINT handler")?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => tracing::info!("SIGTERM received"),
            _ = self.int.recv() => tracing::info!("SIGINT received"),
        }
    }
}

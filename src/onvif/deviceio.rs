//! The DeviceIO service (ONVIF Device IO Service Specification, doc/DeviceIo.xml, `tmd`),
//! implementing the generated `DeviceIoService` over the board's relays and digital inputs
//! (`crate::io`), at [`PATH`].
//!
//! - Offered on every camera, with counts of 0 on a board without GPIO (empty lists): it
//!   also lists the video sources (GetVideoSources, the tokens Media lists, DEVICEIO-5-1-1).
//! - Relays (`relay0`, ...): GetRelayOutputs, GetRelayOutputOptions (both modes; a monostable
//!   DelayTime from 0.1 s to an hour, nvt's timer: `validate::RELAY_DELAY_MS`),
//!   SetRelayOutputSettings (a camera-core change, persisted), SetRelayOutputState (straight
//!   to the relay). There is no GetRelayState (the spec): the state is the
//!   `tns1:Device/Trigger/Relay` property event.
//! - Digital inputs (`input0`, ...): GetDigitalInputs, GetDigitalInputConfigurationOptions
//!   (IdleState closed or open), SetDigitalInputConfigurations (all or none, persisted);
//!   their state is the `tns1:Device/Trigger/DigitalInput` property event.
//! - Faults (the spec's): an unknown relay `env:Sender/ter:InvalidArgVal/ter:RelayToken`, a
//!   monostable DelayTime not offered `ter:InvalidArgVal/ter:ModeError`, an unknown input
//!   `ter:InvalidArgVal/ter:NoConfig`, an input without IdleState
//!   `ter:InvalidArgVal/ter:SettingsInvalid`.
//! - Audio outputs (`aout0`, ...: the board's speakers, issue 19): GetAudioOutputs and the
//!   AudioOutputs count, the tokens Media's GetAudioOutputs lists
//!   (`onvif::media::audio_out`). The WSDL's Get/SetAudioOutputConfiguration and
//!   GetAudioOutputConfigurationOptions (and the audio source ones) were removed from the
//!   spec in 16.12 (DeviceIo.xml, "Deprecated Interfaces": Media's operations replace
//!   them): ActionNotSupported.
//! - Audio sources (`ai0`, ...: the board's microphones, issue 19): GetAudioSources and the
//!   AudioSources count, the tokens Media's GetAudioSources lists
//!   (`camera::change::audio_source_token`); none on a board without a microphone.
//! - Not offered (ActionNotSupported): video outputs and serial ports (none).
//!
//! The Device service's GetRelayOutputs, SetRelayOutputSettings and SetRelayOutputState
//! (Core s.8.5) are the same operations: `onvif::device` calls [`DeviceIo`]'s.

use std::sync::Arc;

use crate::camera::change::{InputRequest, IoChange, IoRefused, RelayRequest};
use crate::camera::{Change, ChangeError, Core};
use crate::io::{Io, IoError};
use crate::onvif::directory::{Advertised, Registration};
use crate::onvif::generated::{deviceio, deviceio::DeviceIoService, tds, tmd, tt};
use crate::onvif::media::{audio, audio_out};
use crate::onvif::ptz::config::duration_ms;
use crate::onvif::rt::{List, RequestContext, ToXml};
use crate::settings::validate::RELAY_DELAY_MS;
use crate::settings::{IdleState, RelayMode};
use crate::soap::{Code, Fault};
use crate::xml::XmlWriter;
use crate::xml::xsd::parse_duration;

/// Where the service is served.
pub(crate) const PATH: &str = "/onvif/deviceio_service";

/// The DeviceIO service over the running relays and inputs. Cheap to clone: the Device
/// service holds one for its relay operations.
#[derive(Clone)]
pub(crate) struct DeviceIo {
    io: Arc<Io>,
    /// SetRelayOutputSettings and SetDigitalInputConfigurations go through it.
    core: Arc<Core>,
    /// The video source tokens (GetVideoSources).
    video_sources: Vec<String>,
}

fn relay_token_fault(token: &str) -> Fault {
    Fault::invalid_arg_val(Some("RelayToken"), format!("no relay output {token:?}"))
}

/// The spec's fault of a refused relay or input change.
fn change_fault(e: ChangeError) -> Fault {
    match e {
        ChangeError::Io(IoRefused::UnknownRelay(t)) => relay_token_fault(&t),
        ChangeError::Io(IoRefused::Delay(r)) => Fault::invalid_arg_val(Some("ModeError"), r),
        ChangeError::Io(IoRefused::UnknownInput(t)) => {
            Fault::invalid_arg_val(Some("NoConfig"), format!("no digital input {t:?}"))
        }
        ChangeError::Invalid(r) => Fault::invalid_arg_val(Some("SettingsInvalid"), r),
        e => Fault::new(Code::Receiver, &["Action"], e.to_string()),
    }
}

fn mode_to_tt(m: RelayMode) -> tt::RelayMode {
    match m {
        RelayMode::Monostable => tt::RelayMode::Monostable,
        RelayMode::Bistable => tt::RelayMode::Bistable,
    }
}

fn relay_idle_to_tt(i: IdleState) -> tt::RelayIdleState {
    match i {
        IdleState::Open => tt::RelayIdleState::Open,
        IdleState::Closed => tt::RelayIdleState::Closed,
    }
}

fn input_idle_to_tt(i: IdleState) -> tt::DigitalIdleState {
    match i {
        IdleState::Open => tt::DigitalIdleState::Open,
        IdleState::Closed => tt::DigitalIdleState::Closed,
    }
}

/// A DelayTime in ms, if it is a duration nvt can time (not negative, not in months).
fn delay_ms(s: &str) -> Option<u64> {
    parse_duration(s.trim())
        .filter(|d| !d.negative && d.months == 0)
        .map(|d| d.millis)
}

impl DeviceIo {
    pub(crate) fn new(io: Arc<Io>, core: Arc<Core>, video_sources: Vec<String>) -> Self {
        DeviceIo {
            io,
            core,
            video_sources,
        }
    }

    /// The service's one registration: route and GetServices/GetCapabilities entry.
    pub(crate) fn registration(self) -> Registration {
        let entry = DeviceIoEntry {
            capabilities: self.capabilities(),
        };
        Registration::new(entry, deviceio::Service(self))
    }

    fn capabilities(&self) -> tmd::Capabilities {
        let gpio = self.io.gpio();
        tmd::Capabilities {
            video_sources: Some(self.video_sources.len() as i32),
            video_outputs: Some(0),
            audio_sources: Some(self.audio_sources().len() as i32),
            audio_outputs: Some(self.audio_outputs().len() as i32),
            relay_outputs: Some(gpio.relays as i32),
            serial_ports: Some(0),
            digital_inputs: Some(gpio.inputs as i32),
            digital_input_options: Some(gpio.inputs > 0),
            ..Default::default()
        }
    }

    /// The board's speakers (none without a camera attached).
    fn audio_outputs(&self) -> Vec<tt::AudioOutput> {
        (self.core.camera()).map_or_else(Vec::new, |c| audio_out::outputs(&c.facts().speaker))
    }

    /// The board's microphones (none without a camera attached): the tokens Media's
    /// GetAudioSources lists (DeviceIo.xml, "GetAudioSources": "the same tokens as the
    /// media service").
    fn audio_sources(&self) -> Vec<String> {
        (self.core.camera()).map_or_else(Vec::new, |c| {
            audio::sources(c.facts().audio)
                .into_iter()
                .map(|s| s.token)
                .collect()
        })
    }

    /// (digital inputs, relay outputs): the Device service's GetCapabilities `IO`.
    pub(crate) fn counts(&self) -> (u32, u32) {
        let gpio = self.io.gpio();
        (gpio.inputs, gpio.relays)
    }

    /// GetRelayOutputs (DeviceIO and Device).
    pub(crate) fn relay_outputs(&self) -> Vec<tt::RelayOutput> {
        self.io
            .relays()
            .into_iter()
            .map(|(s, _)| tt::RelayOutput {
                token: s.token,
                properties: tt::RelayOutputSettings {
                    mode: mode_to_tt(s.mode),
                    delay_time: duration_ms(s.delay_ms),
                    idle_state: relay_idle_to_tt(s.idle),
                },
                ..Default::default()
            })
            .collect()
    }

    /// SetRelayOutputSettings (DeviceIO and Device): a camera-core change.
    pub(crate) async fn set_relay_settings(
        &self,
        token: &str,
        p: &tt::RelayOutputSettings,
    ) -> Result<(), Fault> {
        let req = RelayRequest {
            token: token.to_owned(),
            mode: match p.mode {
                tt::RelayMode::Monostable => RelayMode::Monostable,
                tt::RelayMode::Bistable => RelayMode::Bistable,
            },
            delay_ms: delay_ms(&p.delay_time),
            idle: match p.idle_state {
                tt::RelayIdleState::Open => IdleState::Open,
                tt::RelayIdleState::Closed => IdleState::Closed,
            },
        };
        self.core
            .apply(Change::Io(IoChange::Relay(req)))
            .await
            .map(|_| ())
            .map_err(change_fault)
    }

    /// SetRelayOutputState (DeviceIO and Device): straight to the relay, on the blocking
    /// pool (a relay driver may block briefly).
    pub(crate) async fn set_relay_state(
        &self,
        token: &str,
        state: tt::RelayLogicalState,
    ) -> Result<(), Fault> {
        let (io, token) = (self.io.clone(), token.to_owned());
        let active = state == tt::RelayLogicalState::Active;
        tokio::task::spawn_blocking(move || io.set_state(&token, active))
            .await
            .map_err(|e| Fault::new(Code::Receiver, &["Action"], format!("relay: {e}")))?
            .map_err(|e| match e {
                IoError::UnknownRelay(t) => relay_token_fault(&t),
                IoError::Sdk(e) => Fault::new(Code::Receiver, &["Action"], format!("relay: {e}")),
            })
    }
}

impl DeviceIoService for DeviceIo {
    async fn get_service_capabilities(
        &self,
        _: &RequestContext,
        _: tmd::GetServiceCapabilities,
    ) -> Result<tmd::GetServiceCapabilitiesResponse, Fault> {
        Ok(tmd::GetServiceCapabilitiesResponse {
            capabilities: self.capabilities(),
        })
    }

    async fn get_audio_outputs(
        &self,
        _: &RequestContext,
        _: tmd::Get,
    ) -> Result<tmd::GetResponse, Fault> {
        Ok(tmd::GetResponse {
            token: self.audio_outputs().into_iter().map(|o| o.token).collect(),
        })
    }

    async fn get_audio_sources(
        &self,
        _: &RequestContext,
        _: tmd::Get,
    ) -> Result<tmd::GetResponse, Fault> {
        Ok(tmd::GetResponse {
            token: self.audio_sources(),
        })
    }

    async fn get_video_sources(
        &self,
        _: &RequestContext,
        _: tmd::Get,
    ) -> Result<tmd::GetResponse, Fault> {
        Ok(tmd::GetResponse {
            token: self.video_sources.clone(),
        })
    }

    async fn get_relay_outputs(
        &self,
        _: &RequestContext,
        _: tds::GetRelayOutputsElement,
    ) -> Result<tds::GetRelayOutputsResponseElement, Fault> {
        Ok(tds::GetRelayOutputsResponseElement {
            relay_outputs: self.relay_outputs(),
        })
    }

    async fn get_relay_output_options(
        &self,
        _: &RequestContext,
        req: tmd::GetRelayOutputOptions,
    ) -> Result<tmd::GetRelayOutputOptionsResponse, Fault> {
        let relays = self.io.relays();
        if let Some(t) = &req.relay_output_token
            && !relays.iter().any(|(s, _)| &s.token == t)
        {
            return Err(relay_token_fault(t));
        }
        let (lo, hi) = RELAY_DELAY_MS;
        let relay_output_options = relays
            .into_iter()
            .filter(|(s, _)| {
                req.relay_output_token
                    .as_ref()
                    .is_none_or(|t| *t == s.token)
            })
            .map(|(s, _)| tmd::RelayOutputOptions {
                token: s.token,
                mode: vec![tt::RelayMode::Monostable, tt::RelayMode::Bistable],
                // A range in seconds (Discrete absent: false), as the spec's first example.
                delay_times: Some(List(vec![lo as f32 / 1000.0, hi as f32 / 1000.0])),
                ..Default::default()
            })
            .collect();
        Ok(tmd::GetRelayOutputOptionsResponse {
            relay_output_options,
        })
    }

    async fn set_relay_output_settings(
        &self,
        _: &RequestContext,
        req: tmd::SetRelayOutputSettings,
    ) -> Result<tmd::SetRelayOutputSettingsResponse, Fault> {
        let r = req.relay_output;
        self.set_relay_settings(&r.token, &r.properties).await?;
        Ok(tmd::SetRelayOutputSettingsResponse {})
    }

    async fn set_relay_output_state(
        &self,
        _: &RequestContext,
        req: tds::SetRelayOutputStateElement,
    ) -> Result<tds::SetRelayOutputStateResponseElement, Fault> {
        self.set_relay_state(&req.relay_output_token, req.logical_state)
            .await?;
        Ok(tds::SetRelayOutputStateResponseElement {})
    }

    async fn get_digital_inputs(
        &self,
        _: &RequestContext,
        _: tmd::GetDigitalInputs,
    ) -> Result<tmd::GetDigitalInputsResponse, Fault> {
        Ok(tmd::GetDigitalInputsResponse {
            digital_inputs: self
                .io
                .inputs()
                .into_iter()
                .map(|(token, idle, _)| tt::DigitalInput {
                    token,
                    idle_state: Some(input_idle_to_tt(idle)),
                    ..Default::default()
                })
                .collect(),
        })
    }

    async fn get_digital_input_configuration_options(
        &self,
        _: &RequestContext,
        req: tmd::GetDigitalInputConfigurationOptions,
    ) -> Result<tmd::GetDigitalInputConfigurationOptionsResponse, Fault> {
        if let Some(t) = &req.token
            && !self.io.inputs().iter().any(|(token, _, _)| token == t)
        {
            return Err(Fault::invalid_arg_val(
                Some("NoConfig"),
                format!("no digital input {t:?}"),
            ));
        }
        Ok(tmd::GetDigitalInputConfigurationOptionsResponse {
            digital_input_options: tmd::DigitalInputConfigurationOptions {
                idle_state: vec![tt::DigitalIdleState::Closed, tt::DigitalIdleState::Open],
                ..Default::default()
            },
        })
    }

    async fn set_digital_input_configurations(
        &self,
        _: &RequestContext,
        req: tmd::SetDigitalInputConfigurations,
    ) -> Result<tmd::SetDigitalInputConfigurationsResponse, Fault> {
        let mut inputs = Vec::new();
        for d in req.digital_inputs {
            let idle = match d.idle_state {
                Some(tt::DigitalIdleState::Open) => IdleState::Open,
                Some(tt::DigitalIdleState::Closed) => IdleState::Closed,
                None => {
                    return Err(Fault::invalid_arg_val(
                        Some("SettingsInvalid"),
                        format!("digital input {:?}: IdleState is required", d.token),
                    ));
                }
            };
            inputs.push(InputRequest {
                token: d.token,
                idle,
            });
        }
        self.core
            .apply(Change::Io(IoChange::Inputs(inputs)))
            .await
            .map_err(change_fault)?;
        Ok(tmd::SetDigitalInputConfigurationsResponse {})
    }
}

/// The DeviceIO service's entry in GetServices and GetCapabilities.
struct DeviceIoEntry {
    capabilities: tmd::Capabilities,
}

impl Advertised for DeviceIoEntry {
    fn namespace(&self) -> &'static str {
        deviceio::NAMESPACE
    }

    fn path(&self) -> &'static str {
        PATH
    }

    fn write_capabilities(&self, w: &mut XmlWriter) {
        self.capabilities.to_xml(w, "tmd:Capabilities");
    }

    /// GetCapabilities has no DeviceIO category: the schema puts its XAddr under
    /// `Capabilities/Extension/DeviceIO` (Core s.8.1.2.2, "Device IO"), answered with the
    /// Device category (and All).
    fn category(&self) -> tt::CapabilityCategory {
        tt::CapabilityCategory::Device
    }

    fn fill_capabilities(&self, caps: &mut tt::Capabilities, xaddr: &str) {
        let c = &self.capabilities;
        caps.extension
            .get_or_insert_with(Default::default)
            .device_io = Some(tt::DeviceIOCapabilities {
            x_addr: xaddr.to_owned(),
            video_sources: c.video_sources.unwrap_or(0),
            video_outputs: 0,
            audio_sources: c.audio_sources.unwrap_or(0),
            audio_outputs: c.audio_outputs.unwrap_or(0),
            relay_outputs: c.relay_outputs.unwrap_or(0),
            ..Default::default()
        });
    }
}

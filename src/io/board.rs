//! The shell around the relay and input logic: the SDK's GPIO calls, one timer task per
//! relay (a monostable relay's return to idle), one blocking thread on
//! `NVT_GPIO_WaitEvent`, and the property events (DeviceIO spec, "Events"):
//! `tns1:Device/Trigger/Relay` (Source RelayToken, Data LogicalState active/inactive) and
//! `tns1:Device/Trigger/DigitalInput` (Source InputToken, Data LogicalState boolean).
//!
//! Every change of a relay or input happens under one lock, SDK call included (relay calls
//! "return once the level is applied": short), so the level, the state and the event agree
//! and come in order. Callers are off the async workers (the blocking pool, the input
//! thread, the camera core's transaction).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::task::AbortHandle;

use crate::events::Broker;
use crate::events::topics::{DIGITAL_INPUT, RELAY};
use crate::sdk::{ErrorCode, GpioInfo, Sdk, SdkError};
use crate::settings::{IdleState, IoSettings, RelaySettings};

use super::input::{self, Sequence};
use super::relay::{Relay, Step};
use super::{input_settings, input_token, relay_index, relay_settings, relay_token};

/// How long one `NVT_GPIO_WaitEvent` waits, which bounds how long stopping takes.
const WAIT: Duration = Duration::from_millis(200);

/// Why a relay command or new settings were not applied. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IoError {
    #[error("no relay output {0:?}")]
    UnknownRelay(String),
    #[error("{0}")]
    Sdk(#[from] SdkError),
}

/// The board's relays and inputs, running. Dropping it stops the input thread and the
/// relay timers (the relays keep their level).
pub(crate) struct Io {
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    sdk: Sdk,
    gpio: GpioInfo,
    broker: Arc<Broker>,
    /// Where relay timers run.
    runtime: tokio::runtime::Handle,
    state: Mutex<State>,
}

struct State {
    relays: Vec<Relay>,
    timers: Vec<Option<AbortHandle>>,
    inputs: Vec<Input>,
}

#[derive(Clone, Copy)]
struct Input {
    idle: IdleState,
    closed: bool,
}

impl Io {
    /// Starts the board's GPIO with `settings`: every relay at its idle level (inactive),
    /// the inputs read, every state published (`Initialized` for the first subscribers),
    /// and a thread following the inputs. Called on a tokio runtime (relay timers run on
    /// it); blocks on SDK calls.
    pub(crate) fn start(
        sdk: Sdk,
        gpio: GpioInfo,
        settings: &IoSettings,
        broker: Arc<Broker>,
    ) -> anyhow::Result<Io> {
        let mut relays = Vec::new();
        for r in 0..gpio.relays {
            let relay = Relay::new(relay_settings(settings, &gpio, r));
            sdk.set_relay(r, relay.closed())?;
            relays.push(relay);
        }
        let mut inputs = Vec::new();
        for i in 0..gpio.inputs {
            inputs.push(Input {
                idle: input_settings(settings, i).idle,
                closed: sdk.input(i)?,
            });
        }
        let shared = Arc::new(Shared {
            sdk,
            gpio,
            broker,
            runtime: tokio::runtime::Handle::current(),
            state: Mutex::new(State {
                timers: vec![None; relays.len()],
                relays,
                inputs,
            }),
        });
        shared.publish_all(&shared.lock());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = if gpio.inputs > 0 {
            let (shared, stop) = (shared.clone(), stop.clone());
            Some(
                std::thread::Builder::new()
                    .name("gpio-inputs".into())
                    .spawn(move || shared.follow_inputs(&stop))?,
            )
        } else {
            None
        };
        tracing::info!(
            relays = gpio.relays,
            inputs = gpio.inputs,
            "relays and inputs ready"
        );
        Ok(Io {
            shared,
            stop,
            thread,
        })
    }

    pub(crate) fn gpio(&self) -> GpioInfo {
        self.shared.gpio
    }

    /// Every relay: its settings and whether it is active.
    pub(crate) fn relays(&self) -> Vec<(RelaySettings, bool)> {
        let s = self.shared.lock();
        s.relays
            .iter()
            .map(|r| (r.settings.clone(), r.active))
            .collect()
    }

    /// Every input: its token, idle state and LogicalState.
    pub(crate) fn inputs(&self) -> Vec<(String, IdleState, bool)> {
        let s = self.shared.lock();
        (0..)
            .zip(&s.inputs)
            .map(|(i, x)| (input_token(i), x.idle, input::active(x.closed, x.idle)))
            .collect()
    }

    /// SetRelayOutputState: relay `token` to `active` (blocks on the SDK).
    pub(crate) fn set_state(&self, token: &str, active: bool) -> Result<(), IoError> {
        let r = relay_index(token, self.shared.gpio.relays)
            .ok_or_else(|| IoError::UnknownRelay(token.to_owned()))?;
        let mut state = self.shared.lock();
        self.shared
            .drive(&mut state, r, |relay| relay.command(active, Instant::now()))
    }

    /// New settings (from the camera core, before it commits them): each relay whose
    /// settings change keeps its logical state at its new level; the inputs take their new
    /// idle states. On an SDK refusal the relays changed so far get their old settings back.
    /// Events follow with [`Io::publish`], once the settings are committed.
    pub(crate) fn reconfigure(&self, settings: &IoSettings) -> Result<(), IoError> {
        let shared = &self.shared;
        let mut state = shared.lock();
        let mut done = Vec::new();
        for r in 0..shared.gpio.relays {
            let new = relay_settings(settings, &shared.gpio, r);
            let old = state.relays[r as usize].settings.clone();
            if new == old {
                continue;
            }
            if let Err(e) = shared.drive(&mut state, r, |relay| {
                relay.reconfigure(new, Instant::now())
            }) {
                for (r, old) in done.into_iter().rev() {
                    let _ = shared.drive(&mut state, r, |relay| {
                        relay.reconfigure(old, Instant::now())
                    });
                }
                return Err(e);
            }
            done.push((r, old));
        }
        for (i, input) in (0..).zip(state.inputs.iter_mut()) {
            input.idle = input_settings(settings, i).idle;
        }
        Ok(())
    }

    /// Publishes every relay's and input's state; only changes reach subscribers (the
    /// broker keeps the last state of each).
    pub(crate) fn publish(&self) {
        self.shared.publish_all(&self.shared.lock());
    }
}

impl Drop for Io {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        for t in self.shared.lock().timers.iter_mut() {
            if let Some(h) = t.take() {
                h.abort();
            }
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Decides with `decide` on a copy of relay `r`, applies the level to the SDK, and only
    /// then keeps the new state, replaces the timer and publishes: a refused level changes
    /// nothing.
    fn drive(
        self: &Arc<Self>,
        state: &mut State,
        r: u32,
        decide: impl FnOnce(&mut Relay) -> Step,
    ) -> Result<(), IoError> {
        let i = r as usize;
        let mut next = state.relays[i].clone();
        let step = decide(&mut next);
        if step.closed != state.relays[i].closed() {
            self.sdk.set_relay(r, step.closed)?;
        }
        state.relays[i] = next;
        self.arm(state, r, step);
        self.publish_relay(r, step.active);
        Ok(())
    }

    /// Replaces relay `r`'s timer with the one `step` names, if any.
    fn arm(self: &Arc<Self>, state: &mut State, r: u32, step: Step) {
        if let Some(h) = state.timers[r as usize].take() {
            h.abort();
        }
        let Some((generation, at)) = step.timer else {
            return;
        };
        // Weak: a timer aborted as the daemon stops (or restarts) must not keep the SDK
        // alive until the runtime gets round to dropping it.
        let shared = Arc::downgrade(self);
        let task = self.runtime.spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let Some(shared) = shared.upgrade() else {
                return;
            };
            let expire = move || shared.expire(r, generation);
            if let Err(e) = tokio::task::spawn_blocking(expire).await {
                tracing::warn!(relay = r, error = %e, "relay timer");
            }
        });
        state.timers[r as usize] = Some(task.abort_handle());
    }

    /// Relay `r`'s timer of `generation` fired.
    fn expire(self: &Arc<Self>, r: u32, generation: u64) {
        let mut state = self.lock();
        let mut probe = state.relays[r as usize].clone();
        if probe.expire(generation, Instant::now()).is_none() {
            return;
        }
        // This task is the timer: nothing to abort.
        state.timers[r as usize] = None;
        let result = self.drive(&mut state, r, |relay| {
            relay
                .expire(generation, Instant::now())
                .expect("decided on a copy above")
        });
        if let Err(e) = result {
            tracing::warn!(relay = r, error = %e, "a monostable relay could not return to idle");
        }
    }

    fn publish_relay(&self, r: u32, active: bool) {
        let state = if active { "active" } else { "inactive" };
        self.broker.set_property(
            RELAY,
            vec![relay_token(r)],
            vec![state.into()],
            self.broker.now_ms(),
        );
    }

    fn publish_input(&self, i: u32, input: Input, at_ms: i64) {
        self.broker.set_property(
            DIGITAL_INPUT,
            vec![input_token(i)],
            vec![input::active(input.closed, input.idle).to_string()],
            at_ms,
        );
    }

    fn publish_all(&self, state: &State) {
        for (r, relay) in (0..).zip(&state.relays) {
            self.publish_relay(r, relay.active);
        }
        let now = self.broker.now_ms();
        for (i, input) in (0..).zip(&state.inputs) {
            self.publish_input(i, *input, now);
        }
    }

    /// The input thread: every change the SDK reports becomes the input's level (and an
    /// event when its LogicalState changes), stamped with when it was seen; after lost
    /// changes the levels are read again.
    fn follow_inputs(&self, stop: &AtomicBool) {
        let sdk = &self.sdk;
        let mut sequence = Sequence::default();
        let mut errors = 0u64;
        while !stop.load(Ordering::Acquire) {
            match sdk.input_event(WAIT) {
                Ok(e) => {
                    let age = crate::sdk::capture_clock_now().saturating_sub(e.pts);
                    let at = self.broker.now_ms() - age.as_millis() as i64;
                    let lost = sequence.lost_before(e.seq);
                    let mut state = self.lock();
                    if lost {
                        tracing::warn!(seq = e.seq, "input changes were lost; reading the levels");
                        for i in 0..self.gpio.inputs {
                            if let Ok(closed) = sdk.input(i) {
                                state.inputs[i as usize].closed = closed;
                            }
                        }
                    }
                    if let Some(input) = state.inputs.get_mut(e.input as usize) {
                        input.closed = e.closed;
                    }
                    for (i, input) in (0..).zip(&state.inputs) {
                        self.publish_input(i, *input, at);
                    }
                    tracing::info!(input = e.input, closed = e.closed, "digital input changed");
                }
                Err(e) if e.code == ErrorCode::Timeout => {}
                Err(e) if e.code == ErrorCode::Stopped => return,
                Err(e) => {
                    if errors.is_multiple_of(100) {
                        tracing::warn!(error = %e, "digital input error; retrying");
                    }
                    errors += 1;
                    std::thread::sleep(WAIT);
                }
            }
        }
    }
}

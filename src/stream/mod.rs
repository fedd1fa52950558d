//! The protocol-neutral stream core: frames in, per-viewer bounded queues out.
//!
//! One [`StreamHub`] per encoder channel takes the capture thread's [`crate::frame::Frame`]s
//! and hands every viewer the same `Arc` of each, packed once by a protocol's [`Packer`]
//! (RTP: `crate::rtp::stream`); nothing here knows RTP, RTSP or HLS. Sans-IO in time: every
//! decision that depends on time takes `now` from its caller, so all of it is unit-tested on
//! simulated time; the shells (the capture thread, the RTSP and HLS tasks) read the clock.
//!
//! | file | idea |
//! |---|---|
//! | `hub.rs` | the fan-out: publish (pack once, GOP, parameter sets, offer to each queue), subscribe, settings |
//! | `queue.rs` | one viewer's queue and the slow-viewer policy (resync at a keyframe, kick past the lag bound) |
//! | `consumer.rs` | a viewer's handle on its queue (take, sent, kicked) and the watch on its first unit |
//! | `direct.rs` | a viewer's direct sink: a unit to an idle viewer's wire from the publisher, no wake-up |
//! | `gop.rs` | the GOP cache a new viewer starts from |
//! | `recent.rs` | the last seconds of a stream of independent units (audio), for a viewer starting at its video's IDR |
//! | `keyframe.rs` | asking the encoder for an IDR, throttled |
//! | `params.rs` | parameter sets and the settings that describe the stream (SDP, codec string) |
//! | `packing.rs` | what a protocol provides: `Packer` and its `Unit` |
//! | `tap.rs` | raw frames for consumers that mux for themselves (HLS) |
//! | `metrics.rs` | viewer and hub counters |
//! | `registry.rs` | the streams by path |

mod consumer;
mod direct;
mod gop;
mod hub;
mod keyframe;
mod metrics;
mod packing;
mod params;
mod queue;
mod recent;
mod registry;
mod tap;

pub(crate) use consumer::{Kicked, Viewer, ViewerWatch};
pub(crate) use direct::{Direct, DirectSink};
pub(crate) use hub::StreamHub;
pub use metrics::{HubMetrics, ViewerMetrics};
pub use packing::Packer;
pub(crate) use packing::Unit;
pub(crate) use params::Description;
pub use params::{MulticastConfig, StreamConfig};
pub use queue::QueueLimits;
pub use registry::StreamRegistry;

//! Events (ONVIF Core s.9): the broker that producers publish to and subscriptions read from,
//! the topic catalog, topic and message content filters, push delivery, the fair sharing of
//! the subscription tables between users, and the producers (motion from the SDK,
//! monitoring, media configuration changes, tamper). The SOAP side is `crate::onvif::events`.
//! Limits: [`limits`]; user docs: docs/events.md.

pub mod broker;
pub mod content_filter;
pub mod filter;
pub mod limits;
pub(crate) mod media;
pub mod message;
pub mod monitor;
pub mod push;
pub mod share;
pub(crate) mod sound;
pub(crate) mod tamper;
pub mod topics;

pub(crate) use broker::{Broker, BrokerError, Kind};
pub use message::{Message, PropertyOperation};

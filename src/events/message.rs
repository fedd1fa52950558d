//! An event as the broker carries it: a topic, a time, a property operation and the items,
//! before any wire form (the Events service renders it, `onvif/events/render.rs`).

use super::topics::TopicId;

/// ONVIF `tt:PropertyOperation` (ONVIF Core s.9.2.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropertyOperation {
    Initialized,
    Changed,
    Deleted,
}

impl PropertyOperation {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PropertyOperation::Initialized => "Initialized",
            PropertyOperation::Changed => "Changed",
            PropertyOperation::Deleted => "Deleted",
        }
    }
}

/// One event: a topic, when, the property operation, and the Source and Data items in the
/// order the topic's description lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub(crate) topic: TopicId,
    /// Device clock, Unix milliseconds.
    pub(crate) utc_ms: i64,
    pub(crate) operation: Option<PropertyOperation>,
    pub(crate) source: Vec<String>,
    pub(crate) data: Vec<String>,
}

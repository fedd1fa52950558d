//! A metadata configuration: SetMetadataConfiguration's values, and the configuration they
//! make.

use crate::settings::{MetadataConfig, Multicast, Settings};

use super::error::{ChangeError, check_name, check_session_timeout};

/// SetMetadataConfiguration's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataRequest {
    pub(crate) token: String,
    pub(crate) name: String,
    pub(crate) analytics: bool,
    pub(crate) events: bool,
    /// PTZ status or position in the metadata stream asked for (not offered).
    pub(crate) ptz_status: bool,
    /// An analytics engine configuration given (none is offered).
    pub(crate) analytics_engine: bool,
    pub(crate) multicast: Multicast,
    pub(crate) session_timeout_secs: u32,
}

/// Name, Analytics, Events, multicast and session timeout (no PTZ status in the metadata
/// stream; no analytics engine configuration is offered).
pub(crate) fn metadata(next: &mut Settings, c: MetadataRequest) -> Result<(), ChangeError> {
    if !next.media.metadata.iter().any(|m| m.token == c.token) {
        return Err(ChangeError::NoConfig(c.token));
    }
    check_name(&c.name)?;
    if c.ptz_status {
        return Err(ChangeError::Invalid(
            "PTZ status in the metadata stream is not offered".into(),
        ));
    }
    if c.analytics_engine {
        return Err(ChangeError::Invalid(
            "analytics engine configuration is not offered".into(),
        ));
    }
    check_session_timeout(c.session_timeout_secs)?;
    let m: &mut MetadataConfig = next
        .media
        .metadata
        .iter_mut()
        .find(|m| m.token == c.token)
        .expect("found above");
    m.name = c.name;
    m.analytics = c.analytics;
    m.events = c.events;
    m.multicast = c.multicast;
    m.session_timeout_secs = c.session_timeout_secs;
    Ok(())
}

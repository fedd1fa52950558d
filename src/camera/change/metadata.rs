//! A metadata configuration: SetMetadataConfiguration's values, and the configuration they
//! make.

use crate::settings::{FilterComponent, MetadataConfig, Multicast, Settings};

use super::error::{ChangeError, check_name, check_session_timeout};
use crate::events::filter::{self, Filter, FilterError, WSNT};
use crate::xml::{Attribute, Element};

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
    /// The Events filter's components (empty: none), evaluated by the service already.
    pub(crate) events_filter: Vec<FilterComponent>,
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
    if c.events && !c.events_filter.is_empty() {
        events_filter(&c.events_filter)
            .map_err(|e| ChangeError::Invalid(format!("events filter: {e}")))?;
    }
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
    m.events_filter = if c.events {
        c.events_filter
    } else {
        Vec::new()
    };
    Ok(())
}

/// A stored Events filter evaluated against the topic catalog now: what the metadata
/// stream's subscription lets through (`crate::events::filter`, the pull points' filter).
pub(crate) fn events_filter(components: &[FilterComponent]) -> Result<Filter, FilterError> {
    let elements: Vec<Element> = components
        .iter()
        .map(|c| {
            let mut e = Element::new(Some(WSNT), &c.element);
            e.attrs.push(Attribute {
                ns: None,
                name: "Dialect".into(),
                value: c.dialect.clone(),
            });
            e.text = c.text.clone();
            e.ns_decls = c.namespaces.clone();
            e
        })
        .collect();
    filter::evaluate(&elements, &[])
}

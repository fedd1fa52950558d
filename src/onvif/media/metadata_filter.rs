//! The Events filter of a metadata configuration (`tt:MetadataConfiguration/Events/Filter`,
//! a `wsnt:FilterType`) between its SOAP form and the settings' stored components
//! (`settings::FilterComponent`), for Media 1 (and Media 2) Set/GetMetadataConfiguration.
//! The filter itself is evaluated by the camera core's change (`camera::change::events_filter`),
//! the same code a pull point's filter goes through.

use crate::events::filter::WSNT;
use crate::onvif::generated::{tt, wsnt};
use crate::settings::FilterComponent;
use crate::xml::{Attribute, Element};

/// The components of `events`' filter, each with the namespace declarations it carries.
/// Prefixes declared further out (the envelope) are not seen here: `tns1:` and `tt:`, the
/// only ones ONVIF filters use, resolve without a declaration (`events::filter`).
pub(crate) fn components(events: Option<&tt::EventSubscription>) -> Vec<FilterComponent> {
    let Some(filter) = events.and_then(|e| e.filter.as_ref()) else {
        return Vec::new();
    };
    filter
        .any
        .iter()
        .map(|c| FilterComponent {
            element: if c.ns.as_deref() == Some(WSNT) {
                c.name.clone()
            } else {
                // Refused by the evaluation (InvalidFilter) with its name kept.
                format!("{{{}}}{}", c.ns.as_deref().unwrap_or(""), c.name)
            },
            dialect: c.attr("Dialect").unwrap_or("").to_owned(),
            text: c.text.clone(),
            namespaces: c.ns_decls.clone(),
        })
        .collect()
}

/// The stored components as the `wsnt:Filter` of a GetMetadataConfiguration answer.
pub(crate) fn filter(components: &[FilterComponent]) -> Option<wsnt::FilterType> {
    if components.is_empty() {
        return None;
    }
    Some(wsnt::FilterType {
        any: components
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
            .collect(),
    })
}

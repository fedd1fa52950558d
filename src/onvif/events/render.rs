//! Messages as XML: the `wsnt:NotificationMessage` of PullMessages and Notify, with the
//! `tt:Message` payload (ONVIF Core s.9.2.1: UtcTime, PropertyOperation, Source, Data).
//! The broker (`crate::events`) is protocol-neutral; this is the ONVIF wire form of its
//! messages, so it lives with the service, above the generated types it fills.

use std::sync::Arc;

use crate::events::message::Message;
use crate::events::topics::{CONCRETE_SET, TOPICS, TT};
use crate::onvif::generated::{wsa, wsnt};
use crate::xml::{Attribute, Element, XmlWriter};

/// `xs:dateTime` in UTC with milliseconds (`2026-11-22T08:00:00.123Z`): event times are finer
/// than a second.
pub(crate) fn datetime_ms(ms: i64) -> String {
    let t = crate::xml::xsd::utc_from_unix_ms(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.millis
    )
}

fn attr(name: &str, value: &str) -> Attribute {
    Attribute {
        ns: None,
        name: name.into(),
        value: value.into(),
    }
}

fn items(part: &str, names: impl Iterator<Item = &'static str>, values: &[String]) -> Element {
    let mut p = Element::new(Some(TT), part);
    for (name, value) in names.zip(values) {
        let mut it = Element::new(Some(TT), "SimpleItem");
        it.attrs.push(attr("Name", name));
        it.attrs.push(attr("Value", value));
        p.children.push(it);
    }
    p
}

/// The `tt:Message` element of `m`; item names come from the topic's description.
pub(crate) fn message_element(m: &Message) -> Element {
    let t = &TOPICS[m.topic];
    let mut e = Element::new(Some(TT), "Message");
    e.attrs.push(attr("UtcTime", &datetime_ms(m.utc_ms)));
    if let Some(op) = m.operation {
        e.attrs.push(attr("PropertyOperation", op.as_str()));
    }
    e.children
        .push(items("Source", t.source.iter().map(|i| i.name), &m.source));
    e.children
        .push(items("Data", t.data.iter().map(|i| i.name), &m.data));
    e
}

/// `m` as a NotificationMessage; `subscription` is the subscription's address (push
/// messages carry it so the consumer can tell its subscriptions apart).
pub(crate) fn holder(
    m: &Message,
    subscription: Option<&str>,
) -> wsnt::NotificationMessageHolderType {
    wsnt::NotificationMessageHolderType {
        subscription_reference: subscription.map(epr),
        topic: Some(wsnt::TopicExpressionType {
            dialect: CONCRETE_SET.into(),
            text: TOPICS[m.topic].expression(),
            ..Default::default()
        }),
        producer_reference: None,
        message: wsnt::NotificationMessageHolderTypeMessage {
            any: vec![message_element(m)],
        },
    }
}

/// A WS-Addressing endpoint reference with only an Address.
pub(crate) fn epr(address: &str) -> wsa::EndpointReferenceType {
    wsa::EndpointReferenceType {
        address: wsa::AttributedURIType {
            value: address.into(),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// WS-BaseNotification Notify action (bw-2 NotificationConsumer binding).
pub(crate) const NOTIFY_ACTION: &str =
    "http://docs.oasis-open.org/wsn/bw-2/NotificationConsumer/Notify";

/// The SOAP 1.2 envelope of a Notify carrying `batch`, sent to `consumer`.
pub(crate) fn notify_envelope(
    batch: &[Arc<Message>],
    subscription: &str,
    consumer: &str,
) -> String {
    let mut w = XmlWriter::new();
    w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    w.open("env:Envelope");
    w.attr("xmlns:env", crate::soap::ns::ENV12);
    for (p, u) in [
        ("wsa", crate::soap::ns::WSA),
        ("tns1", crate::soap::ns::TNS1),
        ("wsnt", crate::events::filter::WSNT),
    ] {
        w.attr(&format!("xmlns:{p}"), u);
    }
    w.close_start();
    w.raw("<env:Header>");
    w.simple("wsa:Action", NOTIFY_ACTION);
    w.simple("wsa:To", consumer);
    w.raw("</env:Header><env:Body><wsnt:Notify>");
    for m in batch {
        crate::onvif::rt::ToXml::to_xml(
            &holder(m, Some(subscription)),
            &mut w,
            "wsnt:NotificationMessage",
        );
    }
    w.raw("</wsnt:Notify></env:Body></env:Envelope>");
    w.into_string()
}

/// A metadata stream's document (ONVIF Streaming, "RTP for Metadata stream"): root
/// `tt:MetadataStream`, the messages in its `tt:Event` as `wsnt:NotificationMessage`s, each
/// exactly as PullMessages renders it (topic, `tt:Message` with UtcTime, PropertyOperation,
/// Source and Data). An empty batch is an empty stream element: the document a
/// synchronization point starts when no state matches.
pub(crate) fn metadata_document(batch: &[Arc<Message>]) -> String {
    let mut w = XmlWriter::new();
    w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    w.open("tt:MetadataStream");
    for (p, u) in [
        ("tt", TT),
        ("wsnt", crate::events::filter::WSNT),
        ("wsa", crate::soap::ns::WSA),
        ("tns1", crate::soap::ns::TNS1),
    ] {
        w.attr(&format!("xmlns:{p}"), u);
    }
    if batch.is_empty() {
        w.close_empty();
        return w.into_string();
    }
    w.close_start();
    w.raw("<tt:Event>");
    for m in batch {
        crate::onvif::rt::ToXml::to_xml(&holder(m, None), &mut w, "wsnt:NotificationMessage");
    }
    w.raw("</tt:Event></tt:MetadataStream>");
    w.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::message::PropertyOperation;
    use crate::events::topics::CELL_MOTION;

    #[test]
    fn a_metadata_document_is_a_metadata_stream_of_notification_messages() {
        let m = Arc::new(Message {
            topic: crate::events::topics::MOTION_ALARM,
            utc_ms: 1_700_000_000_123,
            operation: Some(PropertyOperation::Changed),
            source: vec!["vs0".into()],
            data: vec!["true".into()],
        });
        let doc = metadata_document(&[m.clone(), m]);
        let root = crate::xml::parse(doc.as_bytes()).unwrap();
        assert_eq!(
            (root.ns.as_deref(), root.name.as_str()),
            (Some(TT), "MetadataStream")
        );
        let event = root.child(TT, "Event").unwrap();
        let wsnt = crate::events::filter::WSNT;
        let msgs: Vec<_> = event
            .children
            .iter()
            .filter(|c| c.name == "NotificationMessage" && c.ns.as_deref() == Some(wsnt))
            .collect();
        assert_eq!(msgs.len(), 2, "{doc}");
        let topic = msgs[0].child(wsnt, "Topic").unwrap();
        assert_eq!(topic.text.trim(), "tns1:VideoSource/MotionAlarm");
        assert!(doc.contains("xmlns:tns1=\"http://www.onvif.org/ver10/topics\""));
        assert!(
            doc.contains("UtcTime=\"2023-11-14T22:13:20.123Z\""),
            "{doc}"
        );
        assert!(doc.contains("Name=\"State\" Value=\"true\""), "{doc}");
        let empty = metadata_document(&[]);
        let root = crate::xml::parse(empty.as_bytes()).unwrap();
        assert_eq!(root.name, "MetadataStream");
        assert!(root.children.is_empty());
    }

    #[test]
    fn notify_is_well_formed_and_carries_the_items() {
        let m = Arc::new(Message {
            topic: CELL_MOTION,
            utc_ms: 1_700_000_000_123,
            operation: Some(PropertyOperation::Changed),
            source: vec![
                "vsc0".into(),
                "VideoAnalyticsToken".into(),
                "MotionDetectorRule".into(),
            ],
            data: vec!["true".into()],
        });
        let xml = notify_envelope(&[m], "http://cam/onvif/subscription/1", "http://nvr/hook");
        let env = crate::xml::parse(xml.as_bytes()).unwrap();
        let body = env.child(crate::soap::ns::ENV12, "Body").unwrap();
        let nm = body.children[0]
            .child(crate::events::filter::WSNT, "NotificationMessage")
            .unwrap();
        let topic = nm.child(crate::events::filter::WSNT, "Topic").unwrap();
        assert_eq!(topic.text, "tns1:RuleEngine/CellMotionDetector/Motion");
        let msg = nm
            .child(crate::events::filter::WSNT, "Message")
            .unwrap()
            .child(TT, "Message")
            .unwrap();
        assert_eq!(msg.attr("UtcTime"), Some("2023-11-14T22:13:20.123Z"));
        assert_eq!(msg.attr("PropertyOperation"), Some("Changed"));
        let src: Vec<_> = msg
            .child(TT, "Source")
            .unwrap()
            .children
            .iter()
            .map(|c| c.attr("Name").unwrap())
            .collect();
        assert_eq!(
            src,
            [
                "VideoSourceConfigurationToken",
                "VideoAnalyticsConfigurationToken",
                "Rule"
            ]
        );
        let data = &msg.child(TT, "Data").unwrap().children[0];
        assert_eq!(
            (data.attr("Name"), data.attr("Value")),
            (Some("IsMotion"), Some("true"))
        );
    }
}

//! The metadata streams (ONVIF Streaming, "RTP for Metadata stream"): per profile holding
//! a metadata configuration, one broker subscription with the
//! configuration's filter, whose messages become `tt:MetadataStream` documents
//! ([`super::render::metadata_document`], the rendering PullMessages uses) published into
//! one stream-core hub; RTSP serves that hub as the profile's `trackID=1`
//! (`crate::rtp::metadata`).
//!
//! One subscription per stream, not per viewer: the stream core fans each document out to
//! every viewer of the profile through bounded queues, so a slow viewer loses documents
//! and never holds up the others or the broker.
//!
//! Documents: every batch of messages the subscription holds when the task wakes is one
//! document (ONVIF Streaming: "It is RECOMMENDED to start new XML documents after 1 second,
//! at the longest": a document is closed as soon as it is written). A synchronization point
//! (a viewer's PLAY asks for one through the hub's keyframe request, throttled to one a
//! second per stream) closes the document and starts one with the current property states
//! (`PropertyOperation="Initialized"`, as SetSynchronizationPoint re-sends them on a pull
//! point), an empty `tt:MetadataStream` when none matches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::sync::Notify;

use crate::camera::change::events_filter;
use crate::events::filter::{Filter, TopicSet};
use crate::events::{Broker, broker::Subscription};
use crate::rtp::metadata::document_frame;
use crate::rtp::{MetadataHub, MetadataRegistry};
use crate::settings::{MetadataConfig, Settings};
use crate::stream::{MulticastConfig, StreamConfig};

/// Most messages in one document (a burst beyond it goes on in the next document).
const MAX_MESSAGES_PER_DOCUMENT: usize = 64;

/// How long the producer's task waits for messages before looking again (it is woken by
/// every message; this only bounds a wait on a subscription that was closed under it).
const IDLE_WAIT: Duration = Duration::from_secs(60);

/// What a metadata configuration streams: the events its Events filter selects
/// (`tt:MetadataConfiguration/Events/Filter`, stored by SetMetadataConfiguration), every
/// event when Events has no filter, none when it is absent. nvt has no analytics engine and
/// streams no PTZ status yet, so Analytics and PTZStatus bring nothing more.
///
/// Every profile holding a metadata configuration carries the track, whatever it selects
/// (ONVIF Streaming, "RTP for Metadata stream": the profile's metadata configuration
/// describes the stream; the test specification's MEDIA2_RTSS-4-* DESCRIBE right after
/// adding one). The default profiles hold none, so no client's SDP changes until a client
/// asks for metadata (docs/rtsp.md, "Tracks").
pub(crate) fn content_filter(c: &MetadataConfig) -> Filter {
    if !c.events {
        return Filter::topics(TopicSet::EMPTY);
    }
    if c.events_filter.is_empty() {
        return Filter::ALL;
    }
    events_filter(&c.events_filter).unwrap_or_else(|e| {
        // Stored by a SetMetadataConfiguration that evaluated it; a catalog that lost a
        // topic since can make it match nothing.
        tracing::warn!(config = %c.token, error = %e, "metadata events filter matches nothing");
        Filter::topics(TopicSet::EMPTY)
    })
}

/// The metadata streams of the profiles, kept in line with the settings ([`Self::sync`]).
pub(crate) struct MetadataStreams {
    broker: Arc<Broker>,
    registry: Arc<MetadataRegistry>,
    producers: Mutex<HashMap<String, Producer>>,
}

/// One profile's stream: its hub (kept while the track exists, so viewers stay attached
/// across filter changes) and the task feeding it from its subscription.
struct Producer {
    filter: Filter,
    hub: Arc<MetadataHub>,
    /// Woken by the hub's keyframe requests: a synchronization point.
    sync: Arc<Notify>,
    task: Feeder,
}

/// The task of one subscription; dropping it ends both.
struct Feeder {
    task: tokio::task::JoinHandle<()>,
    sub: Arc<Subscription>,
    broker: Arc<Broker>,
}

impl Drop for Feeder {
    fn drop(&mut self) {
        self.task.abort();
        let _ = self.broker.unsubscribe(&self.sub.id);
    }
}

impl MetadataStreams {
    pub(crate) fn new(broker: Arc<Broker>) -> Arc<Self> {
        Arc::new(Self {
            broker,
            registry: MetadataRegistry::new(),
            producers: Mutex::new(HashMap::new()),
        })
    }

    /// The tracks by path, for the RTSP server.
    pub(crate) fn registry(&self) -> Arc<MetadataRegistry> {
        self.registry.clone()
    }

    /// Makes the metadata tracks match the settings: a track for every profile holding a
    /// metadata configuration (with or without a video encoder: a profile of metadata
    /// alone is an RTSP presentation of its own), streaming [`content_filter`]. A
    /// changed filter replaces the subscription and keeps the hub (viewers playing keep
    /// their track); the subscription is made before this returns, so the events of the
    /// change that called it (`tns1:Media/ConfigurationChanged`, published after the
    /// streams follow a change) reach it. Must run inside the tokio runtime.
    pub(crate) fn sync(&self, settings: &Settings) {
        let mut wanted: HashMap<String, (Filter, Option<MulticastConfig>)> = HashMap::new();
        for p in &settings.media.profiles {
            let config = p
                .metadata
                .as_deref()
                .and_then(|t| settings.media.metadata.iter().find(|m| m.token == t));
            if let Some(config) = config {
                let group = config.multicast.group();
                wanted.insert(p.token.clone(), (content_filter(config), group));
            }
        }
        let mut producers = self.producers.lock().unwrap_or_else(|e| e.into_inner());
        producers.retain(|path, _| {
            let keep = wanted.contains_key(path);
            if !keep {
                self.registry.unregister(path);
                tracing::info!(profile = %path, "metadata track removed");
            }
            keep
        });
        for (path, (filter, group)) in wanted {
            if let Some(p) = producers.get(&path) {
                // SETUP offers the configuration's group from now on; a running group
                // sender moves there (`MulticastControl::follow_tracks`, after this sync).
                p.hub.set_multicast(group);
            }
            match producers.get_mut(&path) {
                Some(p) if p.filter == filter => {}
                Some(p) => {
                    p.task = self.feed(&p.hub, &p.sync, filter.clone());
                    p.filter = filter;
                    tracing::info!(profile = %path, "metadata track filter changed");
                }
                None => {
                    let hub = MetadataHub::new(
                        format!("{path} metadata"),
                        StreamConfig {
                            multicast: group,
                            ..StreamConfig::default()
                        },
                    );
                    let sync = Arc::new(Notify::new());
                    let wake = sync.clone();
                    hub.set_keyframe_source(Box::new(move || wake.notify_one()));
                    let task = self.feed(&hub, &sync, filter.clone());
                    self.registry.register(path.clone(), hub.clone());
                    tracing::info!(profile = %path, "metadata track added");
                    producers.insert(
                        path,
                        Producer {
                            filter,
                            hub,
                            sync,
                            task,
                        },
                    );
                }
            }
        }
    }

    /// Subscribes with `filter` and starts the task that turns its messages into documents
    /// of `hub`, and `sync`'s wake-ups into synchronization points.
    fn feed(&self, hub: &Arc<MetadataHub>, sync: &Arc<Notify>, filter: Filter) -> Feeder {
        let sub = self.broker.subscribe_stream(filter);
        let task = tokio::spawn(produce(
            self.broker.clone(),
            sub.clone(),
            hub.clone(),
            sync.clone(),
        ));
        Feeder {
            task,
            sub,
            broker: self.broker.clone(),
        }
    }
}

/// The producer: each batch of messages one document, each synchronization point one
/// document of the current states.
async fn produce(
    broker: Arc<Broker>,
    sub: Arc<Subscription>,
    hub: Arc<MetadataHub>,
    sync: Arc<Notify>,
) {
    loop {
        let batch = tokio::select! {
            b = sub.next(IDLE_WAIT, MAX_MESSAGES_PER_DOCUMENT) => {
                if b.is_empty() {
                    if sub.is_closed() {
                        return;
                    }
                    continue;
                }
                b
            }
            _ = sync.notified() => {
                // Close what is queued into this document, then the states.
                let _ = broker.synchronize(&sub.id);
                sub.next(Duration::ZERO, usize::MAX).await
            }
        };
        let doc = super::render::metadata_document(&batch);
        let frame = document_frame(
            Bytes::from(doc),
            crate::sdk::capture_clock_now(),
            SystemTime::now(),
        );
        hub.publish(frame, std::time::Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::topics::{CONCRETE_SET, MOTION_ALARM};
    use crate::settings::FilterComponent;

    fn component(text: &str) -> FilterComponent {
        FilterComponent {
            element: "TopicExpression".into(),
            dialect: CONCRETE_SET.into(),
            text: text.into(),
            namespaces: vec![("tns1".into(), crate::soap::ns::TNS1.into())],
        }
    }

    fn config(events: bool, filter: Vec<FilterComponent>) -> MetadataConfig {
        let mut c = Settings::default().media.metadata[0].clone();
        c.events = events;
        c.events_filter = filter;
        c
    }

    #[test]
    fn the_configuration_selects_the_content() {
        // Events without a filter: every event.
        let default = Settings::default().media.metadata[0].clone();
        assert_eq!(content_filter(&default), Filter::ALL);
        // No Events: none, whatever filter is left.
        let none = content_filter(&config(
            false,
            vec![component("tns1:VideoSource/MotionAlarm")],
        ));
        assert!(!none.topics.contains(MOTION_ALARM));
        assert_eq!(none.topics, TopicSet::EMPTY);
        let f = content_filter(&config(
            true,
            vec![component("tns1:VideoSource/MotionAlarm")],
        ));
        assert!(f.topics.contains(MOTION_ALARM));
        let media = content_filter(&config(true, vec![component("tns1:Media//.")]));
        assert!(!media.topics.contains(MOTION_ALARM));
    }

    /// Settings where every default profile holds `meta0`.
    fn holding_meta0() -> Settings {
        let mut s = Settings::default();
        let token = s.media.metadata[0].token.clone();
        for p in &mut s.media.profiles {
            p.metadata = Some(token.clone());
        }
        s
    }

    #[tokio::test]
    async fn one_subscription_per_stream_feeds_every_viewer() {
        let broker = Arc::new(Broker::new(4, Arc::new(|| 1_700_000_000_000)));
        let streams = MetadataStreams::new(broker.clone());
        // The default profiles hold no metadata configuration: no track.
        streams.sync(&Settings::default());
        assert!(streams.registry().names().is_empty());
        let mut s = holding_meta0();
        s.media.metadata[0].events_filter = vec![component("tns1:VideoSource/MotionAlarm")];
        streams.sync(&s);
        let paths = streams.registry().names();
        assert_eq!(
            paths.len(),
            s.media.profiles.len(),
            "every default profile holds meta0"
        );
        let hub = streams.registry().get(&paths[0]).unwrap();
        let t0 = std::time::Instant::now();
        let (a, b) = (hub.subscribe("a", t0), hub.subscribe("b", t0));
        broker.set_property(MOTION_ALARM, vec!["vs0".into()], vec!["true".into()], 1);
        let mut docs = Vec::new();
        for v in [&a, &b] {
            let f = tokio::time::timeout(Duration::from_secs(5), v.next())
                .await
                .unwrap()
                .unwrap();
            let mut r = crate::rtp::metadata::Reassembler::default();
            let doc = f.packets.iter().find_map(|p| r.push(p)).unwrap();
            docs.push((f.first_seq, String::from_utf8(doc).unwrap()));
        }
        assert_eq!(docs[0], docs[1], "one document, one sequence space");
        assert!(
            docs[0].1.contains("tns1:VideoSource/MotionAlarm"),
            "{}",
            docs[0].1
        );
        // A filter change keeps the hub, and so does removing the filter (every event);
        // removing the configuration from the profiles removes the track.
        s.media.metadata[0].events_filter = vec![component("tns1:Media//.")];
        streams.sync(&s);
        assert!(Arc::ptr_eq(
            &streams.registry().get(&paths[0]).unwrap(),
            &hub
        ));
        s.media.metadata[0].events_filter.clear();
        streams.sync(&s);
        assert!(Arc::ptr_eq(
            &streams.registry().get(&paths[0]).unwrap(),
            &hub
        ));
        for p in &mut s.media.profiles {
            p.metadata = None;
        }
        streams.sync(&s);
        assert!(streams.registry().names().is_empty());
        assert_eq!(
            broker.counts(),
            (0, 0),
            "stream subscriptions are not clients'"
        );
    }
}

//! The Events service (ONVIF Core s.9) over the broker (`crate::events`):
//! - at [`EVENTS_PATH`]: GetServiceCapabilities, GetEventProperties,
//!   CreatePullPointSubscription (`tev:EventPortType`) and Subscribe (WS-BaseNotification
//!   NotificationProducer, push);
//! - at `SUBSCRIPTION_PREFIX<id>`, one address per subscription: PullMessages,
//!   SetSynchronizationPoint (`tev:PullPointSubscription`), Renew and Unsubscribe
//!   (WS-BaseNotification SubscriptionManager), for pull points and push subscriptions alike.
//!
//! Faults: the WSDL's declared faults (WS-BaseNotification, WS-ResourceFramework,
//! `tev:PullMessagesFaultResponse`) travel as the SOAP fault's detail element, under
//! `env:Sender/ter:InvalidArgVal` (the request is wrong) or `env:Receiver/ter:Action` (the
//! device cannot, e.g. no pull point left). Limits: `crate::events::limits`, docs/events.md.

use std::sync::Arc;
use std::time::Duration;

pub(crate) mod metadata;
mod render;

use crate::auth::UserLevel;
use crate::events::filter::{self, Filter, FilterError, WSNT};
use crate::events::limits::{
    MAX_LIFETIME, MAX_PULL_MESSAGES, MAX_PULL_TIMEOUT, MAX_PUSH_SUBSCRIPTIONS,
};
use crate::events::push::{Consumer, PushError};
use crate::events::share::Requester;
use crate::events::topics::{CONCRETE_SET, WSTOP_CONCRETE, XPATH_DIALECT, topic_set};
use crate::events::{Broker, BrokerError, Kind, broker::lifetime};
use crate::onvif::directory::Registration;
use crate::onvif::generated::{
    events, notification_producer, pull_point, subscription_manager, tev, tt, wsnt, wstop,
};
use crate::onvif::rt::{BoxFuture, Operation, RequestContext, SoapService, ToXml};
use crate::settings::SettingsStore;
use crate::soap::{Code, Fault};
use crate::xml::{Element, XmlWriter};
use render::epr;

const WSRF_BF: &str = "http://docs.oasis-open.org/wsrf/bf-2";
const WSRF_R: &str = "http://docs.oasis-open.org/wsrf/r-2";
const TEV: &str = "http://www.onvif.org/ver10/events/wsdl";

/// The WS-BaseNotification / WS-ResourceFramework fault `name` as a detail element: the
/// BaseFaultType part (wsrf bf-2.xsd: Timestamp, then Description), then what the fault type
/// adds to it (`extension`, written in the fault's namespace with prefix `f`).
fn wsn_detail(
    ns: &str,
    name: &str,
    description: &str,
    now_ms: i64,
    extension: impl FnOnce(&mut XmlWriter),
) -> String {
    let mut w = XmlWriter::new();
    w.open(&format!("f:{name}"));
    w.attr("xmlns:f", ns);
    w.attr("xmlns:bf", WSRF_BF);
    w.close_start();
    w.simple("bf:Timestamp", &crate::xml::xsd::format_datetime(now_ms));
    w.simple("bf:Description", description);
    extension(&mut w);
    w.end(&format!("f:{name}"));
    w.into_string()
}

/// A fault whose type adds nothing to BaseFaultType.
fn base_detail(ns: &str, name: &str, description: &str, now_ms: i64) -> String {
    wsn_detail(ns, name, description, now_ms, |_| {})
}

fn sender_fault(ns: &str, name: &str, reason: String, now_ms: i64) -> Fault {
    let detail = base_detail(ns, name, &reason, now_ms);
    Fault::new(Code::Sender, &["InvalidArgVal"], reason).with_detail(detail)
}

/// UnacceptableInitialTerminationTimeFault or UnacceptableTerminationTimeFault: b-2.xsd
/// requires `MinimumTime` (the earliest termination time accepted: any time in the future,
/// so the next second) and allows `MaximumTime` (the latest one granted: now plus
/// [`MAX_LIFETIME`]; a later request is cut to it rather than refused).
fn termination_fault(name: &str, reason: String, now_ms: i64) -> Fault {
    let detail = wsn_detail(WSNT, name, &reason, now_ms, |w| {
        let at = |ms: i64| crate::xml::xsd::format_datetime(now_ms.saturating_add(ms));
        w.simple("f:MinimumTime", &at(1000));
        w.simple(
            "f:MaximumTime",
            &at(i64::try_from(MAX_LIFETIME.as_millis()).unwrap_or(i64::MAX)),
        );
    });
    Fault::new(Code::Sender, &["InvalidArgVal"], reason).with_detail(detail)
}

fn filter_fault(e: FilterError, now_ms: i64) -> Fault {
    let name = match &e {
        FilterError::DialectUnknown(_) => "TopicExpressionDialectUnknownFault",
        FilterError::InvalidTopicExpression(_) => "InvalidTopicExpressionFault",
        FilterError::TopicNotSupported => "TopicNotSupportedFault",
        FilterError::InvalidMessageContentExpression(_) => "InvalidMessageContentExpressionFault",
        FilterError::InvalidProducerPropertiesExpression => {
            "InvalidProducerPropertiesExpressionFault"
        }
        // A bound of the device, not a malformed filter: the subscription cannot be made.
        FilterError::TooManyComponents => "SubscribeCreationFailedFault",
        FilterError::InvalidFilter { ns, local } => {
            // b-2.xsd InvalidFilterFaultType: one UnknownFilter QName per filter element not
            // understood. A namespace-less name is written with the default namespace undone.
            let reason = e.to_string();
            let detail = wsn_detail(WSNT, "InvalidFilterFault", &reason, now_ms, |w| {
                w.open("f:UnknownFilter");
                match ns {
                    Some(ns) => {
                        w.attr("xmlns:u", ns);
                        w.close_start();
                        w.text(&format!("u:{local}"));
                    }
                    None => {
                        w.attr("xmlns", "");
                        w.close_start();
                        w.text(local);
                    }
                }
                w.end("f:UnknownFilter");
            });
            return Fault::new(Code::Sender, &["InvalidArgVal"], reason).with_detail(detail);
        }
    };
    sender_fault(WSNT, name, e.to_string(), now_ms)
}

/// Maps a broker error; `termination` names the fault of a bad termination time in this
/// operation (UnacceptableInitialTerminationTimeFault or UnacceptableTerminationTimeFault).
fn broker_fault(e: BrokerError, termination: &str, now_ms: i64) -> Fault {
    match e {
        BrokerError::UnknownSubscription => {
            sender_fault(WSRF_R, "ResourceUnknownFault", e.to_string(), now_ms)
        }
        BrokerError::Termination(_) => termination_fault(termination, e.to_string(), now_ms),
        BrokerError::TooManySubscriptions { .. } => {
            let reason = e.to_string();
            let detail = base_detail(WSNT, "SubscribeCreationFailedFault", &reason, now_ms);
            Fault::new(Code::Receiver, &["Action"], reason).with_detail(detail)
        }
    }
}

/// Whose share a new subscription counts in (`crate::events::share`): the authenticated
/// user, and whether an administrator (who can always subscribe).
fn requester(ctx: &RequestContext) -> Requester<'_> {
    Requester {
        user: ctx.user.as_ref().map(|u| u.username.as_str()),
        admin: ctx
            .user
            .as_ref()
            .is_some_and(|u| u.level == UserLevel::Administrator),
    }
}

/// What a request's Filter lets through: topics and message content (all when there is none).
fn filter(filter: Option<&wsnt::FilterType>, now_ms: i64) -> Result<Filter, Fault> {
    match filter {
        None => Ok(Filter::ALL),
        // In-scope declarations were pushed down to the filter's children by `WithScope`.
        Some(f) => filter::evaluate(&f.any, &[]).map_err(|e| filter_fault(e, now_ms)),
    }
}

/// GetServiceCapabilities (and GetServices' IncludeCapability): pull points and push, no
/// subscription policies, no pausable subscriptions, no persistent storage.
fn capabilities(max_pull_points: usize) -> tev::Capabilities {
    tev::Capabilities {
        ws_subscription_policy_support: Some(false),
        ws_pausable_subscription_manager_interface_support: Some(false),
        max_notification_producers: Some(MAX_PUSH_SUBSCRIPTIONS as i32),
        max_pull_points: Some(i32::try_from(max_pull_points).unwrap_or(i32::MAX)),
        persistent_notification_storage: Some(false),
        ..Default::default()
    }
}

/// Path of the Events service (CreatePullPointSubscription, GetEventProperties, Subscribe).
pub(crate) const EVENTS_PATH: &str = "/onvif/events_service";
/// Prefix of the pull-point subscription addresses, one path per subscription.
pub(crate) const SUBSCRIPTION_PREFIX: &str = "/onvif/subscription/";

/// The event service proper (EVENTS_PATH): capabilities, properties, subscriptions.
#[derive(Clone)]
pub(crate) struct Events {
    broker: Arc<Broker>,
    store: Arc<SettingsStore>,
}

impl Events {
    pub(crate) fn new(broker: Arc<Broker>, store: Arc<SettingsStore>) -> Self {
        Events { broker, store }
    }

    fn address(ctx: &RequestContext, id: &str) -> String {
        format!("http://{}{SUBSCRIPTION_PREFIX}{id}", ctx.host)
    }

    /// The service's one registration: the event service and the NotificationProducer at
    /// [`EVENTS_PATH`], the subscription manager under [`SUBSCRIPTION_PREFIX`], and the
    /// GetServices/GetCapabilities entry.
    pub(crate) fn registration(self) -> Registration {
        let subs = Subscriptions {
            broker: self.broker.clone(),
        };
        let advertised = Advertised {
            max_pull_points: self.broker.max_pull_points(),
        };
        Registration::new(advertised, WithScope(events::Service(self.clone())))
            .and(WithScope(notification_producer::Service(self)))
            .under(
                SUBSCRIPTION_PREFIX,
                Arc::new(SubscriptionEndpoint {
                    pull: pull_point::Service(subs.clone()),
                    manager: subscription_manager::Service(subs),
                }),
            )
    }
}

impl events::EventService for Events {
    async fn get_service_capabilities(
        &self,
        _: &RequestContext,
        _: tev::GetServiceCapabilities,
    ) -> Result<tev::GetServiceCapabilitiesResponse, Fault> {
        Ok(tev::GetServiceCapabilitiesResponse {
            capabilities: capabilities(self.broker.max_pull_points()),
        })
    }

    async fn get_event_properties(
        &self,
        _: &RequestContext,
        _: tev::GetEventProperties,
    ) -> Result<tev::GetEventPropertiesResponse, Fault> {
        Ok(tev::GetEventPropertiesResponse {
            topic_namespace_location: vec![
                "http://www.onvif.org/onvif/ver10/topics/topicns.xml".into(),
            ],
            fixed_topic_set: true,
            topic_set: wstop::TopicSetType {
                any: topic_set(),
                ..Default::default()
            },
            topic_expression_dialect: vec![CONCRETE_SET.into(), WSTOP_CONCRETE.into()],
            // The ItemFilter dialect every device shall support (ONVIF Core s.9.4.4);
            // producer properties filters are not supported (refused with their fault).
            message_content_filter_dialect: vec![XPATH_DIALECT.into()],
            producer_properties_filter_dialect: vec![],
            message_content_schema_location: vec![
                "http://www.onvif.org/onvif/ver10/schema/onvif.xsd".into(),
            ],
            any: vec![],
        })
    }

    async fn create_pull_point_subscription(
        &self,
        ctx: &RequestContext,
        req: tev::CreatePullPointSubscription,
    ) -> Result<tev::CreatePullPointSubscriptionResponse, Fault> {
        let now = self.broker.now_ms();
        let filter = filter(req.filter.as_ref(), now)?;
        let life = lifetime(req.initial_termination_time.as_deref(), now)
            .map_err(|e| broker_fault(e, "UnacceptableInitialTerminationTimeFault", now))?;
        let sub = self
            .broker
            .subscribe(Kind::PullPoint, filter, life, requester(ctx))
            .map_err(|e| broker_fault(e, "UnacceptableInitialTerminationTimeFault", now))?;
        sub.set_keepalive(relative(req.initial_termination_time.as_deref()).then_some(life));
        tracing::debug!(id = %sub.id, peer = %ctx.peer, "pull point created");
        Ok(tev::CreatePullPointSubscriptionResponse {
            subscription_reference: epr(&Self::address(ctx, &sub.id)),
            current_time: crate::xml::xsd::format_datetime(now),
            termination_time: crate::xml::xsd::format_datetime(now + life.as_millis() as i64),
            any: vec![],
        })
    }
}

impl notification_producer::NotificationProducer for Events {
    async fn subscribe(
        &self,
        ctx: &RequestContext,
        req: wsnt::Subscribe,
    ) -> Result<wsnt::SubscribeResponse, Fault> {
        let now = self.broker.now_ms();
        let creation =
            |e: PushError| sender_fault(WSNT, "SubscribeCreationFailedFault", e.to_string(), now);
        let consumer = Consumer::parse(&req.consumer_reference.address.value).map_err(creation)?;
        let allow_private = self.store.get().events.allow_private_push_targets;
        consumer.resolve(allow_private).await.map_err(creation)?;
        let filter = filter(req.filter.as_ref(), now)?;
        let life = lifetime(req.initial_termination_time.as_deref(), now)
            .map_err(|e| broker_fault(e, "UnacceptableInitialTerminationTimeFault", now))?;
        let sub = self
            .broker
            .subscribe(
                Kind::Push {
                    consumer: consumer.url.clone(),
                },
                filter,
                life,
                requester(ctx),
            )
            .map_err(|e| broker_fault(e, "UnacceptableInitialTerminationTimeFault", now))?;
        let address = Self::address(ctx, &sub.id);
        tracing::info!(consumer = %consumer.url, peer = %ctx.peer, "push subscription created");
        let (addr, url) = (address.clone(), consumer.url.clone());
        crate::events::push::spawn(sub, consumer, allow_private, move |batch| {
            render::notify_envelope(batch, &addr, &url)
        });
        Ok(wsnt::SubscribeResponse {
            subscription_reference: epr(&address),
            current_time: Some(crate::xml::xsd::format_datetime(now)),
            termination_time: Some(crate::xml::xsd::format_datetime(
                now + life.as_millis() as i64,
            )),
            any: vec![],
        })
    }
}

/// One subscription's operations; the subscription is the last segment of the request path.
#[derive(Clone)]
pub(crate) struct Subscriptions {
    broker: Arc<Broker>,
}

/// Whether a termination time is relative (an xs:duration) or absent: such pull points are
/// kept alive by PullMessages; an absolute time is kept as given.
fn relative(requested: Option<&str>) -> bool {
    requested.is_none_or(|t| {
        let t = t.trim();
        t.starts_with('P') || t.starts_with("-P")
    })
}

impl Subscriptions {
    fn id<'a>(&self, ctx: &'a RequestContext) -> &'a str {
        ctx.path.strip_prefix(SUBSCRIPTION_PREFIX).unwrap_or("")
    }

    fn times(&self, remaining: Duration) -> (String, String) {
        let now = self.broker.now_ms();
        (
            crate::xml::xsd::format_datetime(now),
            crate::xml::xsd::format_datetime(now + remaining.as_millis() as i64),
        )
    }

    fn pull_fault(&self, reason: String) -> Fault {
        let mut w = XmlWriter::new();
        w.open("tev:PullMessagesFaultResponse");
        w.attr("xmlns:tev", TEV);
        w.close_start();
        w.simple(
            "tev:MaxTimeout",
            &format!("PT{}S", MAX_PULL_TIMEOUT.as_secs()),
        );
        w.simple("tev:MaxMessageLimit", &MAX_PULL_MESSAGES.to_string());
        w.end("tev:PullMessagesFaultResponse");
        Fault::new(Code::Sender, &["InvalidArgVal"], reason).with_detail(w.into_string())
    }
}

impl pull_point::PullPointSubscription for Subscriptions {
    async fn pull_messages(
        &self,
        ctx: &RequestContext,
        req: tev::PullMessages,
    ) -> Result<tev::PullMessagesResponse, Fault> {
        self.pull(ctx, req).await
    }

    async fn set_synchronization_point(
        &self,
        ctx: &RequestContext,
        _: tev::SetSynchronizationPoint,
    ) -> Result<tev::SetSynchronizationPointResponse, Fault> {
        let now = self.broker.now_ms();
        self.broker
            .synchronize(self.id(ctx))
            .map_err(|e| broker_fault(e, "UnacceptableTerminationTimeFault", now))?;
        Ok(tev::SetSynchronizationPointResponse::default())
    }
}

impl Subscriptions {
    /// Returns at once when messages wait, else when one arrives or Timeout (cut to
    /// [`MAX_PULL_TIMEOUT`]) passes; at most MessageLimit (cut to [`MAX_PULL_MESSAGES`])
    /// messages. A large MessageLimit or Timeout is cut, never refused (event.wsdl: "In case
    /// a device supports retrieval of less messages than requested it shall return these
    /// without generating a fault").
    async fn pull(
        &self,
        ctx: &RequestContext,
        req: tev::PullMessages,
    ) -> Result<tev::PullMessagesResponse, Fault> {
        let now = self.broker.now_ms();
        let timeout = crate::xml::xsd::parse_duration(req.timeout.trim())
            .filter(|d| !d.negative)
            .and_then(|d| d.approx_millis())
            .ok_or_else(|| {
                self.pull_fault(format!(
                    "Timeout {:?} is not a non-negative xs:duration",
                    req.timeout.chars().take(64).collect::<String>()
                ))
            })?;
        let timeout = Duration::from_millis(timeout).min(MAX_PULL_TIMEOUT);
        let limit = usize::try_from(req.message_limit.max(1))
            .unwrap_or(1)
            .min(MAX_PULL_MESSAGES);
        let sub = self
            .broker
            .get(self.id(ctx))
            .map_err(|e| broker_fault(e, "UnacceptableTerminationTimeFault", now))?;
        if sub.kind != Kind::PullPoint {
            return Err(Fault::new(
                Code::Sender,
                &["InvalidArgVal"],
                "this is a push subscription: its messages go to its consumer",
            ));
        }
        // In use until the pull returns (or its request is dropped): the fair-share policy
        // reclaims such a pull point only from a user holding more than its share.
        let pulling = sub.begin_pull();
        let before = sub.touch(timeout, None);
        let messages = sub.next(timeout, limit).await;
        sub.touch(Duration::ZERO, Some(before));
        drop(pulling);
        let (current_time, termination_time) = self.times(sub.remaining());
        Ok(tev::PullMessagesResponse {
            current_time,
            termination_time,
            notification_message: messages.iter().map(|m| render::holder(m, None)).collect(),
        })
    }
}

impl subscription_manager::SubscriptionManager for Subscriptions {
    async fn renew(
        &self,
        ctx: &RequestContext,
        req: wsnt::Renew,
    ) -> Result<wsnt::RenewResponse, Fault> {
        let now = self.broker.now_ms();
        let fault = |e| broker_fault(e, "UnacceptableTerminationTimeFault", now);
        let id = self.id(ctx);
        self.broker.get(id).map_err(fault)?;
        let life = lifetime(Some(&req.termination_time), now).map_err(fault)?;
        self.broker.renew(id, life).map_err(fault)?;
        if let Ok(sub) = self.broker.get(id) {
            sub.set_keepalive(relative(Some(&req.termination_time)).then_some(life));
        }
        let (current, termination) = self.times(life);
        Ok(wsnt::RenewResponse {
            termination_time: termination,
            current_time: Some(current),
            any: vec![],
        })
    }

    async fn unsubscribe(
        &self,
        ctx: &RequestContext,
        _: wsnt::Unsubscribe,
    ) -> Result<wsnt::UnsubscribeResponse, Fault> {
        let now = self.broker.now_ms();
        self.broker
            .unsubscribe(self.id(ctx))
            .map_err(|e| broker_fault(e, "UnacceptableTerminationTimeFault", now))?;
        Ok(wsnt::UnsubscribeResponse::default())
    }
}

/// What is served at each subscription's address: the PullPointSubscription and
/// SubscriptionManager port types behind one route.
struct SubscriptionEndpoint {
    pull: pull_point::Service<Subscriptions>,
    manager: subscription_manager::Service<Subscriptions>,
}

impl SoapService for SubscriptionEndpoint {
    fn namespace(&self) -> &'static str {
        pull_point::NAMESPACE
    }

    fn operation(&self, body: &Element) -> Option<&'static Operation> {
        self.pull
            .operation(body)
            .or_else(|| self.manager.operation(body))
    }

    fn dispatch<'a>(
        &'a self,
        ctx: &'a RequestContext,
        op: &'static Operation,
        body: &'a Element,
    ) -> BoxFuture<'a, Result<String, Fault>> {
        if op.name == "PullMessages" {
            return Box::pin(async move {
                let req = parse_pull(body)?;
                let resp = self.pull.0.pull(ctx, req).await?;
                let mut w = XmlWriter::new();
                resp.to_xml(&mut w, "tev:PullMessagesResponse");
                Ok(w.into_string())
            });
        }
        if self.pull.operation(body).is_some() {
            self.pull.dispatch(ctx, op, body)
        } else {
            self.manager.dispatch(ctx, op, body)
        }
    }
}

/// PullMessages' request; a MessageLimit beyond xs:int is read as the largest xs:int (it is
/// cut to [`MAX_PULL_MESSAGES`] anyway) rather than refused.
fn parse_pull(body: &Element) -> Result<tev::PullMessages, Fault> {
    let mut body = body.clone();
    for c in &mut body.children {
        if c.is(TEV, "MessageLimit") {
            let t = c.trimmed_text();
            let digits = t.strip_prefix('+').unwrap_or(t);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && digits.len() > 9
            {
                c.text = i32::MAX.to_string();
            }
        }
    }
    crate::onvif::rt::FromXml::from_xml(&body).map_err(crate::onvif::rt::fault_of)
}

/// Pushes the namespace declarations in scope at a request's `wsnt:Filter` down to its
/// children, so topic expressions can use prefixes declared on the Envelope, Body, operation
/// or Filter element (the generated types keep only each element's own declarations).
struct WithScope<S>(S);

impl<S: SoapService> SoapService for WithScope<S> {
    fn namespace(&self) -> &'static str {
        self.0.namespace()
    }
    fn operation(&self, body: &Element) -> Option<&'static Operation> {
        self.0.operation(body)
    }
    fn dispatch<'a>(
        &'a self,
        ctx: &'a RequestContext,
        op: &'static Operation,
        body: &'a Element,
    ) -> BoxFuture<'a, Result<String, Fault>> {
        // Subscribe's filter is a wsnt:Filter, CreatePullPointSubscription's a tev:Filter.
        let is_filter = |c: &Element| c.is(WSNT, "Filter") || c.is(TEV, "Filter");
        if !body.children.iter().any(is_filter) {
            return self.0.dispatch(ctx, op, body);
        }
        Box::pin(async move {
            let mut body = body.clone();
            let outer = body.ns_decls.clone();
            for f in body.children.iter_mut().filter(|c| is_filter(c)) {
                let scope: Vec<(String, String)> =
                    outer.iter().chain(&f.ns_decls).cloned().collect();
                for c in &mut f.children {
                    let own = std::mem::take(&mut c.ns_decls);
                    c.ns_decls = scope.iter().cloned().chain(own).collect();
                }
            }
            self.0.dispatch(ctx, op, &body).await
        })
    }
}

/// How the Device service advertises the Events service.
pub struct Advertised {
    pub(crate) max_pull_points: usize,
}

impl crate::onvif::directory::Advertised for Advertised {
    fn namespace(&self) -> &'static str {
        events::NAMESPACE
    }
    fn path(&self) -> &'static str {
        EVENTS_PATH
    }
    fn write_capabilities(&self, w: &mut XmlWriter) {
        capabilities(self.max_pull_points).to_xml(w, "tev:Capabilities");
    }
    fn category(&self) -> tt::CapabilityCategory {
        tt::CapabilityCategory::Events
    }
    fn fill_capabilities(&self, caps: &mut tt::Capabilities, xaddr: &str) {
        caps.events = Some(tt::EventCapabilities {
            x_addr: xaddr.into(),
            ws_subscription_policy_support: false,
            ws_pull_point_support: true,
            ws_pausable_subscription_manager_interface_support: false,
            ..Default::default()
        });
    }
}

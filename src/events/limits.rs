//! Every bound of the event service, in one place (documented in docs/events.md).

use std::time::Duration;

/// Lifetime of a subscription created without InitialTerminationTime.
pub(crate) const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);
/// Longest lifetime granted by a create or Renew; longer requests are cut to it (the answer's
/// TerminationTime tells the client), so an abandoned subscription is freed within this.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(3600);
/// Messages queued per subscription; when full the oldest is dropped (and counted).
pub(crate) const QUEUE_MESSAGES: usize = 256;
/// Longest PullMessages wait; a longer Timeout is cut to it.
pub(crate) const MAX_PULL_TIMEOUT: Duration = Duration::from_secs(60);
/// Most messages one PullMessages returns; a larger MessageLimit is cut to it.
pub(crate) const MAX_PULL_MESSAGES: usize = QUEUE_MESSAGES;
/// Push subscriptions at once (reported as MaxNotificationProducers). Pull points are bounded
/// by the `events.max_pull_points` setting (MaxPullPoints).
pub(crate) const MAX_PUSH_SUBSCRIPTIONS: usize = 16;
/// How often expired subscriptions are collected (they are refused at once when used).
pub(crate) const REAP_INTERVAL: Duration = Duration::from_secs(1);
/// Push: messages sent in one Notify.
pub(crate) const PUSH_BATCH: usize = 32;
/// Push: connect timeout, and the whole POST's timeout.
pub(crate) const PUSH_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
pub(crate) const PUSH_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Push: retries of a failed Notify after the first attempt, with the backoff doubling from
/// PUSH_BACKOFF; after that the batch is dropped (counted) and delivery goes on.
pub(crate) const PUSH_RETRIES: u32 = 3;
pub(crate) const PUSH_BACKOFF: Duration = Duration::from_millis(500);
/// Push: the longest consumer address accepted.
pub(crate) const MAX_CONSUMER_URL: usize = 512;
/// Processor usage sampling period (`tns1:Monitoring/ProcessorUsage`).
pub(crate) const PROCESSOR_USAGE_PERIOD: Duration = Duration::from_secs(10);

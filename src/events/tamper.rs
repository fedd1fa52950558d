//! The tamper producer: the states of [`crate::tamper`]'s four conditions of one video source
//! as the Imaging spec's property topics (`tns1:VideoSource/ImageTooDark/ImagingService`
//! etc., Source `Source` = the video source token, Data `State`).

use std::sync::Arc;

use super::Broker;
use super::topics::{
    GLOBAL_SCENE_CHANGE, IMAGE_TOO_BLURRY, IMAGE_TOO_BRIGHT, IMAGE_TOO_DARK, TopicId,
};
use crate::tamper::{Condition, Report};

/// The topic of each condition.
pub(crate) fn topic(c: Condition) -> TopicId {
    match c {
        Condition::TooDark => IMAGE_TOO_DARK,
        Condition::TooBright => IMAGE_TOO_BRIGHT,
        Condition::TooBlurry => IMAGE_TOO_BLURRY,
        Condition::SceneChange => GLOBAL_SCENE_CHANGE,
    }
}

/// The callback for [`crate::tamper::TamperMonitor`] of the video source `source` (its
/// token): every condition `false` once the source is watched (so a subscriber gets
/// `Initialized` states from then on), then each change, stamped with the capture time of
/// the picture that completed it moved onto the device clock. A source that is never
/// watched (no statistics) publishes nothing.
pub(crate) fn sink(source: String, broker: Arc<Broker>) -> impl FnMut(Report) + Send + 'static {
    move |report| match report {
        Report::Watching => {
            let now = broker.now_ms();
            for c in Condition::ALL {
                broker.set_property(topic(c), vec![source.clone()], vec!["false".into()], now);
            }
        }
        Report::Changed(change) => {
            let age = crate::sdk::capture_clock_now().saturating_sub(change.at);
            let at = broker.now_ms() - i64::try_from(age.as_millis()).unwrap_or(0);
            broker.set_property(
                topic(change.condition),
                vec![source.clone()],
                vec![change.raised.to_string()],
                at,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::events::PropertyOperation;
    use crate::events::broker::Kind;
    use crate::events::filter::Filter;
    use crate::events::share::Requester;
    use crate::events::topics::TOPICS;
    use crate::tamper::Change;

    const USER: Requester<'static> = Requester {
        user: Some("u"),
        admin: false,
    };

    /// Once watched, a subscriber learns all four states (one raised here) as Initialized,
    /// with the video source token as Source; a second Watching or an unchanged state sends
    /// nothing more.
    #[tokio::test]
    async fn watched_sources_start_clear_then_follow_changes() {
        let broker = Arc::new(Broker::new(4, Arc::new(|| 1_000_000)));
        let mut sink = sink("vs0".into(), broker.clone());
        sink(Report::Watching);
        let dark = |raised| {
            Report::Changed(Change {
                condition: Condition::TooDark,
                raised,
                at: crate::sdk::capture_clock_now(),
            })
        };
        sink(dark(true));
        let s = broker
            .subscribe(Kind::PullPoint, Filter::ALL, Duration::from_secs(10), USER)
            .unwrap();
        let got = s.next(Duration::ZERO, 16).await;
        let mut states: Vec<_> = got
            .iter()
            .map(|m| {
                assert_eq!(m.source, ["vs0"]);
                assert_eq!(m.operation, Some(PropertyOperation::Initialized));
                (TOPICS[m.topic].expression(), m.data[0].clone())
            })
            .collect();
        states.sort();
        let want =
            |t: &str, v: &str| (format!("tns1:VideoSource/{t}/ImagingService"), v.to_owned());
        assert_eq!(
            states,
            [
                want("GlobalSceneChange", "false"),
                want("ImageTooBlurry", "false"),
                want("ImageTooBright", "false"),
                want("ImageTooDark", "true"),
            ]
        );
        sink(dark(true));
        sink(dark(false));
        let got = s.next(Duration::ZERO, 16).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].operation, Some(PropertyOperation::Changed));
        assert_eq!(
            (got[0].topic, got[0].data[0].as_str()),
            (IMAGE_TOO_DARK, "false")
        );
        // Stamped with the capture time on the device clock (here: now).
        assert!(
            (999_000..=1_000_000).contains(&got[0].utc_ms),
            "{}",
            got[0].utc_ms
        );
    }
}

//! Subscription filters (WS-BaseNotification s.4.2 `wsnt:Filter`): topic expressions in the
//! ONVIF ConcreteSet dialect (ONVIF Core s.9.6.3), the WS-Topics Concrete and Simple dialects
//! (WS-Topics 1.3 s.7.1, s.7.2), evaluated once against the fixed topic catalog into a set of
//! topics. Sans-IO and bounded; fuzzed (`fuzz/fuzz_targets/topic_filter.rs`).
//!
//! Grammar accepted (ConcreteSet):
//! ```text
//! expression := path ( '|' path )*
//! path       := QName ( '/' NCName )* [ '//.' ]      ; '//.' = the topic and all below it
//! ```
//! Several `TopicExpression` elements in one filter are ANDed (WS-BaseNotification s.4.2:
//! a message must satisfy every filter component).

use super::topics::{CONCRETE_SET, TOPICS, TopicId, WSTOP_CONCRETE, WSTOP_SIMPLE};
use crate::soap::ns::TNS1;
use crate::xml::Element;

/// WS-BaseNotification namespace (`wsnt:`).
pub const WSNT: &str = "http://docs.oasis-open.org/wsn/b-2";

/// Longest topic expression accepted, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 1024;
/// Most alternatives (`|`) in one expression.
pub const MAX_ALTERNATIVES: usize = 32;
/// Most path segments in one alternative.
pub const MAX_SEGMENTS: usize = 16;
/// Most filter components (TopicExpression elements) in one filter.
pub const MAX_COMPONENTS: usize = 8;

/// A set of topics (bit i = [`TOPICS`]\[i\]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopicSet(u64);

impl TopicSet {
    pub const ALL: TopicSet = TopicSet((1u64 << TOPICS.len()) - 1);
    pub const EMPTY: TopicSet = TopicSet(0);

    pub fn contains(self, t: TopicId) -> bool {
        self.0 & (1 << t) != 0
    }
    fn with(self, t: TopicId) -> TopicSet {
        TopicSet(self.0 | 1 << t)
    }
    fn and(self, o: TopicSet) -> TopicSet {
        TopicSet(self.0 & o.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Why a filter is refused; each maps to the WS-BaseNotification fault of the same name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("topic expression dialect {0:?} is not supported")]
    DialectUnknown(String),
    #[error("invalid topic expression: {0}")]
    InvalidTopicExpression(String),
    #[error("no topic produced by this device matches the filter")]
    TopicNotSupported,
    #[error("message content filters are not supported")]
    InvalidMessageContentExpression,
    #[error("producer properties filters are not supported")]
    InvalidProducerPropertiesExpression,
    #[error("unknown filter element {0}")]
    InvalidFilter(String),
}

/// Evaluates a `wsnt:Filter`'s children. `scope` holds the namespace declarations in scope at
/// the Filter element (prefix, URI); each child's own declarations are added to it.
pub fn evaluate(
    components: &[Element],
    scope: &[(String, String)],
) -> Result<TopicSet, FilterError> {
    let mut set = TopicSet::ALL;
    let mut n = 0;
    for c in components {
        n += 1;
        if n > MAX_COMPONENTS {
            return Err(FilterError::InvalidFilter(
                "too many filter components".into(),
            ));
        }
        match (c.ns.as_deref(), c.name.as_str()) {
            (Some(WSNT), "TopicExpression") => {
                let dialect = c.attr("Dialect").unwrap_or("");
                let resolve = |p: &str| {
                    c.ns_decls
                        .iter()
                        .rev()
                        .chain(scope.iter().rev())
                        .find(|(q, _)| q == p)
                        .map(|(_, u)| u.as_str())
                        // Clients (zeep among them) send `tns1:` without declaring it; it
                        // only ever means the ONVIF topic namespace.
                        .or((p == "tns1").then_some(TNS1))
                };
                set = set.and(expression(dialect, &c.text, resolve)?);
            }
            (Some(WSNT), "MessageContent") => {
                return Err(FilterError::InvalidMessageContentExpression);
            }
            (Some(WSNT), "ProducerProperties") => {
                return Err(FilterError::InvalidProducerPropertiesExpression);
            }
            (_, name) => {
                return Err(FilterError::InvalidFilter(name.chars().take(64).collect()));
            }
        }
    }
    if set.is_empty() {
        return Err(FilterError::TopicNotSupported);
    }
    Ok(set)
}

/// One topic expression of `dialect`; `resolve` maps a prefix to its namespace URI.
pub fn expression<'a>(
    dialect: &str,
    text: &str,
    resolve: impl Fn(&str) -> Option<&'a str>,
) -> Result<TopicSet, FilterError> {
    let (union, subtree) = match dialect.trim() {
        CONCRETE_SET => (true, true),
        WSTOP_CONCRETE => (false, false),
        WSTOP_SIMPLE => (false, false),
        d => return Err(FilterError::DialectUnknown(d.chars().take(128).collect())),
    };
    let simple = dialect.trim() == WSTOP_SIMPLE;
    let bad = |m: &str| FilterError::InvalidTopicExpression(m.to_owned());
    if text.len() > MAX_EXPRESSION_BYTES {
        return Err(bad("too long"));
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(bad("empty"));
    }
    let alternatives: Vec<&str> = text.split('|').collect();
    if alternatives.len() > 1 && !union {
        return Err(bad("'|' is only allowed in the ConcreteSet dialect"));
    }
    if alternatives.len() > MAX_ALTERNATIVES {
        return Err(bad("too many alternatives"));
    }
    let mut set = TopicSet::EMPTY;
    for alt in alternatives {
        let alt = alt.trim();
        let (path, below) = match alt.strip_suffix("//.") {
            Some(p) if subtree => (p, true),
            Some(_) => return Err(bad("'//.' is only allowed in the ConcreteSet dialect")),
            None => (alt, false),
        };
        let segments: Vec<&str> = path.split('/').collect();
        if segments.len() > MAX_SEGMENTS {
            return Err(bad("too many path segments"));
        }
        if simple && segments.len() > 1 {
            return Err(bad("the Simple dialect names a root topic only"));
        }
        let (prefix, root) = match segments[0].split_once(':') {
            Some((p, l)) => (p, l),
            None => ("", segments[0]),
        };
        let ns = resolve(prefix).ok_or_else(|| bad("unbound namespace prefix"))?;
        let mut names = vec![root];
        for s in &segments[1..] {
            // Child topics may be written qualified; they must then be in the root's namespace.
            let local = match s.split_once(':') {
                Some((p, l)) => {
                    if resolve(p) != Some(ns) {
                        return Err(bad("child topic in another namespace"));
                    }
                    l
                }
                None => s,
            };
            names.push(local);
        }
        if !names.iter().all(|n| ncname(n)) {
            return Err(bad("a topic name is not an NCName"));
        }
        if ns != TNS1 {
            continue;
        }
        for (id, t) in TOPICS.iter().enumerate() {
            let hit = if below {
                t.path.starts_with(&names)
            } else {
                t.path == names.as_slice()
            };
            if hit {
                set = set.with(id);
            }
        }
    }
    Ok(set)
}

/// XML NCName, restricted to what topic names use in practice (letters, digits, `_`, `-`,
/// `.`; not starting with a digit, `-` or `.`).
fn ncname(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Entry point of the `topic_filter` fuzz target and its corpus test: the first byte picks
/// the dialect, the rest is the expression; the result must be a subset of the catalog.
pub fn fuzz_input(data: &[u8]) {
    let Some((&d, rest)) = data.split_first() else {
        return;
    };
    let dialect = [CONCRETE_SET, WSTOP_CONCRETE, WSTOP_SIMPLE, "urn:other"][d as usize % 4];
    let text = String::from_utf8_lossy(rest);
    let resolve = |p: &str| match p {
        "tns1" | "" => Some(TNS1),
        "x" => Some("urn:x"),
        _ => None,
    };
    if let Ok(set) = expression(dialect, &text, resolve) {
        assert_eq!(set.0 & !TopicSet::ALL.0, 0);
    }
    // The same text as an element through the whole filter.
    let mut el = Element::new(Some(WSNT), "TopicExpression");
    el.attrs.push(crate::xml::Attribute {
        ns: None,
        name: "Dialect".into(),
        value: dialect.into(),
    });
    el.text = text.into_owned();
    if let Ok(set) = evaluate(&[el], &[]) {
        assert!(!set.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::super::topics::{CELL_MOTION, LAST_REBOOT, MOTION_ALARM, PROCESSOR_USAGE};
    use super::*;

    fn tns1(p: &str) -> Option<&'static str> {
        (p == "tns1").then_some(TNS1)
    }

    fn ids(set: TopicSet) -> Vec<TopicId> {
        (0..TOPICS.len()).filter(|&i| set.contains(i)).collect()
    }

    #[test]
    fn concrete_paths_union_and_subtrees() {
        let e = |s| expression(CONCRETE_SET, s, tns1).map(ids);
        assert_eq!(e("tns1:VideoSource/MotionAlarm"), Ok(vec![MOTION_ALARM]));
        assert_eq!(
            e(" tns1:RuleEngine/CellMotionDetector/Motion | tns1:VideoSource/MotionAlarm "),
            Ok(vec![MOTION_ALARM, CELL_MOTION])
        );
        assert_eq!(
            e("tns1:Monitoring//."),
            Ok(vec![LAST_REBOOT, PROCESSOR_USAGE])
        );
        assert_eq!(
            e("tns1:RuleEngine/CellMotionDetector/Motion//."),
            Ok(vec![CELL_MOTION])
        );
        // A prefix of a topic is not the topic.
        assert_eq!(e("tns1:RuleEngine"), Ok(vec![]));
        assert_eq!(
            e("tns1:RuleEngine/tns1:CellMotionDetector/Motion"),
            Ok(vec![CELL_MOTION])
        );
    }

    #[test]
    fn malformed_expressions_are_refused() {
        for bad in [
            "",
            "|",
            "tns1:",
            "tns1:VideoSource/",
            "tns1:Video Source",
            "foo:VideoSource",
            "tns1:VideoSource//",
            "tns1:1abc",
            "tns1:A/b:c",
        ] {
            assert!(
                matches!(
                    expression(CONCRETE_SET, bad, tns1),
                    Err(FilterError::InvalidTopicExpression(_))
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            expression(WSTOP_CONCRETE, "tns1:A|tns1:B", tns1),
            Err(FilterError::InvalidTopicExpression(_))
        ));
        assert!(matches!(
            expression("urn:x", "tns1:A", tns1),
            Err(FilterError::DialectUnknown(_))
        ));
        let long = format!("tns1:{}", "a".repeat(MAX_EXPRESSION_BYTES));
        assert!(expression(CONCRETE_SET, &long, tns1).is_err());
    }

    #[test]
    fn filter_components_are_anded_and_empty_results_refused() {
        let te = |text: &str| {
            let mut el = Element::new(Some(WSNT), "TopicExpression");
            el.attrs.push(crate::xml::Attribute {
                ns: None,
                name: "Dialect".into(),
                value: CONCRETE_SET.into(),
            });
            el.text = text.into();
            el
        };
        let set = evaluate(
            &[
                te("tns1:VideoSource//.|tns1:RuleEngine//."),
                te("tns1:VideoSource//."),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(ids(set), vec![MOTION_ALARM]);
        assert_eq!(
            evaluate(&[te("tns1:Nothing/Here")], &[]),
            Err(FilterError::TopicNotSupported)
        );
        assert_eq!(evaluate(&[], &[]), Ok(TopicSet::ALL));
        // A prefix declared on an ancestor resolves; another namespace matches nothing.
        let mut el = te("t:VideoSource/MotionAlarm");
        el.ns_decls.clear();
        let scope = vec![("t".to_owned(), TNS1.to_owned())];
        assert_eq!(
            evaluate(&[el.clone()], &scope).map(ids),
            Ok(vec![MOTION_ALARM])
        );
        let other = vec![("t".to_owned(), "urn:vendor".to_owned())];
        assert_eq!(evaluate(&[el], &other), Err(FilterError::TopicNotSupported));
        let mc = Element::new(Some(WSNT), "MessageContent");
        assert_eq!(
            evaluate(&[mc], &[]),
            Err(FilterError::InvalidMessageContentExpression)
        );
    }
}

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
//! a message must satisfy every filter component), and so are `MessageContent` elements in
//! the ItemFilter dialect ([`super::content_filter`], ONVIF Core s.9.4.4): a message reaches
//! a subscription when its topic is in the topic set and every content expression holds.

use super::content_filter::{self, Expr, Item, ItemKind};
use super::message::Message;
use super::topics::{
    CONCRETE_SET, TOPICS, TT, TopicId, WSTOP_CONCRETE, WSTOP_SIMPLE, XPATH_DIALECT,
};
use crate::soap::ns::TNS1;
use crate::xml::Element;

/// WS-BaseNotification namespace (`wsnt:`).
pub(crate) const WSNT: &str = "http://docs.oasis-open.org/wsn/b-2";

/// Longest topic expression accepted, in bytes.
pub(crate) const MAX_EXPRESSION_BYTES: usize = 1024;
/// Most alternatives (`|`) in one expression.
pub(crate) const MAX_ALTERNATIVES: usize = 32;
/// Most path segments in one alternative.
pub(crate) const MAX_SEGMENTS: usize = 16;
/// Most filter components (TopicExpression elements) in one filter.
pub(crate) const MAX_COMPONENTS: usize = 8;

/// A set of topics (bit i = [`TOPICS`]\[i\]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopicSet(u64);

impl TopicSet {
    pub(crate) const ALL: TopicSet = TopicSet((1u64 << TOPICS.len()) - 1);
    pub(crate) const EMPTY: TopicSet = TopicSet(0);

    pub(crate) fn contains(self, t: TopicId) -> bool {
        self.0 & (1 << t) != 0
    }
    fn with(self, t: TopicId) -> TopicSet {
        TopicSet(self.0 | 1 << t)
    }
    fn and(self, o: TopicSet) -> TopicSet {
        TopicSet(self.0 & o.0)
    }
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// What a subscription lets through: its topics, and the message content expressions that
/// must all hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    pub(crate) topics: TopicSet,
    pub content: Vec<Expr>,
}

impl Filter {
    /// No filter: every message.
    pub(crate) const ALL: Filter = Filter {
        topics: TopicSet::ALL,
        content: Vec::new(),
    };

    /// Only these topics.
    pub fn topics(topics: TopicSet) -> Filter {
        Filter {
            topics,
            content: Vec::new(),
        }
    }

    /// Whether `m` passes (topic first: it is one bit test).
    pub(crate) fn matches(&self, m: &Message) -> bool {
        if !self.topics.contains(m.topic) {
            return false;
        }
        if self.content.is_empty() {
            return true;
        }
        let items = message_items(m);
        self.content.iter().all(|e| e.eval(&items))
    }
}

/// A message's items as the content filter sees them: the Source and Data SimpleItems, named
/// by the topic's description (nvt's topics have no Key and no ElementItems).
pub(crate) fn message_items(m: &Message) -> Vec<Item<'_>> {
    let t = &TOPICS[m.topic];
    fn simple<'a>((d, v): (&super::topics::Item, &'a String)) -> Item<'a> {
        Item {
            kind: ItemKind::Simple,
            name: d.name,
            value: Some(v.as_str()),
        }
    }
    t.source
        .iter()
        .zip(&m.source)
        .map(simple)
        .chain(t.data.iter().zip(&m.data).map(simple))
        .collect()
}

/// Whether some topic's messages carry an item of this kind and name.
fn produced(kind: ItemKind, name: &str) -> bool {
    kind == ItemKind::Simple
        && TOPICS
            .iter()
            .any(|t| t.source.iter().chain(t.data).any(|i| i.name == name))
}

/// Why a filter is refused; each maps to the WS-BaseNotification fault of the same name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FilterError {
    #[error("topic expression dialect {0:?} is not supported")]
    DialectUnknown(String),
    #[error("invalid topic expression: {0}")]
    InvalidTopicExpression(String),
    #[error("no topic produced by this device matches the filter")]
    TopicNotSupported,
    #[error("invalid message content expression: {0}")]
    InvalidMessageContentExpression(String),
    #[error("producer properties filters are not supported")]
    InvalidProducerPropertiesExpression,
    /// A filter element not understood (b-2.xsd InvalidFilterFault names it as UnknownFilter).
    #[error("unknown filter element {{{}}}{local}", ns.as_deref().unwrap_or(""))]
    InvalidFilter { ns: Option<String>, local: String },
    #[error("more than {MAX_COMPONENTS} filter elements")]
    TooManyComponents,
}

/// Evaluates a `wsnt:Filter`'s children. `scope` holds the namespace declarations in scope at
/// the Filter element (prefix, URI); each child's own declarations are added to it.
pub(crate) fn evaluate(
    components: &[Element],
    scope: &[(String, String)],
) -> Result<Filter, FilterError> {
    let mut set = TopicSet::ALL;
    let mut content = Vec::new();
    let mut n = 0;
    for c in components {
        n += 1;
        if n > MAX_COMPONENTS {
            return Err(FilterError::TooManyComponents);
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
                content.push(message_content(c, scope)?);
            }
            (Some(WSNT), "ProducerProperties") => {
                return Err(FilterError::InvalidProducerPropertiesExpression);
            }
            (ns, name) => {
                return Err(FilterError::InvalidFilter {
                    ns: ns.map(str::to_owned),
                    local: name.to_owned(),
                });
            }
        }
    }
    if set.is_empty() {
        return Err(FilterError::TopicNotSupported);
    }
    Ok(Filter {
        topics: set,
        content,
    })
}

/// One `wsnt:MessageContent` in the ItemFilter dialect. Beyond the grammar, an expression
/// that tests an item name no topic of this device carries is refused, as a topic expression
/// naming no produced topic is (TopicNotSupportedFault): the client asked for something this
/// device never sends, and saying so beats a subscription that silently never matches. (The
/// Event test specification's EVENT-2-1-19 and EVENT-3-1-17 expect exactly this fault for
/// `boolean(//tt:SimpleItem[@Name="xyz" and @Value="xyz"])`.)
fn message_content(c: &Element, scope: &[(String, String)]) -> Result<Expr, FilterError> {
    let bad = |m: String| FilterError::InvalidMessageContentExpression(m);
    let dialect = c.attr("Dialect").unwrap_or("").trim();
    if dialect != XPATH_DIALECT {
        return Err(bad(format!(
            "dialect {:?} is not supported (only {XPATH_DIALECT})",
            dialect.chars().take(128).collect::<String>()
        )));
    }
    let resolve = |p: &str| {
        c.ns_decls
            .iter()
            .rev()
            .chain(scope.iter().rev())
            .find(|(q, _)| q == p)
            .map(|(_, u)| u.as_str())
            // Core s.9.4.4's own example uses `tt:` without declaring it; like `tns1:` in
            // topic expressions, it only ever means the ONVIF schema.
            .or((p == "tt").then_some(TT))
    };
    let e = content_filter::parse(&c.text, &resolve).map_err(|e| bad(e.to_string()))?;
    if let Some((kind, name)) = e.names().into_iter().find(|(k, n)| !produced(*k, n)) {
        let what = match kind {
            ItemKind::Simple => "SimpleItem",
            ItemKind::Element => "ElementItem",
        };
        return Err(bad(format!(
            "no topic of this device has a {what} named {:?}",
            name.chars().take(64).collect::<String>()
        )));
    }
    Ok(e)
}

/// One topic expression of `dialect`; `resolve` maps a prefix to its namespace URI.
pub(crate) fn expression<'a>(
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
    if let Ok(f) = evaluate(&[el], &[]) {
        assert!(!f.topics.is_empty());
        assert!(f.content.is_empty());
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
        use crate::events::topics::{
            GLOBAL_SCENE_CHANGE, IMAGE_TOO_BLURRY, IMAGE_TOO_BRIGHT, IMAGE_TOO_DARK,
        };
        // Every topic under VideoSource: motion and the tamper topics.
        assert_eq!(
            ids(set.topics),
            vec![
                MOTION_ALARM,
                IMAGE_TOO_DARK,
                IMAGE_TOO_BRIGHT,
                IMAGE_TOO_BLURRY,
                GLOBAL_SCENE_CHANGE
            ]
        );
        assert_eq!(
            evaluate(&[te("tns1:Nothing/Here")], &[]),
            Err(FilterError::TopicNotSupported)
        );
        assert_eq!(evaluate(&[], &[]), Ok(Filter::ALL));
        // A prefix declared on an ancestor resolves; another namespace matches nothing.
        let mut el = te("t:VideoSource/MotionAlarm");
        el.ns_decls.clear();
        let scope = vec![("t".to_owned(), TNS1.to_owned())];
        assert_eq!(
            evaluate(&[el.clone()], &scope).map(|f| ids(f.topics)),
            Ok(vec![MOTION_ALARM])
        );
        let other = vec![("t".to_owned(), "urn:vendor".to_owned())];
        assert_eq!(evaluate(&[el], &other), Err(FilterError::TopicNotSupported));
        let mc = Element::new(Some(WSNT), "MessageContent");
        assert!(matches!(
            evaluate(&[mc], &[]),
            Err(FilterError::InvalidMessageContentExpression(_))
        ));
    }

    fn mc(text: &str, decls: &[(&str, &str)]) -> Element {
        let mut el = Element::new(Some(WSNT), "MessageContent");
        el.attrs.push(crate::xml::Attribute {
            ns: None,
            name: "Dialect".into(),
            value: XPATH_DIALECT.into(),
        });
        el.ns_decls = decls
            .iter()
            .map(|(p, u)| (p.to_string(), u.to_string()))
            .collect();
        el.text = text.into();
        el
    }

    fn cell(vsc: &str, motion: bool) -> Message {
        Message {
            topic: CELL_MOTION,
            utc_ms: 0,
            operation: None,
            source: vec![
                vsc.into(),
                "VideoAnalyticsToken".into(),
                "MotionDetectorRule".into(),
            ],
            data: vec![motion.to_string()],
        }
    }

    fn alarm(motion: bool) -> Message {
        Message {
            topic: MOTION_ALARM,
            utc_ms: 0,
            operation: None,
            source: vec!["vs0".into()],
            data: vec![motion.to_string()],
        }
    }

    #[test]
    fn message_content_filters_items_and_combine_with_topics() {
        let is_motion = r#"boolean(//tt:SimpleItem[@Name="IsMotion" and @Value="true"])"#;
        let f = evaluate(&[mc(is_motion, &[("tt", TT)])], &[]).unwrap();
        assert_eq!(f.topics, TopicSet::ALL);
        assert!(f.matches(&cell("vsc0", true)));
        assert!(!f.matches(&cell("vsc0", false)));
        assert!(!f.matches(&alarm(true)), "no IsMotion item in MotionAlarm");
        // A Source item, any prefix bound to the ONVIF schema on an ancestor; `tt` undeclared.
        let vsc =
            r#"boolean(//o:SimpleItem[@Name="VideoSourceConfigurationToken" and @Value="vsc0"])"#;
        let scope = vec![("o".to_owned(), TT.to_owned())];
        let f = evaluate(&[mc(vsc, &[])], &scope).unwrap();
        assert!(f.matches(&cell("vsc0", false)));
        assert!(!f.matches(&cell("vsc1", false)));
        let f = evaluate(&[mc(is_motion, &[])], &[]).unwrap();
        assert!(f.matches(&cell("vsc0", true)));
        // Topic AND content; several contents ANDed.
        let te = {
            let mut el = Element::new(Some(WSNT), "TopicExpression");
            el.attrs.push(crate::xml::Attribute {
                ns: None,
                name: "Dialect".into(),
                value: CONCRETE_SET.into(),
            });
            el.text = "tns1:VideoSource/MotionAlarm".into();
            el
        };
        let state = r#"boolean(//tt:SimpleItem[@Name="State" and @Value="true"])"#;
        let f = evaluate(&[te.clone(), mc(state, &[])], &[]).unwrap();
        assert!(f.matches(&alarm(true)));
        assert!(!f.matches(&alarm(false)));
        let f = evaluate(&[te, mc(is_motion, &[])], &[]).unwrap();
        assert!(!f.matches(&alarm(true)) && !f.matches(&cell("vsc0", true)));
        let f = evaluate(&[mc(is_motion, &[]), mc(vsc, &[("o", TT)])], &[]).unwrap();
        assert!(f.matches(&cell("vsc0", true)));
        assert!(!f.matches(&cell("vsc1", true)));
        assert!(!f.matches(&cell("vsc0", false)));
    }

    #[test]
    fn bad_message_content_is_refused() {
        let refused = |el: Element| {
            matches!(
                evaluate(&[el], &[]),
                Err(FilterError::InvalidMessageContentExpression(_))
            )
        };
        // The test specification's "invalid" filter names an item no topic carries.
        assert!(refused(mc(
            r#"boolean(//tt:SimpleItem[@Name="xyz" and @Value="xyz"])"#,
            &[("tt", TT)]
        )));
        assert!(refused(mc(
            r#"boolean(//tt:ElementItem[@Name="IsMotion"])"#,
            &[]
        )));
        assert!(refused(mc("boolean(//tt:SimpleItem)", &[])));
        assert!(refused(mc(
            r#"boolean(//x:SimpleItem[@Name="IsMotion"])"#,
            &[("x", "urn:other")]
        )));
        assert!(refused(mc(
            r#"boolean(//tt:SimpleItem[@Name="IsMotion"])"#,
            &[("tt", "urn:not-onvif")]
        )));
        let mut other = mc(r#"boolean(//tt:SimpleItem[@Name="IsMotion"])"#, &[]);
        other.attrs[0].value = "http://www.w3.org/TR/1999/REC-xpath-19991116".into();
        assert!(refused(other));
        // A value no item has is fine: it is a state that may come.
        assert!(
            evaluate(
                &[mc(r#"boolean(//tt:SimpleItem[@Value="nothing-yet"])"#, &[])],
                &[]
            )
            .is_ok()
        );
    }
}

//! The topics nvt produces (ONVIF Core s.9.6 and the ONVIF topic catalog in Appendix A of
//! the Core spec), each with the message description GetEventProperties advertises. The
//! description and what [`Message`](super::Message) sends come from the same table, so they
//! cannot disagree.

use crate::soap::ns::TNS1;
use crate::xml::Element;

/// `tt:` — message descriptions and messages live in the ONVIF schema namespace.
pub(crate) const TT: &str = "http://www.onvif.org/ver10/schema";
/// WS-Topics namespace (`wstop:topic="true"` marks a topic in the topic set).
pub(crate) const WSTOP: &str = "http://docs.oasis-open.org/wsn/t-1";
/// XML Schema namespace: SimpleItemDescription types are xs: QNames.
pub(crate) const XS: &str = "http://www.w3.org/2001/XMLSchema";

/// The ONVIF ConcreteSet topic expression dialect (ONVIF Core s.9.6.3), the one we write.
pub(crate) const CONCRETE_SET: &str = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet";
/// WS-Topics Concrete dialect (one topic path, no union).
pub(crate) const WSTOP_CONCRETE: &str =
    "http://docs.oasis-open.org/wsn/t-1/TopicExpression/Concrete";
/// WS-Topics Simple dialect (a root topic only).
pub(crate) const WSTOP_SIMPLE: &str = "http://docs.oasis-open.org/wsn/t-1/TopicExpression/Simple";
/// The message content filter dialect every ONVIF device supports (Core s.9.4.4), parsed and
/// evaluated by [`super::content_filter`].
pub(crate) const XPATH_DIALECT: &str =
    "http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter";

/// One SimpleItem of a message: its name and XSD type (a QName in the `xs:` or `tt:` space).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Item {
    pub(crate) name: &'static str,
    /// (namespace URI, local name) of the item's type.
    pub(crate) ty: (&'static str, &'static str),
}

/// A topic: its path under `tns1:`, whether it is a property (state with Initialized /
/// Changed / Deleted operations, re-sent on SetSynchronizationPoint), and its items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Topic {
    /// Path below the topic namespace, e.g. `["VideoSource", "MotionAlarm"]`.
    pub(crate) path: &'static [&'static str],
    pub(crate) property: bool,
    pub(crate) source: &'static [Item],
    pub(crate) data: &'static [Item],
}

impl Topic {
    /// The expression written in messages: `tns1:VideoSource/MotionAlarm`.
    pub(crate) fn expression(&self) -> String {
        format!("tns1:{}", self.path.join("/"))
    }
}

/// Index of a topic in [`TOPICS`]; subscriptions keep a bit set of these.
pub(crate) type TopicId = usize;

pub(crate) const MOTION_ALARM: TopicId = 0;
pub(crate) const CELL_MOTION: TopicId = 1;
pub(crate) const LAST_REBOOT: TopicId = 2;
pub(crate) const PROCESSOR_USAGE: TopicId = 3;
pub(crate) const PROFILE_CHANGED: TopicId = 4;
pub(crate) const CONFIGURATION_CHANGED: TopicId = 5;
pub(crate) const DIGITAL_INPUT: TopicId = 6;
pub(crate) const RELAY: TopicId = 7;
pub(crate) const IMAGE_TOO_DARK: TopicId = 8;
pub(crate) const IMAGE_TOO_BRIGHT: TopicId = 9;
pub(crate) const IMAGE_TOO_BLURRY: TopicId = 10;
pub(crate) const GLOBAL_SCENE_CHANGE: TopicId = 11;
pub(crate) const DETECTED_SOUND: TopicId = 12;

/// The tamper topics' items (Imaging spec s. "Events": IsProperty, Source `Source` the video
/// source token, Data `State`).
const TAMPER_SOURCE: &[Item] = &[Item {
    name: "Source",
    ty: (TT, "ReferenceToken"),
}];
const TAMPER_STATE: &[Item] = &[Item {
    name: "State",
    ty: (XS, "boolean"),
}];

/// Every topic produced, in the order GetEventProperties lists them.
pub(crate) const TOPICS: &[Topic] = &[
    // Core spec A.1.1 (motion alarm of a video source); Home Assistant reads Source[0].Value
    // and Data[0].Value == "true".
    Topic {
        path: &["VideoSource", "MotionAlarm"],
        property: true,
        source: &[Item {
            name: "Source",
            ty: (TT, "ReferenceToken"),
        }],
        data: &[Item {
            name: "State",
            ty: (XS, "boolean"),
        }],
    },
    // Core spec / Analytics spec, cell motion detector rule: Home Assistant reads the three
    // Source items by name and Data[0].Value.
    Topic {
        path: &["RuleEngine", "CellMotionDetector", "Motion"],
        property: true,
        source: &[
            Item {
                name: "VideoSourceConfigurationToken",
                ty: (TT, "ReferenceToken"),
            },
            Item {
                name: "VideoAnalyticsConfigurationToken",
                ty: (TT, "ReferenceToken"),
            },
            Item {
                name: "Rule",
                ty: (XS, "string"),
            },
        ],
        data: &[Item {
            name: "IsMotion",
            ty: (XS, "boolean"),
        }],
    },
    // Core spec A.3 monitoring: when the device last started.
    Topic {
        path: &["Monitoring", "OperatingTime", "LastReboot"],
        property: true,
        source: &[],
        data: &[Item {
            name: "Status",
            ty: (XS, "dateTime"),
        }],
    },
    // Core spec A.3 monitoring: processor usage in percent of all cores.
    Topic {
        path: &["Monitoring", "ProcessorUsage"],
        property: true,
        source: &[Item {
            name: "Token",
            ty: (TT, "ReferenceToken"),
        }],
        data: &[Item {
            name: "Value",
            ty: (XS, "float"),
        }],
    },
    // Media2 s.5.16.1 "Profile Change": a profile was created, deleted, or configurations
    // were added to or removed from it. Not a property: the spec's description has no
    // IsProperty, and there is no state to initialize a new subscriber with.
    Topic {
        path: &["Media", "ProfileChanged"],
        property: false,
        source: &[Item {
            name: "Token",
            ty: (TT, "ReferenceToken"),
        }],
        data: &[],
    },
    // Media2 s.5.16.2 "Configuration Change": Type is the tr2:ConfigurationEnumeration value
    // of the configuration (`super::media::ConfigurationType`). Not a property either.
    Topic {
        path: &["Media", "ConfigurationChanged"],
        property: false,
        source: &[
            Item {
                name: "Token",
                ty: (TT, "ReferenceToken"),
            },
            Item {
                name: "Type",
                ty: (XS, "string"),
            },
        ],
        data: &[],
    },
    // DeviceIO spec, "DigitalInput State Change" (IsProperty): LogicalState true = active
    // (away from the input's IdleState, nvt supports SetDigitalInputConfigurations).
    Topic {
        path: &["Device", "Trigger", "DigitalInput"],
        property: true,
        source: &[Item {
            name: "InputToken",
            ty: (TT, "ReferenceToken"),
        }],
        data: &[Item {
            name: "LogicalState",
            ty: (XS, "boolean"),
        }],
    },
    // DeviceIO spec, "Relay Output Trigger" (IsProperty): LogicalState active/inactive.
    Topic {
        path: &["Device", "Trigger", "Relay"],
        property: true,
        source: &[Item {
            name: "RelayToken",
            ty: (TT, "ReferenceToken"),
        }],
        data: &[Item {
            name: "LogicalState",
            ty: (TT, "RelayLogicalState"),
        }],
    },
    // Imaging spec "Tampering" (ImageTooDark, ImageTooBright, ImageTooBlurry,
    // GlobalSceneChange), detected by the imaging service (`crate::tamper`); Home Assistant
    // reads Source[0].Value and Data[0].Value == "true".
    Topic {
        path: &["VideoSource", "ImageTooDark", "ImagingService"],
        property: true,
        source: TAMPER_SOURCE,
        data: TAMPER_STATE,
    },
    Topic {
        path: &["VideoSource", "ImageTooBright", "ImagingService"],
        property: true,
        source: TAMPER_SOURCE,
        data: TAMPER_STATE,
    },
    Topic {
        path: &["VideoSource", "ImageTooBlurry", "ImagingService"],
        property: true,
        source: TAMPER_SOURCE,
        data: TAMPER_STATE,
    },
    Topic {
        path: &["VideoSource", "GlobalSceneChange", "ImagingService"],
        property: true,
        source: TAMPER_SOURCE,
        data: TAMPER_STATE,
    },
    // Analytics spec, "Audio Detected" (not a property): the microphone's level against a
    // threshold (`events::sound`).
    Topic {
        path: &["AudioAnalytics", "Audio", "DetectedSound"],
        property: false,
        source: &[Item {
            name: "AudioSourceConfigurationToken",
            ty: (TT, "ReferenceToken"),
        }],
        data: &[Item {
            name: "isSoundDetected",
            ty: (XS, "boolean"),
        }],
    },
];

/// The rule name of the motion detector in `CellMotionDetector/Motion` messages.
pub(crate) const MOTION_RULE: &str = "MotionDetectorRule";
/// The analytics configuration the cell motion detector belongs to.
pub(crate) const MOTION_ANALYTICS_TOKEN: &str = "VideoAnalyticsToken";
/// Source token of `Monitoring/ProcessorUsage` (the SoC as a whole).
pub(crate) const PROCESSOR_TOKEN: &str = "CPU";

/// The `wstop:TopicSet` content of GetEventProperties: one element tree per root topic, the
/// leaves marked `wstop:topic="true"` and carrying their `tt:MessageDescription`.
pub(crate) fn topic_set() -> Vec<Element> {
    let mut roots: Vec<Element> = Vec::new();
    for t in TOPICS {
        let mut level = &mut roots;
        for (depth, name) in t.path.iter().enumerate() {
            let ns = if depth == 0 { Some(TNS1) } else { None };
            let i = match level.iter().position(|e| e.name == *name) {
                Some(i) => i,
                None => {
                    level.push(Element::new(ns, name));
                    level.len() - 1
                }
            };
            if depth + 1 == t.path.len() {
                let leaf = &mut level[i];
                leaf.attrs.push(crate::xml::dom::Attribute {
                    ns: Some(WSTOP.into()),
                    name: "topic".into(),
                    value: "true".into(),
                });
                leaf.children.push(message_description(t));
            }
            level = &mut level[i].children;
        }
    }
    roots
}

fn message_description(t: &Topic) -> Element {
    let mut d = Element::new(Some(TT), "MessageDescription");
    if t.property {
        d.attrs.push(crate::xml::dom::Attribute {
            ns: None,
            name: "IsProperty".into(),
            value: "true".into(),
        });
    }
    for (part, items) in [("Source", t.source), ("Data", t.data)] {
        if items.is_empty() {
            continue;
        }
        let mut p = Element::new(Some(TT), part);
        for it in items {
            let mut e = Element::new(Some(TT), "SimpleItemDescription");
            e.attrs.push(attr("Name", it.name));
            // The type is a QName: its prefix must be declared where it is used.
            let (prefix, uri) = if it.ty.0 == XS {
                ("xs", XS)
            } else {
                ("tt", TT)
            };
            e.ns_decls.push((prefix.into(), uri.into()));
            e.attrs.push(attr("Type", &format!("{prefix}:{}", it.ty.1)));
            p.children.push(e);
        }
        d.children.push(p);
    }
    d
}

fn attr(name: &str, value: &str) -> crate::xml::dom::Attribute {
    crate::xml::dom::Attribute {
        ns: None,
        name: name.into(),
        value: value.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_is_a_leaf_of_the_topic_set_with_its_items() {
        let set = topic_set();
        for t in TOPICS {
            let mut level = &set;
            let mut leaf = None;
            for name in t.path {
                let e = level.iter().find(|e| e.name == *name).unwrap();
                leaf = Some(e);
                level = &e.children;
            }
            let leaf = leaf.unwrap();
            assert_eq!(leaf.attr_ns(WSTOP, "topic"), Some("true"));
            let d = leaf.child(TT, "MessageDescription").unwrap();
            let names = |part| -> Vec<String> {
                d.child(TT, part)
                    .map(|p| {
                        p.children
                            .iter()
                            .map(|c| c.attr("Name").unwrap().to_owned())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let want = |items: &[Item]| items.iter().map(|i| i.name.to_owned()).collect::<Vec<_>>();
            assert_eq!(names("Source"), want(t.source));
            assert_eq!(names("Data"), want(t.data));
        }
        // Roots are qualified by the topic namespace, children are not.
        assert!(set.iter().all(|r| r.ns.as_deref() == Some(TNS1)));
    }
}

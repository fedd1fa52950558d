//! Who may call which operation: the access classes of the ONVIF Core spec's default access
//! policy (Core s.5.9.4.3 "Default Access Policy" table) and the decision for one request.
//!
//! Each operation's class comes from the generator's configuration
//! (`onvif-gen/onvif-gen.toml`), emitted into the generated operation metadata. An operation
//! without a class is denied to everyone (default deny).

use super::UserLevel;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessClass {
    /// Anyone, no credentials needed (GetSystemDateAndTime, GetCapabilities...).
    PreAuth,
    ReadSystem,
    ReadSystemSensitive,
    ReadSystemSecret,
    WriteSystem,
    Unrecoverable,
    ReadMedia,
    Actuate,
    /// No entry in the table: nobody may call it.
    Unclassified,
}

impl AccessClass {
    /// The least user level allowed, `None` for [`PreAuth`](Self::PreAuth). The mapping is
    /// the Core spec's default policy table: Anonymous may use PRE_AUTH; User may use
    /// READ_SYSTEM and READ_MEDIA; Operator adds ACTUATE and READ_SYSTEM_SENSITIVE;
    /// Administrator may use everything.
    pub(crate) fn min_level(self) -> Option<Option<UserLevel>> {
        use AccessClass::*;
        match self {
            PreAuth => Some(None),
            ReadSystem | ReadMedia => Some(Some(UserLevel::User)),
            ReadSystemSensitive | Actuate => Some(Some(UserLevel::Operator)),
            ReadSystemSecret | WriteSystem | Unrecoverable => Some(Some(UserLevel::Administrator)),
            Unclassified => None,
        }
    }

    /// Whether a caller at `level` (None = not authenticated) may use this class.
    pub fn allows(self, level: Option<UserLevel>) -> bool {
        match self.min_level() {
            None => false,
            Some(None) => true,
            Some(Some(min)) => level.is_some_and(|l| l >= min),
        }
    }

    pub fn name(self) -> &'static str {
        use AccessClass::*;
        match self {
            PreAuth => "PRE_AUTH",
            ReadSystem => "READ_SYSTEM",
            ReadSystemSensitive => "READ_SYSTEM_SENSITIVE",
            ReadSystemSecret => "READ_SYSTEM_SECRET",
            WriteSystem => "WRITE_SYSTEM",
            Unrecoverable => "UNRECOVERABLE",
            ReadMedia => "READ_MEDIA",
            Actuate => "ACTUATE",
            Unclassified => "UNCLASSIFIED",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AccessClass::*;
    use super::*;
    use UserLevel::*;

    #[test]
    fn default_policy_matrix() {
        let levels = [None, Some(User), Some(Operator), Some(Administrator)];
        let table: &[(AccessClass, [bool; 4])] = &[
            (PreAuth, [true, true, true, true]),
            (ReadSystem, [false, true, true, true]),
            (ReadMedia, [false, true, true, true]),
            (ReadSystemSensitive, [false, false, true, true]),
            (Actuate, [false, false, true, true]),
            (ReadSystemSecret, [false, false, false, true]),
            (WriteSystem, [false, false, false, true]),
            (Unrecoverable, [false, false, false, true]),
            (Unclassified, [false, false, false, false]),
        ];
        for (class, want) in table {
            for (l, w) in levels.iter().zip(want) {
                assert_eq!(class.allows(*l), *w, "{} {l:?}", class.name());
            }
        }
    }
}

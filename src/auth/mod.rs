//! Who may do what: the one credential store that ONVIF (SOAP), RTSP and the snapshot/HLS
//! endpoints all authenticate against, the one gate they authenticate through (`gate`), and
//! the user levels of the ONVIF Core spec.

pub mod access;
pub mod basic;
pub mod digest;
pub mod gate;
pub mod limits;
pub mod throttle;
pub mod wsse;

use serde::{Deserialize, Serialize};

/// ONVIF user levels (Core spec, `tt:UserLevel`), ordered by privilege, so that
/// `level >= UserLevel::Operator` reads as "Operator or better".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum UserLevel {
    User,
    Operator,
    Administrator,
}

/// What the authentication layers need to know about a user.
///
/// The password is kept in the clear because both ONVIF schemes need it: WS-UsernameToken
/// PasswordDigest is `SHA1(nonce + created + password)` and HTTP Digest needs `H(user:realm:
/// password)` for every realm and algorithm. The state file holding it is mode 0600.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub username: String,
    pub password: String,
    pub level: UserLevel,
}

/// The user database as the authentication layers see it. Implemented by the settings model;
/// tests may use a fixed list.
pub trait CredentialStore: Send + Sync {
    /// The user with exactly this name (names are case-sensitive), if any.
    fn lookup(&self, username: &str) -> Option<Credential>;
}

impl CredentialStore for Vec<Credential> {
    fn lookup(&self, username: &str) -> Option<Credential> {
        self.iter().find(|c| c.username == username).cloned()
    }
}

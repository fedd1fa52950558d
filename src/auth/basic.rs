//! HTTP Basic authentication (RFC 7617), sans-IO: parse `Authorization: Basic ...`, check it
//! against the credential store, build the challenge.
//!
//! Basic sends the password in the clear (base64 is an encoding, not a cipher), so nvt
//! accepts it only where the camera's owner turned it on (`network.allow_basic_auth`) for old
//! RTSP clients and NVRs that know no Digest. Digest stays on and is offered first.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{Credential, CredentialStore};

/// Longest `Authorization: Basic` value we decode: user and password are each bounded by the
/// settings validation far below this.
pub const MAX_CREDENTIALS_LEN: usize = 1024;

/// Why a Basic `Authorization` value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BasicError {
    #[error("not the Basic scheme")]
    NotBasic,
    #[error("credentials too long")]
    TooLong,
    #[error("credentials are not base64 of UTF-8 user:password")]
    Malformed,
    #[error("unknown user or wrong password")]
    Denied,
}

/// `true` when the value uses the Basic scheme (scheme names are case-insensitive, RFC 7235
/// s2.1).
pub fn is_basic(authorization: &str) -> bool {
    authorization
        .trim_start()
        .get(..6)
        .is_some_and(|s| s.eq_ignore_ascii_case("basic "))
}

/// Decodes `Basic base64(user:password)` (RFC 7617 s2: the user-id has no ':', the password
/// may). Returns (user, password).
pub fn parse_authorization(authorization: &str) -> Result<(String, String), BasicError> {
    if !is_basic(authorization) {
        return Err(BasicError::NotBasic);
    }
    let token = authorization.trim_start()[6..].trim();
    if token.len() > MAX_CREDENTIALS_LEN {
        return Err(BasicError::TooLong);
    }
    let raw = STANDARD.decode(token).map_err(|_| BasicError::Malformed)?;
    let text = String::from_utf8(raw).map_err(|_| BasicError::Malformed)?;
    let (user, password) = text.split_once(':').ok_or(BasicError::Malformed)?;
    Ok((user.to_owned(), password.to_owned()))
}

/// Checks a Basic `Authorization` value against the store; the password comparison takes the
/// same time wherever the first difference is.
pub fn verify(authorization: &str, store: &dyn CredentialStore) -> Result<Credential, BasicError> {
    let (user, password) = parse_authorization(authorization)?;
    let cred = store.lookup(&user).ok_or(BasicError::Denied)?;
    if ct_eq(cred.password.as_bytes(), password.as_bytes()) {
        Ok(cred)
    } else {
        Err(BasicError::Denied)
    }
}

/// The `WWW-Authenticate` value offering Basic (RFC 7617 s2, with the UTF-8 charset of s2.1).
pub fn challenge(realm: &str) -> String {
    format!("Basic realm=\"{realm}\", charset=\"UTF-8\"")
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::UserLevel;

    fn users() -> Vec<Credential> {
        vec![Credential {
            username: "Aladdin".into(),
            password: "open sesame".into(),
            level: UserLevel::Operator,
        }]
    }

    /// RFC 7617 s2 example.
    #[test]
    fn rfc7617_example() {
        let v = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==";
        assert_eq!(
            parse_authorization(v),
            Ok(("Aladdin".into(), "open sesame".into()))
        );
        assert_eq!(verify(v, &users()).unwrap().username, "Aladdin");
        // Scheme is case-insensitive.
        assert!(verify("basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", &users()).is_ok());
    }

    #[test]
    fn refusals() {
        let enc = |s: &str| format!("Basic {}", STANDARD.encode(s));
        assert_eq!(
            verify(&enc("Aladdin:open"), &users()),
            Err(BasicError::Denied)
        );
        assert_eq!(
            verify(&enc("aladdin:open sesame"), &users()),
            Err(BasicError::Denied)
        );
        assert_eq!(verify(&enc("nobody:x"), &users()), Err(BasicError::Denied));
        assert_eq!(
            verify(&enc("no-colon"), &users()),
            Err(BasicError::Malformed)
        );
        assert_eq!(verify("Basic !!!", &users()), Err(BasicError::Malformed));
        assert_eq!(
            verify("Digest username=\"Aladdin\"", &users()),
            Err(BasicError::NotBasic)
        );
        let long = format!("Basic {}", "A".repeat(MAX_CREDENTIALS_LEN + 4));
        assert_eq!(verify(&long, &users()), Err(BasicError::TooLong));
    }

    #[test]
    fn password_may_contain_colons() {
        let v = format!("Basic {}", STANDARD.encode("u:a:b"));
        assert_eq!(parse_authorization(&v), Ok(("u".into(), "a:b".into())));
    }
}

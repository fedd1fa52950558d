//! HTTP Basic authentication (RFC 7617), sans-IO: parse an `Authorization: Basic ...` value
//! and check it against the credential store.
//!
//! Basic sends the password in clear (base64 is an encoding, not a cipher), so nvt accepts it
//! only where the owner turned it on (`network.allow_basic_auth`) and always offers Digest
//! first. Shared by the snapshot endpoint and RTSP.

use base64::Engine as _;

use super::{Credential, CredentialStore};

/// Longest `Authorization: Basic` value accepted (scheme, space and base64). Usernames and
/// passwords are at most 64 characters here; 1 KiB leaves room for any real client.
pub(crate) const MAX_BASIC_HEADER: usize = 1024;

/// Why a Basic header was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BasicError {
    #[error("not a Basic authorization")]
    NotBasic,
    #[error("Basic authorization longer than {MAX_BASIC_HEADER} bytes")]
    TooLong,
    #[error("Basic credentials are not valid base64")]
    Base64,
    #[error("Basic credentials are not UTF-8")]
    Utf8,
    #[error("Basic credentials have no ':' between user-id and password")]
    NoColon,
    #[error("unknown user or wrong password")]
    Denied,
}

/// User-id and password of a Basic `Authorization` value (RFC 7617 s.2: `Basic` is
/// case-insensitive, followed by token68 = base64 of `user-id ":" password`; the user-id
/// cannot contain a colon, the password can).
pub(crate) fn parse(header: &str) -> Result<(String, String), BasicError> {
    if header.len() > MAX_BASIC_HEADER {
        return Err(BasicError::TooLong);
    }
    let header = header.trim_matches(|c| c == ' ' || c == '\t');
    let (scheme, rest) = header.split_once([' ', '\t']).ok_or(BasicError::NotBasic)?;
    if !scheme.eq_ignore_ascii_case("Basic") {
        return Err(BasicError::NotBasic);
    }
    let token = rest.trim_matches(|c| c == ' ' || c == '\t');
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| BasicError::Base64)?;
    let text = String::from_utf8(bytes).map_err(|_| BasicError::Utf8)?;
    let (user, password) = text.split_once(':').ok_or(BasicError::NoColon)?;
    Ok((user.to_owned(), password.to_owned()))
}

/// Whether `header` is a Basic authorization at all (so the caller can tell Basic from Digest
/// without parsing either).
pub(crate) fn is_basic(header: &str) -> bool {
    // Bytes, not a str slice: byte 5 may fall inside a multi-byte character (a panic the
    // fuzz smoke run found with `c 0#\u{de}\u{de}/`).
    let h = header.trim_start_matches([' ', '\t']).as_bytes();
    h.len() > 5 && h[..5].eq_ignore_ascii_case(b"basic") && matches!(h[5], b' ' | b'\t')
}

/// Verifies a Basic `Authorization` value against `store`. The password comparison takes the
/// same time wherever the first difference is.
pub(crate) fn verify(header: &str, store: &dyn CredentialStore) -> Result<Credential, BasicError> {
    let (user, password) = parse(header)?;
    let cred = store.lookup(&user).ok_or(BasicError::Denied)?;
    if ct_eq(cred.password.as_bytes(), password.as_bytes()) {
        Ok(cred)
    } else {
        Err(BasicError::Denied)
    }
}

/// The `WWW-Authenticate` value offering Basic (RFC 7617 s.2.1: UTF-8 for user-id and
/// password).
pub(crate) fn challenge(realm: &str) -> String {
    format!("Basic realm=\"{realm}\", charset=\"UTF-8\"")
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Fuzz entry point (`fuzz/fuzz_targets/basic_authorization.rs`): any bytes as a header value
/// never panic, and what parses round-trips through base64.
#[doc(hidden)]
pub fn fuzz_input(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let basic = is_basic(s);
    if let Ok((user, password)) = parse(s) {
        assert!(basic, "parsed a header is_basic refuses: {s:?}");
        assert!(!user.contains(':'));
        let again = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        if again.len() <= MAX_BASIC_HEADER {
            assert_eq!(parse(&again), Ok((user, password)));
        }
    }
    let store = vec![Credential {
        username: "admin".into(),
        password: "secret".into(),
        level: super::UserLevel::Administrator,
    }];
    let _ = verify(s, &store);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::UserLevel;

    #[test]
    fn multibyte_character_at_the_scheme_boundary() {
        // Found by the fuzz smoke run: slicing the str at byte 5 panicked.
        assert!(!is_basic("c 0#\u{de}\u{de}/"));
        fuzz_input("c 0#\u{de}\u{de}/".as_bytes());
        assert!(!is_basic("bas\u{e9}c x"));
    }

    fn store() -> Vec<Credential> {
        vec![Credential {
            username: "Aladdin".into(),
            password: "open sesame".into(),
            level: UserLevel::User,
        }]
    }

    #[test]
    fn rfc7617_example() {
        // RFC 7617 s.2.
        assert_eq!(
            parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            Ok(("Aladdin".into(), "open sesame".into()))
        );
        assert_eq!(
            verify("basic   QWxhZGRpbjpvcGVuIHNlc2FtZQ==", &store()).map(|c| c.username),
            Ok("Aladdin".into())
        );
    }

    #[test]
    fn password_may_contain_colons_user_id_may_not() {
        let h = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("u:p:a:ss")
        );
        assert_eq!(parse(&h), Ok(("u".into(), "p:a:ss".into())));
    }

    #[test]
    fn refusals_name_the_problem() {
        assert_eq!(parse("Digest username=\"a\""), Err(BasicError::NotBasic));
        assert_eq!(parse("Basic"), Err(BasicError::NotBasic));
        assert_eq!(parse("Basic !!!"), Err(BasicError::Base64));
        assert_eq!(parse("Basic bm9jb2xvbg=="), Err(BasicError::NoColon));
        assert_eq!(parse("Basic /w=="), Err(BasicError::Utf8));
        let long = format!("Basic {}", "A".repeat(MAX_BASIC_HEADER));
        assert_eq!(parse(&long), Err(BasicError::TooLong));
        let wrong = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("Aladdin:open sesamE")
        );
        assert_eq!(verify(&wrong, &store()), Err(BasicError::Denied));
        let nobody = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("Nobody:open sesame")
        );
        assert_eq!(verify(&nobody, &store()), Err(BasicError::Denied));
    }

    #[test]
    fn is_basic_tells_schemes_apart() {
        assert!(is_basic("Basic abc"));
        assert!(is_basic("BASIC\tabc"));
        assert!(!is_basic("Basicabc"));
        assert!(!is_basic("Digest username=\"Basic \""));
        assert!(!is_basic("Basic"));
    }
}

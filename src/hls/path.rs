//! HLS request targets to resources, sans-IO (fuzzed: `fuzz/fuzz_targets/hls_path.rs`).
//!
//! ```text
//! /hls/index.m3u8                      every profile (multivariant)
//! /hls/<profile>/index.m3u8            one profile (multivariant)
//! /hls/<profile>/stream.m3u8[?_HLS_msn=M[&_HLS_part=P]]   media playlist
//! /hls/<profile>/init-<generation>.mp4
//! /hls/<profile>/seg-<msn>.m4s
//! /hls/<profile>/part-<msn>.<index>.m4s
//! ```

/// Prefix of every HLS resource.
pub(crate) const PREFIX: &str = "/hls/";

/// What a request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Resource<'a> {
    AllProfiles,
    Multivariant {
        profile: &'a str,
    },
    /// `_HLS_msn`/`_HLS_part`: a blocking playlist reload (RFC 8216bis s6.2.5.2).
    Media {
        profile: &'a str,
        msn: Option<u64>,
        part: Option<usize>,
    },
    Init {
        profile: &'a str,
        generation: u32,
    },
    Segment {
        profile: &'a str,
        msn: u64,
    },
    Part {
        profile: &'a str,
        msn: u64,
        index: usize,
    },
}

impl Resource<'_> {
    /// The profile token ("" for [`Resource::AllProfiles`]).
    pub(crate) fn profile(&self) -> &str {
        match self {
            Resource::AllProfiles => "",
            Resource::Multivariant { profile }
            | Resource::Media { profile, .. }
            | Resource::Init { profile, .. }
            | Resource::Segment { profile, .. }
            | Resource::Part { profile, .. } => profile,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PathError {
    #[error("not an HLS resource")]
    Unknown,
    #[error("bad number in {0}")]
    BadNumber(&'static str),
    #[error("_HLS_part without _HLS_msn")]
    PartWithoutMsn,
}

/// Longest profile token accepted (ONVIF ReferenceToken is at most 64 characters).
const MAX_TOKEN: usize = 64;

/// Parses a request target (path and query) under `/hls/`.
pub(crate) fn parse(uri: &str) -> Result<Resource<'_>, PathError> {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let rest = path.strip_prefix(PREFIX).ok_or(PathError::Unknown)?;
    if rest == "index.m3u8" {
        return Ok(Resource::AllProfiles);
    }
    let (profile, file) = rest.split_once('/').ok_or(PathError::Unknown)?;
    let token_ok = !profile.is_empty()
        && profile.len() <= MAX_TOKEN
        && profile
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if !token_ok || profile.starts_with('.') {
        return Err(PathError::Unknown);
    }
    if file == "index.m3u8" {
        return Ok(Resource::Multivariant { profile });
    }
    if file == "stream.m3u8" {
        let mut msn = None;
        let mut part = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("_HLS_msn", v)) => msn = Some(number(v, "_HLS_msn")?),
                Some(("_HLS_part", v)) => part = Some(number(v, "_HLS_part")?),
                // Others (e.g. _HLS_skip, cache busters) are ignored: delta updates are not
                // offered, so a full playlist is always a valid answer.
                _ => {}
            }
        }
        if part.is_some() && msn.is_none() {
            return Err(PathError::PartWithoutMsn);
        }
        return Ok(Resource::Media { profile, msn, part });
    }
    if let Some(g) = file
        .strip_prefix("init-")
        .and_then(|f| f.strip_suffix(".mp4"))
    {
        return Ok(Resource::Init {
            profile,
            generation: number(g, "init")?,
        });
    }
    if let Some(m) = file
        .strip_prefix("seg-")
        .and_then(|f| f.strip_suffix(".m4s"))
    {
        return Ok(Resource::Segment {
            profile,
            msn: number(m, "seg")?,
        });
    }
    if let Some(p) = file
        .strip_prefix("part-")
        .and_then(|f| f.strip_suffix(".m4s"))
    {
        let (m, i) = p.split_once('.').ok_or(PathError::BadNumber("part"))?;
        return Ok(Resource::Part {
            profile,
            msn: number(m, "part")?,
            index: number(i, "part")?,
        });
    }
    Err(PathError::Unknown)
}

/// A decimal number of at most 19 digits, no sign.
fn number<T: TryFrom<u64>>(s: &str, what: &'static str) -> Result<T, PathError> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PathError::BadNumber(what));
    }
    let n: u64 = s.parse().map_err(|_| PathError::BadNumber(what))?;
    T::try_from(n).map_err(|_| PathError::BadNumber(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_resource() {
        assert_eq!(parse("/hls/index.m3u8"), Ok(Resource::AllProfiles));
        assert_eq!(
            parse("/hls/main/index.m3u8"),
            Ok(Resource::Multivariant { profile: "main" })
        );
        assert_eq!(
            parse("/hls/main/stream.m3u8?_HLS_msn=12&_HLS_part=3"),
            Ok(Resource::Media {
                profile: "main",
                msn: Some(12),
                part: Some(3)
            })
        );
        assert_eq!(
            parse("/hls/sub/stream.m3u8"),
            Ok(Resource::Media {
                profile: "sub",
                msn: None,
                part: None
            })
        );
        assert_eq!(
            parse("/hls/main/init-2.mp4"),
            Ok(Resource::Init {
                profile: "main",
                generation: 2
            })
        );
        assert_eq!(
            parse("/hls/main/seg-40.m4s"),
            Ok(Resource::Segment {
                profile: "main",
                msn: 40
            })
        );
        assert_eq!(
            parse("/hls/main/part-40.7.m4s"),
            Ok(Resource::Part {
                profile: "main",
                msn: 40,
                index: 7
            })
        );
    }

    #[test]
    fn refuses_bad_targets() {
        assert_eq!(
            parse("/hls/main/stream.m3u8?_HLS_part=1"),
            Err(PathError::PartWithoutMsn)
        );
        assert!(parse("/hls/main/seg--1.m4s").is_err());
        assert!(parse("/hls/main/seg-99999999999999999999.m4s").is_err());
        assert!(parse("/hls/main/init-4294967296.mp4").is_err());
        assert!(parse("/hls/../etc/passwd").is_err());
        assert!(parse("/hls/main/part-1.m4s").is_err());
        assert!(parse("/hls/main/other.txt").is_err());
        assert!(parse("/hls/").is_err());
        assert!(parse("/other").is_err());
    }
}

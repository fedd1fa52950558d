//! The one client-side Digest: reads a `WWW-Authenticate` challenge and writes the
//! `Authorization` answer, for HTTP (RFC 7616: qop=auth, MD5 or SHA-256) and RTSP (RFC 2326
//! s.D.1 with RFC 2069's qop-less answer, as live555 sends it). The hashes are the daemon's
//! own `compute_response`; what is tested is the exchange around them.

use nvt::auth::digest::{Algorithm, compute_response, parse_authorization};

/// One Digest challenge, as a client reads it.
#[derive(Clone, Debug)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    /// `algorithm` as given (absent means MD5, RFC 7616 s.3.3).
    pub algorithm: Option<String>,
}

/// How an answer proves freshness: RFC 2617 `qop=auth` with a nonce count and client nonce,
/// or nothing (RFC 2069).
#[derive(Clone, Copy, Debug)]
pub struct Qop<'a> {
    pub nc: u32,
    pub cnonce: &'a str,
}

impl Challenge {
    /// Reads one `WWW-Authenticate: Digest ...` value.
    pub fn parse(www_authenticate: &str) -> Challenge {
        // The daemon's parser reads Authorization values, which need these three fields; a
        // challenge has none of them, so they are added for the parse and ignored.
        let c = parse_authorization(&www_authenticate.replacen(
            "Digest",
            "Digest username=x, uri=x, response=x,",
            1,
        ))
        .unwrap_or_else(|e| panic!("not a Digest challenge ({e:?}): {www_authenticate}"));
        Challenge {
            realm: c.realm,
            nonce: c.nonce,
            opaque: c.opaque,
            algorithm: c.algorithm,
        }
    }

    /// The MD5 challenge among several (the last one, as live555 reads them).
    pub fn md5<'a>(challenges: impl IntoIterator<Item = &'a str>) -> Challenge {
        let all: Vec<&str> = challenges.into_iter().collect();
        let ch = all
            .iter()
            .rfind(|c| c.contains("MD5") || !c.contains("algorithm"))
            .unwrap_or_else(|| panic!("no MD5 challenge in {all:?}"));
        Challenge::parse(ch)
    }

    fn alg(&self) -> Algorithm {
        match self.algorithm.as_deref() {
            Some(a) if a.eq_ignore_ascii_case("SHA-256") => Algorithm::Sha256,
            _ => Algorithm::Md5,
        }
    }

    /// The `Authorization` value answering this challenge for `method` on `uri`.
    pub fn answer(
        &self,
        user: &str,
        password: &str,
        method: &str,
        uri: &str,
        qop: Option<Qop<'_>>,
    ) -> String {
        let alg = self.alg();
        let nc = qop.map(|q| format!("{:08x}", q.nc));
        let r = compute_response(
            alg,
            user,
            &self.realm,
            password,
            method,
            uri,
            &self.nonce,
            qop.map(|q| (nc.as_deref().unwrap(), q.cnonce, "auth")),
        );
        let mut out = format!(
            "Digest username=\"{user}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\"",
            self.realm, self.nonce
        );
        if self.algorithm.is_some() {
            out.push_str(&format!(", algorithm={}", alg.token()));
        }
        if let (Some(q), Some(nc)) = (qop, &nc) {
            out.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{}\"", q.cnonce));
        }
        out.push_str(&format!(", response=\"{r}\""));
        if let Some(o) = &self.opaque {
            out.push_str(&format!(", opaque=\"{o}\""));
        }
        out
    }
}

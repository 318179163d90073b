//! HTTP API request signatures (§5.1). Verification accepts what all three SDKs send: percent-encoded
//! query values (PHP), `body_md5` on body-less GETs (Python), and raw values (Node).

use md5::{Digest, Md5};
use percent_encoding::percent_decode_str;

use crate::auth::{sign_hex, verify_hex};

/// How far `auth_timestamp` may be from the server's clock, in seconds.
pub const TIMESTAMP_WINDOW_SECS: u64 = 600;

/// MD5 of the empty body, which the Python SDK sends on every GET.
pub const EMPTY_BODY_MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

/// Why a request's signature was refused (all map to HTTP 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    #[error("Missing authentication parameter: {0}")]
    Missing(&'static str),
    #[error("Invalid auth_key")]
    WrongKey,
    #[error("Unsupported auth_version: only 1.0 is accepted")]
    BadVersion,
    #[error("Timestamp expired: Given timestamp ({given}) not within 600s of server time ({now})")]
    Expired { given: String, now: u64 },
    #[error("body_md5 does not match the request body")]
    BodyMd5Mismatch,
    #[error("Invalid signature: expected HMAC-SHA256 hex digest of {0:?}")]
    BadSignature(String),
}

/// A query string split into percent-decoded pairs, keys lowercased, in arrival order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Parses a raw query string (`a=1&b=x%2Cy`). `+` stays `+`, as the SDKs sign it.
    #[must_use]
    pub fn parse(raw: &str) -> Self {
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        let pairs = raw
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k).to_ascii_lowercase(), decode(v))
            })
            .collect();
        Self(pairs)
    }

    /// The first value of `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `key=value` pairs except `auth_signature`, sorted by key, joined with `&`, unescaped.
    #[must_use]
    pub fn canonical(&self) -> String {
        let mut pairs: Vec<_> = self
            .0
            .iter()
            .filter(|(k, _)| k != "auth_signature")
            .collect();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let parts: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        parts.join("&")
    }
}

/// The parts of an HTTP API request a signature covers.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a Query,
    pub body: &'a [u8],
}

impl Request<'_> {
    /// `METHOD\nPATH\nCANONICAL_QUERY`.
    #[must_use]
    pub fn string_to_sign(&self) -> String {
        format!(
            "{}\n{}\n{}",
            self.method.to_ascii_uppercase(),
            self.path,
            self.query.canonical()
        )
    }

    /// Verifies the request was signed with `key`/`secret` within the window around `now_secs`.
    ///
    /// # Errors
    /// A [`SigError`] naming the first check that failed.
    pub fn verify(&self, key: &str, secret: &str, now_secs: u64) -> Result<(), SigError> {
        let q = self.query;
        let given_key = q.get("auth_key").ok_or(SigError::Missing("auth_key"))?;
        let timestamp = q
            .get("auth_timestamp")
            .ok_or(SigError::Missing("auth_timestamp"))?;
        let version = q
            .get("auth_version")
            .ok_or(SigError::Missing("auth_version"))?;
        let signature = q
            .get("auth_signature")
            .ok_or(SigError::Missing("auth_signature"))?;
        if given_key != key {
            return Err(SigError::WrongKey);
        }
        if version != "1.0" {
            return Err(SigError::BadVersion);
        }
        check_timestamp(timestamp, now_secs)?;
        check_body_md5(q.get("body_md5"), self.body)?;
        let signed = self.string_to_sign();
        if verify_hex(secret, signed.as_bytes(), signature) {
            Ok(())
        } else {
            Err(SigError::BadSignature(signed))
        }
    }
}

fn check_timestamp(given: &str, now: u64) -> Result<(), SigError> {
    let expired = || SigError::Expired {
        given: given.to_owned(),
        now,
    };
    let ts: u64 = given.parse().map_err(|_| expired())?;
    if ts.abs_diff(now) > TIMESTAMP_WINDOW_SECS {
        return Err(expired());
    }
    Ok(())
}

fn check_body_md5(given: Option<&str>, body: &[u8]) -> Result<(), SigError> {
    match given {
        None if body.is_empty() => Ok(()),
        None => Err(SigError::Missing("body_md5")),
        Some(md5) if md5.eq_ignore_ascii_case(&body_md5(body)) => Ok(()),
        Some(_) => Err(SigError::BodyMd5Mismatch),
    }
}

/// Lowercase hex MD5 of a request body.
#[must_use]
pub fn body_md5(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

/// Builds the query string of a signed request, as the Pusher server SDKs do (for clients and tests).
/// `extra` holds further query parameters (`info`, `filter_by_prefix`), unescaped.
#[must_use]
pub fn signed_query(
    key: &str,
    secret: &str,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: &[u8],
    timestamp: u64,
) -> String {
    let mut pairs = vec![
        ("auth_key".to_owned(), key.to_owned()),
        ("auth_timestamp".to_owned(), timestamp.to_string()),
        ("auth_version".to_owned(), "1.0".to_owned()),
    ];
    if !body.is_empty() {
        pairs.push(("body_md5".to_owned(), body_md5(body)));
    }
    pairs.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let query = Query(pairs);
    let request = Request {
        method,
        path,
        query: &query,
        body,
    };
    let signature = sign_hex(secret, request.string_to_sign().as_bytes());
    format!("{}&auth_signature={signature}", query.canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn check(method: &str, path: &str, raw: &str, body: &[u8]) -> Result<(), SigError> {
        let query = Query::parse(raw);
        Request {
            method,
            path,
            query: &query,
            body,
        }
        .verify("app-key", "app-secret", NOW + 5)
    }

    #[test]
    fn project_vectors_verify() {
        let body =
            br#"{"name":"my-event","channels":["my-channel"],"data":"{\"message\":\"hello\"}"}"#;
        assert_eq!(body_md5(body), "5930e2a54c7987da9dd25c55628f8bf7");
        let q = "auth_key=app-key&auth_timestamp=1700000000&auth_version=1.0&body_md5=5930e2a54c7987da9dd25c55628f8bf7&auth_signature=bdaba4c0edd9f1a9c09500a9dabe04127d1f952661933348f24a7400af3ed0d1";
        assert_eq!(check("POST", "/apps/1/events", q, body), Ok(()));
        let q = "filter_by_prefix=presence-&info=user_count&auth_key=app-key&auth_timestamp=1700000000&auth_version=1.0&auth_signature=985aebc7e3bd1977bb4ab10e11ad6eba7624244a20ac945c884f459dd1366359";
        assert_eq!(check("GET", "/apps/1/channels", q, b""), Ok(()));
        let php = "auth_key=app-key&auth_timestamp=1700000000&auth_version=1.0&info=user_count%2Csubscription_count&auth_signature=2a2e309e2188ceb0daa0e77a5867acf92e719ed2d057acb0da9e74ec42db9517";
        assert_eq!(
            check("GET", "/apps/1/channels/presence-chat.1", php, b""),
            Ok(())
        );
        let python = "auth_key=app-key&auth_timestamp=1700000000&auth_version=1.0&body_md5=d41d8cd98f00b204e9800998ecf8427e&info=user_count,subscription_count&auth_signature=152d96b9e53d213224fe3085733f4560678dd0147f39ddd835360bf56ff1a087";
        assert_eq!(
            check("GET", "/apps/1/channels/presence-chat.1", python, b""),
            Ok(())
        );
        let users = "auth_key=app-key&auth_timestamp=1700000000&auth_version=1.0&auth_signature=ca3d9529b620bbc33a98df677d518208df529622e64a9179546939189de519cd";
        assert_eq!(
            check("GET", "/apps/1/channels/presence-chat.1/users", users, b""),
            Ok(())
        );
    }

    #[test]
    fn official_doc_vector() {
        let body = br#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;
        let q = Query::parse("auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f&auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c");
        let r = Request {
            method: "POST",
            path: "/apps/3/events",
            query: &q,
            body,
        };
        assert_eq!(
            r.verify(
                "278d425bdf160c739803",
                "7ad3773142a6692b25b8",
                1_353_088_179
            ),
            Ok(())
        );
    }

    #[test]
    fn failures_are_named() {
        let good = signed_query(
            "app-key",
            "app-secret",
            "POST",
            "/apps/1/events",
            &[],
            b"{}",
            NOW,
        );
        assert_eq!(check("POST", "/apps/1/events", &good, b"{}"), Ok(()));
        assert_eq!(
            check("POST", "/apps/1/events", &good, b"{ }"),
            Err(SigError::BodyMd5Mismatch)
        );
        assert!(matches!(
            check("POST", "/apps/2/events", &good, b"{}"),
            Err(SigError::BadSignature(_))
        ));
        assert_eq!(
            check("GET", "/x", "", b""),
            Err(SigError::Missing("auth_key"))
        );
        let stale = signed_query("app-key", "app-secret", "GET", "/x", &[], b"", NOW - 700);
        assert!(matches!(
            check("GET", "/x", &stale, b""),
            Err(SigError::Expired { .. })
        ));
        let other = signed_query("other", "app-secret", "GET", "/x", &[], b"", NOW);
        assert_eq!(check("GET", "/x", &other, b""), Err(SigError::WrongKey));
        let no_md5 = good.replace("&body_md5=99914b932bd37a50b983c5e7c90ae93b", "");
        assert_eq!(
            check("POST", "/apps/1/events", &no_md5, b"{}"),
            Err(SigError::Missing("body_md5"))
        );
    }
}

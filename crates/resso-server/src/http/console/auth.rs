//! HTTP Basic authentication for the console: the presented `user:password` is hashed and the
//! digest compared in constant time with the configured one's, so neither the content nor the
//! length of the password leaks through timing. A missing or wrong one gets a bare 401 with a
//! `WWW-Authenticate` challenge, and nothing else.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The challenge a refused request gets.
const CHALLENGE: &str = "Basic realm=\"Resso debug console\", charset=\"UTF-8\"";

/// Who may use the console: the digest of `user:password`.
#[derive(Debug, Clone)]
pub struct Access {
    digest: [u8; 32],
}

impl Access {
    #[must_use]
    pub fn new(user: &str, password: &str) -> Self {
        Self {
            digest: digest(user.as_bytes(), password.as_bytes()),
        }
    }

    /// Whether `headers` carry this user and password as Basic credentials.
    #[must_use]
    pub fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(presented) = basic(headers) else {
            return false;
        };
        let (user, password) = presented
            .iter()
            .position(|&b| b == b':')
            .map_or((&presented[..], &b""[..]), |at| {
                (&presented[..at], &presented[at + 1..])
            });
        digest(user, password).ct_eq(&self.digest).into()
    }
}

fn digest(user: &[u8], password: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(user);
    hash.update(b":");
    hash.update(password);
    hash.finalize().into()
}

/// The decoded credentials of an `Authorization: Basic …` header.
fn basic(headers: &HeaderMap) -> Option<Vec<u8>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()
}

/// The middleware in front of every console route.
pub async fn require(State(access): State<Arc<Access>>, request: Request, next: Next) -> Response {
    if access.admits(request.headers()) {
        return next.run(request).await;
    }
    let mut refused = StatusCode::UNAUTHORIZED.into_response();
    refused.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(CHALLENGE),
    );
    refused
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        headers
    }

    fn basic_of(credentials: &str) -> HeaderMap {
        let token = base64::engine::general_purpose::STANDARD.encode(credentials);
        with(&format!("Basic {token}"))
    }

    #[test]
    fn admits_the_right_user_and_password_only() {
        let access = Access::new("ops", "s3cret:with-colon");
        assert!(access.admits(&basic_of("ops:s3cret:with-colon")));
        assert!(access.admits(&with(&format!(
            "basic {}",
            base64::engine::general_purpose::STANDARD.encode("ops:s3cret:with-colon")
        ))));
        assert!(!access.admits(&basic_of("ops:s3cret")));
        assert!(!access.admits(&basic_of("other:s3cret:with-colon")));
        assert!(!access.admits(&basic_of("ops")));
        assert!(!access.admits(&with("Bearer ops:s3cret:with-colon")));
        assert!(!access.admits(&with("Basic not base64!")));
        assert!(!access.admits(&HeaderMap::new()));
    }
}

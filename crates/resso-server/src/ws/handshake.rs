//! The HTTP/1.1 upgrade to WebSocket (RFC 6455 §4.2): which requests are valid upgrades, the accept
//! key, and the 101 response. One check over `(name, value)` header pairs serves both the raw
//! request heads [`super::upgrade`] reads off new connections and the requests that reach the
//! router instead (which are answered as plain HTTP).

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::json;
use sha1::{Digest, Sha1};

/// The GUID every accept key is derived with.
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
#[must_use]
pub fn accept_key(key: &[u8]) -> String {
    let mut sha = Sha1::new();
    sha.update(key);
    sha.update(GUID);
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// The 101 response for a client's `Sec-WebSocket-Key`.
#[must_use]
pub fn switching_protocols(key: &[u8]) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        accept_key(key)
    )
    .into_bytes()
}

/// Why a request is not a valid upgrade; answered as plain HTTP with a JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `Connection: upgrade` + `Upgrade: websocket`, or a request that cannot be upgraded: 426.
    NotUpgrade,
    /// `Sec-WebSocket-Version` is not 13: 400.
    Version,
    /// `Sec-WebSocket-Key` is missing: 400.
    Key,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, reason) = match self {
            Self::NotUpgrade => (StatusCode::UPGRADE_REQUIRED, "Expected a WebSocket upgrade"),
            Self::Version => (StatusCode::BAD_REQUEST, "Sec-WebSocket-Version must be 13"),
            Self::Key => (StatusCode::BAD_REQUEST, "Sec-WebSocket-Key is missing"),
        };
        let body = Json(json!({"error": reason, "code": status.as_u16()}));
        (status, body).into_response()
    }
}

/// Whether header `name`'s comma-separated values include `token` (case-insensitively).
fn has_token<'a>(
    headers: impl Iterator<Item = (&'a str, &'a [u8])>,
    name: &str,
    token: &str,
) -> bool {
    headers
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .filter_map(|(_, v)| std::str::from_utf8(v).ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// The first value of header `name`.
pub fn value<'a>(
    mut headers: impl Iterator<Item = (&'a str, &'a [u8])>,
    name: &str,
) -> Option<&'a [u8]> {
    headers
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Checks the upgrade headers; the client's `Sec-WebSocket-Key` if they make a valid upgrade.
///
/// # Errors
/// Why they do not.
pub fn check<'a, I>(headers: I) -> Result<&'a [u8], Refusal>
where
    I: Iterator<Item = (&'a str, &'a [u8])> + Clone,
{
    if !has_token(headers.clone(), "connection", "upgrade")
        || !has_token(headers.clone(), "upgrade", "websocket")
    {
        return Err(Refusal::NotUpgrade);
    }
    if value(headers.clone(), "sec-websocket-version") != Some(b"13") {
        return Err(Refusal::Version);
    }
    value(headers, "sec-websocket-key").ok_or(Refusal::Key)
}

/// What the router answers for a request to the WebSocket path: valid upgrades never get there
/// (they are taken off the connection first), so this is always a refusal.
pub fn refusal(headers: &HeaderMap) -> Refusal {
    let pairs: Vec<(&str, &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    check(pairs.iter().copied())
        .err()
        .unwrap_or(Refusal::NotUpgrade)
}

#[cfg(test)]
mod tests {
    #[test]
    fn accept_key_matches_rfc_6455() {
        assert_eq!(
            super::accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}

//! The HTTP/1.1 upgrade to WebSocket (RFC 6455 §4.2): check the request, answer 101 with the accept
//! key, then take the TCP stream back from hyper once the response is out.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use serde_json::json;
use sha1::{Digest, Sha1};
use tokio::net::TcpStream;

use super::socket::Socket;

/// The GUID every accept key is derived with.
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// An accepted upgrade: the 101 to send and the stream to come.
pub struct Upgrade {
    accept: HeaderValue,
    on: OnUpgrade,
}

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
#[must_use]
pub fn accept_key(key: &[u8]) -> String {
    let mut sha = Sha1::new();
    sha.update(key);
    sha.update(GUID);
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Why a request is not a valid upgrade; answered as plain HTTP with a JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `Connection: upgrade` + `Upgrade: websocket`, or a connection hyper cannot upgrade: 426.
    NotUpgrade,
    /// `Sec-WebSocket-Version` is not 13: 400.
    Version,
    /// `Sec-WebSocket-Key` is missing or unusable: 400.
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

/// Checks `request` is a WebSocket upgrade and claims its stream.
///
/// # Errors
/// Why it is not one.
pub fn check(request: &mut Request) -> Result<Upgrade, Refusal> {
    let headers = request.headers();
    if !has_token(headers, header::CONNECTION, "upgrade")
        || !has_token(headers, header::UPGRADE, "websocket")
    {
        return Err(Refusal::NotUpgrade);
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err(Refusal::Version);
    }
    let key = headers.get(header::SEC_WEBSOCKET_KEY).ok_or(Refusal::Key)?;
    let accept = HeaderValue::try_from(accept_key(key.as_bytes())).map_err(|_| Refusal::Key)?;
    let on = request
        .extensions_mut()
        .remove::<OnUpgrade>()
        .ok_or(Refusal::NotUpgrade)?;
    Ok(Upgrade { accept, on })
}

impl Upgrade {
    /// The 101 response, and the stream once hyper has written it.
    pub fn split(
        self,
        max_message: usize,
    ) -> (Response, impl std::future::Future<Output = Option<Socket>>) {
        let response = Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header(header::CONNECTION, "Upgrade")
            .header(header::UPGRADE, "websocket")
            .header(header::SEC_WEBSOCKET_ACCEPT, self.accept)
            .body(Body::empty())
            .unwrap_or_default();
        (response, stream(self.on, max_message))
    }
}

/// The upgraded TCP stream and any bytes the client sent after its request.
async fn stream(on: OnUpgrade, max_message: usize) -> Option<Socket> {
    let upgraded = on.await.ok()?;
    match upgraded.downcast::<TokioIo<TcpStream>>() {
        Ok(parts) => Some(Socket::new(
            parts.io.into_inner(),
            &parts.read_buf,
            max_message,
        )),
        Err(_) => {
            tracing::error!("upgraded connection is not a TCP stream");
            None
        }
    }
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

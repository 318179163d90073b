//! The `X-Socket-ID` header Echo adds to the page's requests, as an axum extractor, so a handler can
//! broadcast "to everyone but the sender" (`broadcast(&e).to_others(socket)`).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use resso_protocol::SocketId;

/// The request's `X-Socket-ID`, when present and of the `\d+.\d+` form (anything else: `None`, as
/// Laravel ignores a malformed id rather than failing the request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XSocketId(pub Option<SocketId>);

/// The header name (matched case-insensitively).
pub const HEADER: &str = "x-socket-id";

impl<S: Send + Sync> FromRequestParts<S> for XSocketId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let id = parts
            .headers
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| SocketId::parse(v.trim()).ok());
        Ok(Self(id))
    }
}

impl From<XSocketId> for Option<SocketId> {
    fn from(x: XSocketId) -> Self {
        x.0
    }
}

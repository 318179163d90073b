//! What an Engine.IO request asks for (`EIO`, `transport`, `sid` from the query) and the refusals the
//! reference server answers with: HTTP 400 (403 for a forbidden origin) and a JSON body
//! `{"code":…,"message":…}` carrying Engine.IO's error codes, which clients log as they are.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use resso_protocol::http_sig::Query;
use resso_protocol::socketio::EngineVersion;
use serde_json::json;

/// The two transports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Polling,
    Websocket,
}

/// A request's Engine.IO parameters.
#[derive(Debug, Clone)]
pub struct EngineQuery {
    pub version: EngineVersion,
    pub transport: Transport,
    /// The session it belongs to; `None` for a handshake.
    pub sid: Option<String>,
}

/// Why an Engine.IO request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("Transport unknown")]
    UnknownTransport,
    #[error("Session ID unknown")]
    UnknownSid,
    #[error("Bad handshake method")]
    BadHandshakeMethod,
    #[error("Bad request")]
    BadRequest,
    #[error("Forbidden")]
    Forbidden,
    #[error("Unsupported protocol version")]
    UnsupportedProtocol,
    #[error("Payload too large")]
    TooLarge,
    /// The address has no place left (`[server.limits] connections_per_ip` and the rate).
    #[error("Too many connections from this address")]
    OverLimit,
    /// No app serves Socket.IO on the requested path.
    #[error("No app serves Socket.IO on this path: set it in an app's [apps.socketio] path, or remove enabled = false there")]
    NoApp,
}

impl Failure {
    /// Engine.IO's error code and the HTTP status.
    const fn code(self) -> (u8, StatusCode) {
        match self {
            Self::UnknownTransport => (0, StatusCode::BAD_REQUEST),
            Self::UnknownSid => (1, StatusCode::BAD_REQUEST),
            Self::BadHandshakeMethod => (2, StatusCode::BAD_REQUEST),
            Self::BadRequest => (3, StatusCode::BAD_REQUEST),
            Self::Forbidden => (4, StatusCode::FORBIDDEN),
            Self::UnsupportedProtocol => (5, StatusCode::BAD_REQUEST),
            Self::TooLarge => (3, StatusCode::PAYLOAD_TOO_LARGE),
            Self::OverLimit => (3, StatusCode::TOO_MANY_REQUESTS),
            Self::NoApp => (0, StatusCode::NOT_FOUND),
        }
    }

    /// The status and JSON body.
    pub fn parts(self) -> (StatusCode, String) {
        let (code, status) = self.code();
        (
            status,
            json!({"code": code, "message": self.to_string()}).to_string(),
        )
    }

    /// The whole response as raw HTTP/1.1, for refusals of upgrades taken off the connection.
    pub fn raw_response(self) -> Vec<u8> {
        let (status, body) = self.parts();
        format!(
            "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            body.len()
        )
        .into_bytes()
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, body) = self.parts();
        let value: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        (status, Json(value)).into_response()
    }
}

impl EngineQuery {
    /// Reads the query string (keys lower-cased, so `EIO` is `eio`), in the reference server's order:
    /// transport, version, session.
    ///
    /// # Errors
    /// The [`Failure`] to answer with.
    pub fn parse(raw: &str) -> Result<Self, Failure> {
        let query = Query::parse(raw);
        let transport = match query.get("transport") {
            Some("polling") => Transport::Polling,
            Some("websocket") => Transport::Websocket,
            _ => return Err(Failure::UnknownTransport),
        };
        let version = query
            .get("eio") // the query's keys are lower-cased
            .and_then(EngineVersion::parse)
            .ok_or(Failure::UnsupportedProtocol)?;
        if query.get("j").is_some() {
            return Err(Failure::BadRequest); // JSONP polling: not served
        }
        let sid = query.get("sid").map(str::to_owned);
        Ok(Self {
            version,
            transport,
            sid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_or_name_the_failure() {
        let q = EngineQuery::parse("EIO=4&transport=polling&t=Nx").unwrap();
        assert_eq!(
            (q.version, q.transport, q.sid),
            (EngineVersion::V4, Transport::Polling, None)
        );
        let q = EngineQuery::parse("EIO=3&transport=websocket&sid=a.b").unwrap();
        assert_eq!(q.sid.as_deref(), Some("a.b"));
        assert_eq!(
            EngineQuery::parse("EIO=4").unwrap_err(),
            Failure::UnknownTransport
        );
        assert_eq!(
            EngineQuery::parse("EIO=4&transport=flash").unwrap_err(),
            Failure::UnknownTransport
        );
        assert_eq!(
            EngineQuery::parse("EIO=5&transport=polling").unwrap_err(),
            Failure::UnsupportedProtocol
        );
        assert_eq!(
            EngineQuery::parse("transport=polling").unwrap_err(),
            Failure::UnsupportedProtocol
        );
        assert_eq!(
            Failure::UnknownSid.parts().1,
            r#"{"code":1,"message":"Session ID unknown"}"#
        );
    }
}

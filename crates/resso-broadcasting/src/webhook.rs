//! Webhooks in: an axum extractor that checks `X-Pusher-Key` and `X-Pusher-Signature`
//! (HMAC-SHA256 of the raw body, compared in constant time) and yields typed [`WebhookEvent`]s.
//! The credentials come from your state through `FromRef`, the axum way.

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use resso_protocol::auth::verify_hex;
use serde::{Deserialize, Deserializer};
use subtle::ConstantTimeEq;

/// The app credentials webhooks are verified with; put it in your state (`FromRef`). `Debug`
/// never shows the secret.
#[derive(Clone)]
pub struct WebhookVerifier {
    pub key: String,
    pub secret: String,
}

impl From<crate::auth::Credentials> for WebhookVerifier {
    fn from(c: crate::auth::Credentials) -> Self {
        Self {
            key: c.key,
            secret: c.secret,
        }
    }
}

impl std::fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("key", &self.key)
            .field("secret", &"…")
            .finish()
    }
}

impl WebhookVerifier {
    /// Verifies and parses one webhook request.
    ///
    /// # Errors
    /// A [`WebhookRejection`] naming what is wrong.
    pub fn verify(
        &self,
        key: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<Webhook, WebhookRejection> {
        let key = key.ok_or(WebhookRejection::MissingHeader("X-Pusher-Key"))?;
        let signature = signature.ok_or(WebhookRejection::MissingHeader("X-Pusher-Signature"))?;
        if !bool::from(key.as_bytes().ct_eq(self.key.as_bytes())) {
            return Err(WebhookRejection::WrongKey);
        }
        if !verify_hex(&self.secret, body, signature) {
            return Err(WebhookRejection::BadSignature);
        }
        serde_json::from_slice(body).map_err(|e| WebhookRejection::BadBody(e.to_string()))
    }
}

/// One webhook request: when it was made and its events.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Webhook {
    pub time_ms: u64,
    pub events: Vec<WebhookEvent>,
}

/// A webhook event (§6 of the protocol reference).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WebhookEvent {
    ChannelOccupied {
        channel: String,
    },
    ChannelVacated {
        channel: String,
    },
    MemberAdded {
        channel: String,
        user_id: String,
    },
    MemberRemoved {
        channel: String,
        user_id: String,
    },
    ClientEvent {
        channel: String,
        event: String,
        /// The event data as JSON text (servers differ on string vs raw JSON; both end up here).
        #[serde(deserialize_with = "as_json_text")]
        data: String,
        socket_id: String,
        #[serde(default)]
        user_id: Option<String>,
    },
    CacheMiss {
        channel: String,
    },
    SubscriptionCount {
        channel: String,
        subscription_count: u64,
    },
    /// A name this version does not know.
    #[serde(other)]
    Unknown,
}

fn as_json_text<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(de)? {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

/// Why a webhook request was refused (401, or 400 for a signed but unreadable body).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookRejection {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("X-Pusher-Key is not this app's key")]
    WrongKey,
    #[error("X-Pusher-Signature does not match the body")]
    BadSignature,
    #[error("the webhook body is not valid: {0}")]
    BadBody(String),
    #[error("the body could not be read")]
    Unreadable,
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::MissingHeader(_) | Self::WrongKey | Self::BadSignature => {
                StatusCode::UNAUTHORIZED
            }
            Self::BadBody(_) | Self::Unreadable => StatusCode::BAD_REQUEST,
        };
        (status, self.to_string()).into_response()
    }
}

impl<S> FromRequest<S> for Webhook
where
    WebhookVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = WebhookVerifier::from_ref(state);
        let headers = request.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let key = header("x-pusher-key");
        let signature = header("x-pusher-signature");
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|_| WebhookRejection::Unreadable)?;
        verifier.verify(key.as_deref(), signature.as_deref(), &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"time_ms":1700000000000,"events":[{"name":"channel_occupied","channel":"my-channel"}]}"#;
    const SIG: &str = "fec9fff324b82111ea03affc886e951bec5ee7a9e365bfd05cf254414c990a1a";

    fn verifier() -> WebhookVerifier {
        WebhookVerifier {
            key: "app-key".into(),
            secret: "app-secret".into(),
        }
    }

    #[test]
    fn reference_vector_verifies() {
        let hook = verifier()
            .verify(Some("app-key"), Some(SIG), BODY.as_bytes())
            .unwrap();
        assert_eq!(hook.time_ms, 1_700_000_000_000);
        assert_eq!(
            hook.events,
            vec![WebhookEvent::ChannelOccupied {
                channel: "my-channel".into()
            }]
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let text = format!("{:?}", verifier());
        assert!(
            text.contains("app-key") && !text.contains("app-secret"),
            "{text}"
        );
    }

    #[test]
    fn refusals() {
        let v = verifier();
        let b = BODY.as_bytes();
        assert_eq!(
            v.verify(None, Some(SIG), b),
            Err(WebhookRejection::MissingHeader("X-Pusher-Key"))
        );
        assert_eq!(
            v.verify(Some("k"), Some(SIG), b),
            Err(WebhookRejection::WrongKey)
        );
        assert_eq!(
            v.verify(Some("app-key"), Some(&SIG.replace('f', "0")), b),
            Err(WebhookRejection::BadSignature)
        );
        let tampered = BODY.replace("my-channel", "other");
        assert_eq!(
            v.verify(Some("app-key"), Some(SIG), tampered.as_bytes()),
            Err(WebhookRejection::BadSignature)
        );
    }

    #[test]
    fn client_event_data_of_either_shape() {
        let parse = |data: &str| {
            let text = format!(
                r#"{{"time_ms":1,"events":[{{"name":"client_event","channel":"private-a","event":"client-x","data":{data},"socket_id":"1.2"}},{{"name":"new_kind"}}]}}"#
            );
            serde_json::from_str::<Webhook>(&text).unwrap().events
        };
        let expect = |data: &str| WebhookEvent::ClientEvent {
            channel: "private-a".into(),
            event: "client-x".into(),
            data: data.into(),
            socket_id: "1.2".into(),
            user_id: None,
        };
        assert_eq!(
            parse(r#""{\"a\":1}""#),
            vec![expect(r#"{"a":1}"#), WebhookEvent::Unknown]
        );
        assert_eq!(parse(r#"{"a":1}"#)[0], expect(r#"{"a":1}"#));
    }
}

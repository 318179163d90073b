//! HTTP API failures and their responses: every one is JSON `{"error": …, "code": status}` with the
//! status the Pusher SDKs expect (§5.2). The mapping is exhaustive, so a new failure needs a status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use resso_protocol::api::ApiError;
use resso_protocol::http_sig::SigError;
use serde_json::json;

/// Why an HTTP API request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiFailure {
    #[error("Unknown app id")]
    UnknownApp,
    #[error("Application disabled")]
    AppDisabled,
    #[error("Request body too large")]
    BodyTooLarge,
    #[error("Request body not received in time")]
    BodyTimedOut,
    #[error("Too many requests: over the app's HTTP API rate limit")]
    RateLimited,
    #[error("{0}")]
    Signature(#[from] SigError),
    #[error("{0}")]
    Invalid(#[from] ApiError),
}

impl ApiFailure {
    fn status(&self) -> StatusCode {
        match self {
            Self::UnknownApp => StatusCode::NOT_FOUND,
            Self::AppDisabled => StatusCode::FORBIDDEN,
            Self::BodyTooLarge | Self::Invalid(ApiError::TooLarge(_)) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Self::BodyTimedOut => StatusCode::REQUEST_TIMEOUT,
            Self::Signature(_) => StatusCode::UNAUTHORIZED,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Invalid(ApiError::BadRequest(_)) => StatusCode::BAD_REQUEST,
        }
    }

    /// A 400 for a request that is well-formed but asks for something that does not apply.
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::Invalid(ApiError::BadRequest(msg.into()))
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = json!({"error": self.to_string(), "code": status.as_u16()});
        (status, Json(body)).into_response()
    }
}

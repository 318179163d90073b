//! Interim: signed triggers to a Pusher-protocol server's HTTP API and channel-auth signatures,
//! written here until `resso-broadcasting` lands, then replaced by it.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// Where and as which app to publish.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// `http://host:port` of the server's HTTP API.
    pub base_url: String,
    pub app_id: String,
    pub key: String,
    pub secret: String,
}

/// Publishes events; cheap to clone.
#[derive(Clone)]
pub struct Publisher {
    http: reqwest::Client,
    creds: Credentials,
}

impl Publisher {
    #[must_use]
    pub fn new(creds: Credentials) -> Self {
        Self {
            http: reqwest::Client::new(),
            creds,
        }
    }

    #[must_use]
    pub fn credentials(&self) -> &Credentials {
        &self.creds
    }

    /// Triggers `name` on `channel`; failures are logged.
    pub async fn trigger(&self, channel: &str, name: &str, data: &impl Serialize) {
        let body = serde_json::json!({
            "name": name,
            "channels": [channel],
            "data": serde_json::to_string(data).unwrap_or_default(),
        })
        .to_string();
        let path = format!("/apps/{}/events", self.creds.app_id);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let query = resso_protocol::http_sig::signed_query(
            &self.creds.key,
            &self.creds.secret,
            "POST",
            &path,
            &[],
            body.as_bytes(),
            now,
        );
        let url = format!("{}{path}?{query}", self.creds.base_url);
        let sent = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status);
        if let Err(e) = sent {
            tracing::warn!(%channel, %name, "broadcast failed: {e}");
        }
    }

    /// The `auth` value for a private channel subscription.
    #[must_use]
    pub fn auth(&self, socket_id: &str, channel: &str) -> String {
        let signature = resso_protocol::auth::sign_hex(
            &self.creds.secret,
            format!("{socket_id}:{channel}").as_bytes(),
        );
        format!("{}:{signature}", self.creds.key)
    }
}

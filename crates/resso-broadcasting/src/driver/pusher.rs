//! The Pusher HTTP API client: signed requests (signing is `resso_protocol::http_sig`, tested against
//! the reference vectors) to any Pusher-protocol server — Ressò, Reverb, Soketi, Sockudo, Pusher.
//! Broadcasting uses `POST /events` like Laravel's driver: up to 100 channels per request, `socket`
//! moved from the payload to `socket_id`, and each encrypted channel in a request of its own since
//! every one has its own key.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use resso_protocol::http_sig::signed_query;
use resso_protocol::SocketId;
use serde::{Deserialize, Serialize};

pub use super::api_types::{
    BatchAnswer, BatchEvent, ChannelAttributes, ChannelInfo, Channels, UserRef, Users,
};
use crate::auth::Credentials;
use crate::encrypt::MasterKey;
use crate::{Channel, Message};

/// Channels per `POST /events` (Pusher's limit).
pub const MAX_CHANNELS: usize = 100;
/// Events per `POST /batch_events` (Pusher's limit).
pub const MAX_BATCH: usize = 10;

/// Where the server is and the app's credentials. `Debug` never shows the secret.
#[derive(Clone)]
pub struct PusherConfig {
    pub app_id: String,
    pub key: String,
    pub secret: String,
    /// `http://127.0.0.1:8080` — scheme, host and port, no path.
    pub base_url: String,
    /// Needed only to broadcast on `private-encrypted-` channels.
    pub master_key: Option<MasterKey>,
    /// Per-request timeout (Laravel's Guzzle client uses 30 s).
    pub timeout: Duration,
}

impl PusherConfig {
    /// Credentials for a server at `base_url`, 30 s timeout, no master key.
    pub fn new(
        base_url: impl Into<String>,
        app_id: impl Into<String>,
        key: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        Self {
            app_id: app_id.into(),
            key: key.into(),
            secret: secret.into(),
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            master_key: None,
            timeout: Duration::from_secs(30),
        }
    }

    /// With an encryption master key.
    #[must_use]
    pub fn with_master_key(mut self, key: MasterKey) -> Self {
        self.master_key = Some(key);
        self
    }

    /// What channel authorization signs with: this app's key, secret and master key.
    #[must_use]
    pub fn credentials(&self) -> Credentials {
        Credentials {
            key: self.key.clone(),
            secret: self.secret.clone(),
            master_key: self.master_key.clone(),
        }
    }
}

impl std::fmt::Debug for PusherConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PusherConfig")
            .field("app_id", &self.app_id)
            .field("key", &self.key)
            .field("secret", &"…")
            .field("base_url", &self.base_url)
            .field("master_key", &self.master_key)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why a request to the HTTP API failed. The text never carries the signed URL: a transport
/// error is stored without it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PusherError {
    #[error("the Pusher HTTP API could not be reached: {0}")]
    Http(reqwest::Error),
    #[error("Pusher error: {status}: {body}")]
    Status { status: u16, body: String },
    #[error("the Pusher HTTP API answered something that is not the expected JSON: {0}")]
    BadAnswer(serde_json::Error),
    #[error("broadcasting on {0} needs an encryption master key")]
    NoMasterKey(String),
    #[error("a trigger takes 1..=100 channels, got {0}")]
    ChannelCount(usize),
}

impl From<reqwest::Error> for PusherError {
    fn from(e: reqwest::Error) -> Self {
        // reqwest puts the request URL, signature included, into its message.
        Self::Http(e.without_url())
    }
}

#[derive(Serialize)]
struct Trigger<'a> {
    name: &'a str,
    data: &'a str,
    channels: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    socket_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    info: Option<&'a str>,
}

/// A client of one app's HTTP API. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PusherClient {
    http: reqwest::Client,
    config: std::sync::Arc<PusherConfig>,
}

impl PusherClient {
    /// A client with its own connection pool.
    ///
    /// # Panics
    /// If the TLS backend cannot be initialised (a broken build, not bad input).
    #[must_use]
    pub fn new(config: PusherConfig) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(config.timeout)
            .build()
            .expect("the HTTP client builds");
        Self {
            http,
            config: std::sync::Arc::new(config),
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &PusherConfig {
        &self.config
    }

    /// `POST /events`: one event to 1–100 channels, optionally excluding a socket and asking `info`.
    ///
    /// # Errors
    /// A [`PusherError`]; 0 or more than 100 channels are refused before sending.
    pub async fn trigger(
        &self,
        channels: &[String],
        name: &str,
        data: &str,
        socket_id: Option<SocketId>,
        info: Option<&str>,
    ) -> Result<Channels, PusherError> {
        if channels.is_empty() || channels.len() > MAX_CHANNELS {
            return Err(PusherError::ChannelCount(channels.len()));
        }
        let body = Trigger {
            name,
            data,
            channels,
            socket_id: socket_id.map(|s| s.to_string()),
            info,
        };
        let body = serde_json::to_vec(&body).expect("a trigger body serializes");
        self.post("events", body).await
    }

    /// `POST /batch_events`, in requests of at most 10 events; the answers are concatenated.
    ///
    /// # Errors
    /// The first failing request's [`PusherError`].
    pub async fn trigger_batch(&self, events: &[BatchEvent]) -> Result<BatchAnswer, PusherError> {
        let mut answer = BatchAnswer::default();
        for chunk in events.chunks(MAX_BATCH) {
            let body = serde_json::to_vec(&serde_json::json!({ "batch": chunk }))
                .expect("a batch body serializes");
            let part: BatchAnswer = self.post("batch_events", body).await?;
            answer.batch.extend(part.batch);
        }
        Ok(answer)
    }

    /// Sends a resolved [`Message`] the way Laravel's Pusher driver does.
    ///
    /// # Errors
    /// The first failing request's [`PusherError`].
    pub async fn send(&self, message: &Message) -> Result<(), PusherError> {
        let mut payload = message.payload.clone();
        let _ = payload.remove("socket");
        let data = payload.to_json();
        let (encrypted, plain): (Vec<&Channel>, Vec<&Channel>) =
            message.channels.iter().partition(|c| c.is_encrypted());
        let plain: Vec<String> = plain.iter().map(|c| c.name()).collect();
        for chunk in plain.chunks(MAX_CHANNELS) {
            self.trigger(chunk, &message.name, &data, message.socket, None)
                .await?;
        }
        for channel in encrypted {
            let name = channel.name();
            let key = self
                .config
                .master_key
                .as_ref()
                .ok_or_else(|| PusherError::NoMasterKey(name.clone()))?;
            let sealed = key.encrypt(&name, &data);
            self.trigger(&[name], &message.name, &sealed, message.socket, None)
                .await?;
        }
        Ok(())
    }

    /// `GET /channels`: occupied channels, optionally by prefix and with `info=user_count`.
    ///
    /// # Errors
    /// A [`PusherError`].
    pub async fn channels(
        &self,
        prefix: Option<&str>,
        info: Option<&str>,
    ) -> Result<Channels, PusherError> {
        let mut extra = Vec::new();
        if let Some(p) = prefix {
            extra.push(("filter_by_prefix", p));
        }
        if let Some(i) = info {
            extra.push(("info", i));
        }
        self.get("channels", &extra).await
    }

    /// `GET /channels/{name}` with an optional `info` list.
    ///
    /// # Errors
    /// A [`PusherError`].
    pub async fn channel(
        &self,
        name: &str,
        info: Option<&str>,
    ) -> Result<ChannelInfo, PusherError> {
        let extra: Vec<_> = info.map(|i| ("info", i)).into_iter().collect();
        self.get(&format!("channels/{name}"), &extra).await
    }

    /// `GET /channels/{name}/users` of a presence channel.
    ///
    /// # Errors
    /// A [`PusherError`].
    pub async fn users(&self, name: &str) -> Result<Users, PusherError> {
        self.get(&format!("channels/{name}/users"), &[]).await
    }

    /// `POST /users/{id}/terminate_connections`.
    ///
    /// # Errors
    /// A [`PusherError`].
    pub async fn terminate_user_connections(&self, user_id: &str) -> Result<(), PusherError> {
        let path = format!("users/{user_id}/terminate_connections");
        let _: serde_json::Value = self.post(&path, b"{}".to_vec()).await?;
        Ok(())
    }

    /// An event to every connection signed in as `user_id` (`#server-to-user-{id}`).
    ///
    /// # Errors
    /// A [`PusherError`].
    pub async fn send_to_user(
        &self,
        user_id: &str,
        name: &str,
        data: &str,
    ) -> Result<(), PusherError> {
        let channel = [format!("#server-to-user-{user_id}")];
        self.trigger(&channel, name, data, None, None).await?;
        Ok(())
    }

    async fn post<T: for<'de> Deserialize<'de>>(
        &self,
        endpoint: &str,
        body: Vec<u8>,
    ) -> Result<T, PusherError> {
        let url = self.signed_url("POST", endpoint, &[], &body, now_secs());
        let request = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        answer(request.send().await?).await
    }

    async fn get<T: for<'de> Deserialize<'de>>(
        &self,
        endpoint: &str,
        extra: &[(&str, &str)],
    ) -> Result<T, PusherError> {
        let url = self.signed_url("GET", endpoint, extra, &[], now_secs());
        answer(self.http.get(url).send().await?).await
    }

    fn signed_url(
        &self,
        method: &str,
        endpoint: &str,
        extra: &[(&str, &str)],
        body: &[u8],
        now: u64,
    ) -> String {
        let c = &self.config;
        let path = format!("/apps/{}/{endpoint}", c.app_id);
        let query = signed_query(&c.key, &c.secret, method, &path, extra, body, now);
        format!("{}{path}?{query}", c.base_url)
    }
}

async fn answer<T: for<'de> Deserialize<'de>>(
    response: reqwest::Response,
) -> Result<T, PusherError> {
    let status = response.status();
    let body = response.text().await?;
    if status != reqwest::StatusCode::OK {
        return Err(PusherError::Status {
            status: status.as_u16(),
            body,
        });
    }
    serde_json::from_str(&body).map_err(PusherError::BadAnswer)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests;

//! The Redis driver, byte-compatible with Laravel's `RedisBroadcaster`: one PUBLISH per channel of
//! `{"event":…,"data":{…,"socket":…},"socket":…}` to `{prefix}{channel}`, JSON escaped the way PHP's
//! `json_encode` escapes it, so laravel-echo-server (and Ressò's Redis ingestion) read it unchanged.

use redis::aio::ConnectionManager;

use crate::{Message, Payload};

/// Where Redis is and the key prefix (`REDIS_PREFIX`; Laravel's default is `{app}-database-`).
/// `Debug` hides the URL's password.
#[derive(Clone)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port[/db]`.
    pub url: String,
    pub prefix: String,
}

impl std::fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &redact_url(&self.url))
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// `scheme://user:password@host…` with the password replaced by `…`.
#[must_use]
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:…@{host}"),
        None => format!("{scheme}://…@{host}"),
    }
}

/// A connected Redis publisher; reconnects by itself. Cheap to clone.
#[derive(Clone)]
pub struct RedisDriver {
    conn: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisDriver")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisDriver {
    /// Connects.
    ///
    /// # Errors
    /// A bad URL or an unreachable server.
    pub async fn connect(config: &RedisConfig) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(config.url.as_str())?;
        let conn = ConnectionManager::new(client).await?;
        Ok(Self {
            conn,
            prefix: config.prefix.clone(),
        })
    }

    /// The key prefix channels are published under.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Publishes `message` on each of its channels, in one pipeline.
    ///
    /// # Errors
    /// What Redis reports.
    pub async fn send(&self, message: &Message) -> Result<(), redis::RedisError> {
        let body = laravel_payload(message);
        let mut pipe = redis::pipe();
        for channel in &message.channels {
            pipe.cmd("PUBLISH")
                .arg(format!("{}{channel}", self.prefix))
                .arg(&body)
                .ignore();
        }
        let mut conn = self.conn.clone();
        pipe.query_async::<()>(&mut conn).await
    }
}

/// The exact bytes Laravel publishes: `data` carries `socket` too (PHP's evaluation order puts it
/// there), and the text is escaped like `json_encode` without flags.
#[must_use]
pub fn laravel_payload(message: &Message) -> String {
    #[derive(serde::Serialize)]
    struct Envelope<'a> {
        event: &'a str,
        data: &'a Payload,
        socket: Option<String>,
    }
    let socket = message.socket.map(|s| s.to_string());
    let mut data = message.payload.clone();
    data.insert("socket", &socket)
        .expect("an optional string serializes");
    let envelope = Envelope {
        event: &message.name,
        data: &data,
        socket,
    };
    php_escape(&serde_json::to_string(&envelope).expect("the envelope serializes"))
}

/// Rewrites compact JSON from `serde_json` into `json_encode`'s escaping: `/` as `\/`, non-ASCII as
/// `\uXXXX` (UTF-16, surrogate pairs). Outside strings JSON has neither, and `serde_json` never writes
/// `\/` itself, so a plain character map is exact.
#[must_use]
pub fn php_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '/' => out.push_str("\\/"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use resso_protocol::SocketId;

    use super::*;
    use crate::Channel;

    fn message(socket: Option<SocketId>) -> Message {
        Message {
            name: "App\\Events\\OrderShipped".into(),
            channels: vec![Channel::private("orders.1")],
            payload: serde_json::from_str(r#"{"order":{"id":1}}"#).unwrap(),
            socket,
        }
    }

    #[test]
    fn laravels_envelope() {
        assert_eq!(
            laravel_payload(&message(Some(SocketId::new(123, 456)))),
            r#"{"event":"App\\Events\\OrderShipped","data":{"order":{"id":1},"socket":"123.456"},"socket":"123.456"}"#
        );
        assert_eq!(
            laravel_payload(&message(None)),
            r#"{"event":"App\\Events\\OrderShipped","data":{"order":{"id":1},"socket":null},"socket":null}"#
        );
    }

    #[test]
    fn urls_lose_their_password() {
        assert_eq!(redact_url("redis://u:p@h:1/0"), "redis://u:…@h:1/0");
        assert_eq!(redact_url("redis://tok@h"), "redis://…@h");
        assert_eq!(redact_url("redis://h:1"), "redis://h:1");
    }

    #[test]
    fn php_escaping() {
        assert_eq!(
            php_escape(r#"{"a":"b/c é 😀"}"#),
            r#"{"a":"b\/c \u00e9 \ud83d\ude00"}"#
        );
    }
}

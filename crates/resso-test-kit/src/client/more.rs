//! The multi-node tests' reads: explicit waits (cross-node hops take longer), draining, presence
//! joins by name, member events within a wait, and a closing handshake.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::{Client, Outcome, TestApp, RECV_TIMEOUT};

impl Client {
    /// Upgrades to `url` as a client of `app` and reads `pusher:connection_established`.
    pub async fn connect_as(url: &str, app: TestApp) -> Self {
        let mut client = Self::open(url).await.with_app(app);
        client.established().await;
        client
    }

    /// Upgrades to `url` as a client of `app` without reading anything.
    pub async fn open_as(url: &str, app: TestApp) -> Self {
        Self::open(url).await.with_app(app)
    }

    /// The next text frame as JSON, within `wait`; pongs are skipped.
    pub async fn recv_within(&mut self, wait: Duration) -> Value {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_within(left).await {
                Outcome::Pong(_) => {}
                Outcome::Text(text) => {
                    return serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("server sent non-JSON text {text:?}: {e}"))
                }
                other => panic!(
                    "{}: expected a text frame within {wait:?}, got {other:?}",
                    self.socket_id
                ),
            }
        }
    }

    /// Asserts nothing but pongs arrives for `wait`.
    pub async fn assert_silent_for(&mut self, wait: Duration) {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_within(left).await {
                Outcome::Timeout => return,
                Outcome::Pong(_) => {}
                other => panic!(
                    "{}: expected silence for {wait:?}, got {other:?}",
                    self.socket_id
                ),
            }
        }
    }

    /// Every text frame arriving within `wait`, as JSON.
    pub async fn drain(&mut self, wait: Duration) -> Vec<Value> {
        let deadline = Instant::now() + wait;
        let mut frames = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_within(left).await {
                Outcome::Text(text) => frames.push(serde_json::from_str(&text).expect("JSON")),
                Outcome::Pong(_) => {}
                Outcome::Timeout => return frames,
                Outcome::Ended(why) => panic!("{}: connection ended: {why}", self.socket_id),
                Outcome::Close(close) => panic!("{}: closed with {close:?}", self.socket_id),
            }
        }
    }

    /// Joins a presence channel as `user` with `{"name": name}`; returns the `presence` object.
    pub async fn join(&mut self, channel: &str, user: &str, name: &str) -> Value {
        self.subscribe_presence(channel, json!(user), json!({ "name": name }))
            .await
    }

    /// The next frame must be `pusher_internal:{event}` (`member_added`/`member_removed`) on
    /// `channel`, within `wait`; returns its parsed data.
    pub async fn expect_member(&mut self, event: &str, channel: &str, wait: Duration) -> Value {
        let frame = self.recv_within(wait).await;
        assert_eq!(
            frame["event"],
            format!("pusher_internal:{event}"),
            "{frame}"
        );
        assert_eq!(frame["channel"], channel, "{frame}");
        serde_json::from_str(frame["data"].as_str().expect("string data")).expect("JSON data")
    }

    /// Sends a close frame and waits (briefly) for the server to end the connection.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        let drained = async { while self.ws.next().await.is_some() {} };
        let _ = tokio::time::timeout(RECV_TIMEOUT, drained).await;
    }
}

/// Asserts that none of `clients` receives anything for `wait` (watched concurrently).
pub async fn assert_all_silent_for(clients: &mut [&mut Client], wait: Duration) {
    let checks = clients.iter_mut().map(|c| c.assert_silent_for(wait));
    futures_util::future::join_all(checks).await;
}

/// The hash of a `presence` object, checking `count` and `ids` agree with it.
pub fn presence_hash(presence: &Value) -> Value {
    let hash = presence["hash"].as_object().expect("presence.hash").clone();
    assert_eq!(
        presence["count"],
        hash.len(),
        "count = distinct users: {presence}"
    );
    let mut ids: Vec<&str> = presence["ids"]
        .as_array()
        .expect("presence.ids")
        .iter()
        .map(|v| v.as_str().expect("string ids"))
        .collect();
    ids.sort_unstable();
    let mut keys: Vec<&str> = hash.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(ids, keys, "ids = hash keys: {presence}");
    Value::Object(hash)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::presence_hash;

    #[test]
    fn a_presence_object_whose_ids_count_and_hash_agree_gives_its_hash() {
        let presence = json!({"ids": ["2", "1"], "count": 2, "hash": {"1": null, "2": {"n": 1}}});
        assert_eq!(presence_hash(&presence), json!({"1": null, "2": {"n": 1}}));
    }

    #[test]
    #[should_panic(expected = "count = distinct users")]
    fn a_count_that_is_not_the_number_of_users_fails() {
        presence_hash(&json!({"ids": ["1"], "count": 2, "hash": {"1": null}}));
    }

    #[test]
    #[should_panic(expected = "ids = hash keys")]
    fn ids_that_are_not_the_hash_keys_fail() {
        presence_hash(&json!({"ids": ["1"], "count": 1, "hash": {"2": null}}));
    }
}

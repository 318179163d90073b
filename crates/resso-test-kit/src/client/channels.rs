//! The channel and user side of the test client: subscription auth signed independently of the
//! server's code, subscribe/unsubscribe helpers for every channel kind, presence events, signin.

use hmac::{Hmac, Mac};
use resso_protocol::auth::{channel_string, Credentials};
use resso_protocol::{AppKey, ChannelName, Limits, SocketId};
use serde_json::{json, Value};
use sha2::Sha256;

use super::Client;

impl Client {
    /// The `auth` an app's auth endpoint would return for this socket.
    pub fn auth(&self, channel: &str, channel_data: Option<&str>) -> String {
        let key = AppKey::from(self.app.key);
        let credentials = Credentials {
            key: &key,
            secret: self.app.secret,
        };
        let socket = SocketId::parse(&self.socket_id).expect("connected");
        let channel = ChannelName::parse(channel, &Limits::default()).expect("valid channel");
        credentials.auth_for(&channel_string(socket, &channel, channel_data))
    }

    pub async fn send_subscribe(&mut self, channel: &str, auth: Option<&str>, data: Option<&str>) {
        let mut body = json!({ "channel": channel });
        if let Some(auth) = auth {
            body["auth"] = auth.into();
        }
        if let Some(data) = data {
            body["channel_data"] = data.into();
        }
        self.send_json(&json!({"event": "pusher:subscribe", "data": body}))
            .await;
    }

    pub async fn unsubscribe(&mut self, channel: &str) {
        let frame = json!({"event": "pusher:unsubscribe", "data": {"channel": channel}});
        self.send_json(&frame).await;
    }

    /// The next frame must be `subscription_succeeded` for `channel`; returns its data string.
    async fn expect_succeeded(&mut self, channel: &str) -> String {
        let frame = self
            .expect_event("pusher_internal:subscription_succeeded")
            .await;
        assert_eq!(frame["channel"], channel, "{frame}");
        let data = frame["data"].as_str();
        data.unwrap_or_else(|| panic!("data must be a JSON string: {frame}"))
            .to_owned()
    }

    /// Subscribes as pusher-js does (`auth: ""`) and expects `data: "{}"`.
    pub async fn subscribe_public(&mut self, channel: &str) {
        self.send_subscribe(channel, Some(""), None).await;
        assert_eq!(self.expect_succeeded(channel).await, "{}");
    }

    pub async fn subscribe_private(&mut self, channel: &str) {
        let auth = self.auth(channel, None);
        self.send_subscribe(channel, Some(&auth), None).await;
        assert_eq!(self.expect_succeeded(channel).await, "{}");
    }

    /// Joins a presence channel; returns the `presence` object (`ids`, `hash`, `count`).
    pub async fn subscribe_presence(
        &mut self,
        channel: &str,
        user_id: Value,
        info: Value,
    ) -> Value {
        let data = json!({"user_id": user_id, "user_info": info}).to_string();
        self.subscribe_presence_raw(channel, &data).await
    }

    /// Joins with this exact `channel_data` string, signed byte for byte.
    pub async fn subscribe_presence_raw(&mut self, channel: &str, channel_data: &str) -> Value {
        let auth = self.auth(channel, Some(channel_data));
        self.send_subscribe(channel, Some(&auth), Some(channel_data))
            .await;
        let data: Value = serde_json::from_str(&self.expect_succeeded(channel).await)
            .expect("presence data holds JSON");
        let presence = data["presence"].clone();
        super::presence_hash(&presence); // count and ids agree with the hash
        presence
    }

    /// The next frame must be `member_added`/`member_removed` on `channel`; returns parsed data.
    pub async fn expect_member_event(&mut self, event: &str, channel: &str) -> Value {
        let frame = self.expect_event(event).await;
        assert_eq!(frame["channel"], channel, "{frame}");
        let text = frame["data"].as_str();
        let text = text.unwrap_or_else(|| panic!("{event} data must be a JSON string: {frame}"));
        serde_json::from_str(text).expect("member data holds JSON")
    }

    /// Sends a ping and reads up to its pong, failing on `subscription_succeeded` on the way (a
    /// Pusher-style extra `pusher:error` is allowed).
    pub async fn expect_no_success_then_pong(&mut self) {
        self.send_json(&json!({"event": "pusher:ping", "data": {}}))
            .await;
        loop {
            let frame = self.recv_json().await;
            match frame["event"].as_str() {
                Some("pusher:pong") => return,
                Some("pusher:error") => {}
                _ => panic!("expected only pusher:error before the pong, got {frame}"),
            }
        }
    }

    /// The `auth` an app's user authentication endpoint would return for this socket: the app key
    /// and the hex HMAC-SHA256 of `{socket_id}::user::{user_data}`, computed here independently of
    /// the server's code.
    pub fn signin_auth(&self, user_data: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.app.secret.as_bytes()).expect("any key");
        mac.update(format!("{}::user::{user_data}", self.socket_id).as_bytes());
        format!(
            "{}:{}",
            self.app.key,
            hex::encode(mac.finalize().into_bytes())
        )
    }

    /// Sends `pusher:signin` as pusher-js does.
    pub async fn send_signin(&mut self, auth: &str, user_data: &str) {
        let frame =
            json!({"event": "pusher:signin", "data": {"auth": auth, "user_data": user_data}});
        self.send_json(&frame).await;
    }

    /// Signs in with a good signature and expects `pusher:signin_success` with object data
    /// `{"user_data": <the exact string>}`.
    pub async fn signin(&mut self, user_data: &str) {
        let auth = self.signin_auth(user_data);
        self.send_signin(&auth, user_data).await;
        let frame = self.expect_event("pusher:signin_success").await;
        assert_eq!(
            frame,
            json!({"event": "pusher:signin_success", "data": {"user_data": user_data}}),
            "signin_success carries the signed user_data string"
        );
    }

    /// The next frame must be a channel-scoped `pusher:subscription_error` for `channel` with object
    /// data `{type, error, status}`; returns the data. Then a ping proves no `subscription_succeeded`
    /// follows and the connection is open.
    pub async fn expect_subscription_error(&mut self, channel: &str) -> Value {
        let frame = self.expect_event("pusher:subscription_error").await;
        assert_eq!(frame["channel"], channel, "{frame}");
        let data = frame["data"].clone();
        assert!(data["type"].is_string(), "type: {frame}");
        assert!(data["error"].is_string(), "error: {frame}");
        assert!(data["status"].is_u64(), "status: {frame}");
        self.expect_no_success_then_pong().await;
        data
    }
}

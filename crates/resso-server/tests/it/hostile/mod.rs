//! Hostile clients, bounded (issue #11): each test drives one client past a bound and shows the bound
//! holds — the answer it gets, the state it cannot grow — while a well-behaved [`Bystander`] on the
//! same server keeps getting its deliveries.

mod channel_cap;
mod client_events;
mod frames;
mod http_body;
mod idle;
mod per_ip;
mod presence;
mod socketio;

use serde_json::{json, Value};

use crate::support::{Api, Client, TestServer};

/// The channel the bystander listens on.
const CALM: &str = "calm";

/// A well-behaved client subscribed to [`CALM`], and the API client (one keep-alive connection)
/// publishing to it.
pub struct Bystander {
    client: Client,
    api: Api,
    sent: usize,
}

impl Bystander {
    pub async fn join(server: &TestServer) -> Self {
        let mut client = server.connect().await;
        client.subscribe_public(CALM).await;
        let api = server.api();
        Self {
            client,
            api,
            sent: 0,
        }
    }

    /// Publishes the next numbered event over the HTTP API and expects exactly it, answering the
    /// server's pings on the way as pusher-js does.
    pub async fn still_delivers(&mut self) {
        self.sent += 1;
        let data = format!("delivery {}", self.sent);
        self.api.publish(CALM, "calm-event", &data).await;
        let frame = loop {
            let frame: Value = self.client.recv_json().await;
            if frame["event"] != "pusher:ping" {
                break frame;
            }
            let pong = json!({"event": "pusher:pong", "data": {}});
            self.client.send_json(&pong).await;
        };
        assert_eq!(frame["event"], "calm-event", "{frame}");
        assert_eq!(frame["channel"], CALM, "{frame}");
        assert_eq!(frame["data"], data.as_str(), "{frame}");
    }
}

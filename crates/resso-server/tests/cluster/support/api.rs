//! [`Api`]: the kit's signed HTTP client on one node, with the two calls the cluster tests make in
//! their own shape: `publish` with the socket to exclude, and the node's cluster-wide connection
//! count.

use std::ops::Deref;

use super::TestApp;

/// The laravel-echo-server API client (`app_id`, `key`) every node configures for `MAIN`.
pub const ECHO: (&str, &str) = ("echo-id", "echo-key");

/// A signed HTTP client for one app on one node: [`resso_test_kit::Api`] and what is below.
pub struct Api(resso_test_kit::Api);

impl Deref for Api {
    type Target = resso_test_kit::Api;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Api {
    pub fn new(base: &str, app: TestApp) -> Self {
        Self(resso_test_kit::Api::new(base, app))
    }

    /// Publishes one event (`socket_id` excluded if given) and expects `200 {}`.
    pub async fn publish(&self, channel: &str, event: &str, data: &str, except: Option<&str>) {
        self.0.publish_except(channel, event, data, except).await;
    }

    /// `MAIN`'s open connections across the cluster as this node counts them against
    /// `max_connections` (its own plus what the others' heartbeats told it): the
    /// `subscription_count` of laravel-echo-server's `GET /apps/{id}/status`.
    pub async fn connections(&self) -> u64 {
        let (id, key) = ECHO;
        let (status, body) = self
            .send("GET", &format!("/apps/{id}/status?auth_key={key}"), "")
            .await;
        assert_eq!(status, 200, "GET /apps/{id}/status: {body}");
        body["subscription_count"]
            .as_u64()
            .unwrap_or_else(|| panic!("subscription_count is a number: {body}"))
    }
}

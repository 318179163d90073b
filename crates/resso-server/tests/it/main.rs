//! Ressò's integration tests: one binary, each test against a real server on port 0 (principle 13).
//! `support` has the server harness, the typed WebSocket client and the signed HTTP client.

mod bad_input;
mod channels;
mod client_events;
mod connection;
mod http_auth;
mod http_channels;
mod http_events;
mod presence;
mod shutdown;
mod slow_consumer;
mod support;

//! Ressò's integration tests: one binary, each test against a real server on port 0 (principle 13).
//! `support` has the server harness, the typed WebSocket client and the signed HTTP client.

mod bad_input;
mod cache;
mod channels;
mod client_events;
mod connection;
mod console;
mod debug_stats;
mod echo_api;
mod echo_server;
mod encrypted;
mod environments;
mod hostile;
mod http_auth;
mod http_channels;
mod http_events;
mod ingest;
mod limits;
mod memory;
mod ordering;
mod presence;
mod refusal_log;
mod reload;
mod shutdown;
mod signin;
mod slow_consumer;
mod socketio;
mod subscription_count;
mod support;
mod tls;
mod watchlist;
mod webhook_delivery;
mod webhooks;
mod websocket;

//! Integration tests: the library against a real Ressò, a real WebSocket client and a real
//! `redis-server`.

mod auth;
mod pusher;
mod queue;
mod redis;
mod secrets;
mod support;

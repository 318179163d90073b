//! `GET /debug/stats`: a JSON snapshot of what a soak run watches for leaks — the runtime's live
//! tokio tasks and the open connections. Off unless `[server] debug_stats = true` (the route then
//! does not exist: a 404 like any unknown path), because it tells any caller how busy the server
//! is. The seam a metrics endpoint will grow from; keep it to cheap reads, no per-delivery work.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::http::Shared;

/// The body of `GET /debug/stats`.
#[derive(Debug, Serialize)]
struct Stats {
    /// Tasks alive in the runtime serving this request (`RuntimeMetrics::num_alive_tasks`).
    tasks: usize,
    /// Connections of every app on this node, Pusher and Socket.IO alike.
    connections: u64,
    /// Live Socket.IO engine sessions (a subset of `connections` once connected).
    socketio_sessions: usize,
}

/// The route when `debug_stats` is on; an empty router otherwise.
pub fn routes(shared: &Shared) -> Router<Shared> {
    if !shared.settings.debug_stats {
        return Router::new();
    }
    Router::new().route("/debug/stats", get(stats))
}

async fn stats(State(shared): State<Shared>) -> Json<Stats> {
    let tasks = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    Json(Stats {
        tasks,
        connections: shared.registry.connection_counts().values().sum(),
        socketio_sessions: shared.socketio.sessions.len(),
    })
}

//! `GET /console/api/apps/{id}/feed`: one app's [`crate::tap`] as server-sent events — `ready`
//! once the watcher is counted, then an `entry` (a JSON record) per thing that happened, and
//! `dropped` (a count) when this watcher fell behind and lost entries. It ends when shutdown
//! begins; the browser's `EventSource` reconnects by itself.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};

use crate::http::{ApiFailure, Shared};
use crate::tap::Next;

/// Idle time after which a comment keeps proxies from closing the stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub async fn feed(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(app) = s.apps.by_id(&id) else {
        return ApiFailure::UnknownApp.into_response();
    };
    let watching = app.tap.watch();
    let ready = Event::default().event("ready").data(app.id.as_str());
    let entries = stream::unfold(watching, |mut feed| async move {
        let event = match feed.next().await {
            Next::Entry(record) => Event::default()
                .event("entry")
                .data(record.to_json().to_string()),
            Next::Dropped(n) => Event::default().event("dropped").data(n.to_string()),
        };
        Some((event, feed))
    });
    let events = stream::once(async { ready })
        .chain(entries)
        .map(Ok::<_, Infallible>)
        .take_until(s.shutdown.clone().cancelled_owned());
    let keep_alive = KeepAlive::new().interval(KEEP_ALIVE);
    Sse::new(events).keep_alive(keep_alive).into_response()
}

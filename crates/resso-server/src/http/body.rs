//! Bounds on HTTP request bodies: how long one may take ([`timed`], applied to every request
//! by the accept loop, so a body dribbled or never finished cannot hold a connection) and how
//! large a signed API body may be ([`limit`], the largest valid request an app's limits allow).

use std::error::Error;
use std::time::Duration;

use axum::body::Body;
use futures_util::StreamExt;
use resso_protocol::Limits;
use tokio::time::{timeout_at, Instant};

/// A request body did not arrive within `[server.limits] request_body_timeout_ms`.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyTimedOut;

/// `body`, failing with [`BodyTimedOut`] once `within` has passed since now (the end of the
/// request's head): whoever reads it gets the error, and hyper closes a connection whose body was
/// not read to its end.
pub fn timed(body: Body, within: Duration) -> Body {
    let deadline = Instant::now() + within;
    let chunks = body.into_data_stream();
    let stream = futures_util::stream::unfold(Some(chunks), move |chunks| async move {
        let mut chunks = chunks?;
        match timeout_at(deadline, chunks.next()).await {
            Ok(Some(chunk)) => Some((chunk.map_err(axum::BoxError::from), Some(chunks))),
            Ok(None) => None,
            Err(_) => Some((Err(BodyTimedOut.into()), None)),
        }
    });
    Body::from_stream(stream)
}

/// Whether reading a body failed because of [`timed`]'s deadline.
pub fn timed_out(error: &axum::Error) -> bool {
    let mut next: Option<&(dyn Error + 'static)> = Some(error);
    while let Some(e) = next {
        if e.is::<BodyTimedOut>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// Worst-case JSON size of a string of `n` bytes (`\u00XX` for each).
const fn escaped(n: usize) -> usize {
    6 * n
}

/// Room per event for the JSON around its fields (keys, `socket_id`, `info`, whitespace).
const ENVELOPE: usize = 1024;

/// The largest signed API body accepted for an app with `limits`: a full batch of events at every
/// limit, or one event to the most channels, all escaped at the worst. Larger bodies are answered
/// 413 before (or while) being read.
#[must_use]
pub const fn limit(limits: &Limits) -> usize {
    let event = escaped(limits.event_data + limits.event_name + limits.channel_name) + ENVELOPE;
    let batch = limits.batch_events * event;
    let one_channel = escaped(limits.channel_name) + 4;
    let publish = escaped(limits.event_data + limits.event_name)
        + limits.channels_per_publish * one_channel
        + ENVELOPE;
    if batch > publish {
        batch
    } else {
        publish
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_limit_fits_a_full_batch_escaped_at_the_worst() {
        let limits = Limits::default();
        let n = limit(&limits);
        assert_eq!(n, 10 * (6 * (10_240 + 200 + 200) + 1024));
        assert!(n < 1024 * 1024, "{n}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_body_times_out() {
        let part: Result<&[u8], axum::Error> = Ok(b"part");
        let stalls = futures_util::stream::iter([part]).chain(futures_util::stream::pending());
        let body = timed(Body::from_stream(stalls), Duration::from_secs(10));
        let error = axum::body::to_bytes(body, 1024).await.unwrap_err();
        assert!(timed_out(&error), "{error}");
    }
}

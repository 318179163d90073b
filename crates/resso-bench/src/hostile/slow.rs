//! Slow readers: clients with a 4 KiB receive buffer that subscribe to a busy channel and stop
//! reading, so the server's queue for them passes `outbound_queue_bytes` (or a write to them waits
//! past `pong_timeout`) and it ends them with 4100 — a close frame that often cannot get through
//! the full socket, so the reader sees the connection dropped. Their channel is fed its own large events (800 KB/s, from the harness as the app's
//! backend would), since the bystanders' small ones would take minutes to back a queue up; that
//! feed is part of this phase's load.

use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

use super::tally::Tally;
use super::ws::{self, Dialer};
use crate::publisher::Publisher;

/// The slow readers' channel and its feed: event size and rate.
pub const SLOW_CHANNEL: &str = "hostile-slow";
pub const FEED_BYTES: usize = 8000;
const FEED_RATE: f64 = 100.0;
/// Readers, one more every [`READER_EVERY`].
const READERS: usize = 5;
const READER_EVERY: Duration = Duration::from_secs(1);
/// SO_RCVBUF of a reader, so its backlog reaches the server's queue soon.
const RCVBUF: u32 = 4096;
/// Time a reader spends at the end reading its backlog to learn how it was closed.
const DRAIN: Duration = Duration::from_secs(3);

/// Feeds [`SLOW_CHANNEL`] for `duration` while readers join it and stop reading; at `stop` each
/// reads what it left to learn whether and how the server closed it.
pub async fn slow_readers(
    dialer: Dialer,
    mut feed: Publisher,
    duration: Duration,
    tally: Tally,
    stop: CancellationToken,
) {
    let feed_tally = tally.clone();
    let feeding = tokio::spawn(async move {
        let published = feed.run(FEED_RATE, duration).await;
        feed_tally.add_n("feed ok", published.ok);
        feed_tally.add_n("feed failed", published.sent - published.ok);
    });
    let mut readers = JoinSet::new();
    for _ in 0..READERS {
        readers.spawn(reader(dialer.clone(), tally.clone(), stop.clone()));
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(READER_EVERY) => {}
        }
    }
    while readers.join_next().await.is_some() {}
    let _ = feeding.await;
}

async fn reader(dialer: Dialer, tally: Tally, stop: CancellationToken) {
    let Ok((mut ws, _)) = dialer.established(Some(RCVBUF)).await else {
        tally.add("dial failed");
        return;
    };
    if ws::subscribe(&mut ws, ws::subscribe_frame(SLOW_CHANNEL, None, None))
        .await
        .is_err()
    {
        tally.add("subscribe failed");
        return;
    }
    stop.cancelled().await;
    let key = match timeout(DRAIN, crate::subscriber::close_code(&mut ws)).await {
        Ok(1006) => "dropped".into(),
        Ok(code) => format!("close {code}"),
        Err(_) => "still open".into(),
    };
    tally.add(&key);
}

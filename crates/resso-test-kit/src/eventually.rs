//! [`eventually`]: waiting for a state the server shows (an API answer, a count) instead of
//! sleeping for a guessed time: the check runs until it holds, and the wait fails loudly when it
//! never does.

use std::future::Future;
use std::time::Duration;

use tokio::time::{sleep, Instant};

/// How long a state may take to show.
const LIMIT: Duration = Duration::from_secs(10);
/// Between checks (each is a round trip to the server, so the server is not flooded).
const EVERY: Duration = Duration::from_millis(10);

/// Runs `check` until it returns `true`; panics naming `what` after ten seconds.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + LIMIT;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "never: {what} (within {LIMIT:?})"
        );
        sleep(EVERY).await;
    }
}

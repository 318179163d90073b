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

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::eventually;

    #[tokio::test]
    async fn the_check_runs_until_it_holds() {
        let runs = Cell::new(0);
        eventually("the third run", || async {
            runs.set(runs.get() + 1);
            runs.get() == 3
        })
        .await;
        assert_eq!(runs.get(), 3);
    }

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "never: the impossible")]
    async fn a_check_that_never_holds_fails_naming_it() {
        eventually("the impossible", || async { false }).await;
    }
}

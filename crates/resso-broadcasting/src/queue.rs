//! Queued broadcasting (feature `queue`): [`BroadcastQueue::dispatch`] stores a resolved
//! [`Message`] in Redis through apalis; [`worker`] runs beside your app (same process or another)
//! and sends each one with retries and exponential backoff.
//!
//! **What is snapshotted at dispatch.** Laravel queues the event object and computes its name,
//! channels and payload in the worker. A Rust event is resolved and serialized when you dispatch:
//! `broadcast_when`, `broadcast_on`, `broadcast_as` and `broadcast_with` run in your request, and the
//! worker sends exactly that message (with its `to_others` socket). State that changes between
//! dispatch and delivery is not re-read.
//!
//! apalis' Redis worker parks for up to 30 s when idle by default; the queue polls every
//! [`QueueOptions::poll_interval`] (100 ms by default) instead, so a job starts within about that.

use std::time::Duration;

use apalis::layers::retry::BackoffRetryPolicy;
use apalis::prelude::*;
use apalis_redis::{Config, ConnectionManager, RedisStorage};
use tower::retry::backoff::{ExponentialBackoffMaker, MakeBackoff};
use tower::util::rng::HasherRng;

use crate::{Broadcaster, Message};

/// Why queueing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    #[error("cannot connect to the queue's Redis: {0}")]
    Connect(#[from] redis::RedisError),
    #[error("cannot push the broadcast job: {0}")]
    Push(String),
}

/// Queue settings.
#[derive(Debug, Clone)]
pub struct QueueOptions {
    /// The apalis queue name (Redis key namespace).
    pub name: String,
    /// How often an idle worker looks for jobs.
    pub poll_interval: Duration,
    /// Retries after the first attempt fails.
    pub retries: usize,
    /// First and longest wait between attempts (exponential in between).
    pub backoff_min: Duration,
    pub backoff_max: Duration,
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self {
            name: "resso-broadcasting:broadcasts".to_owned(),
            poll_interval: Duration::from_millis(100),
            retries: 3,
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(10),
        }
    }
}

/// The storage broadcasts are queued in. Cheap to clone.
#[derive(Clone)]
pub struct BroadcastQueue {
    storage: RedisStorage<Message, ConnectionManager>,
    options: QueueOptions,
}

impl std::fmt::Debug for BroadcastQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastQueue")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl BroadcastQueue {
    /// Connects to Redis at `url`.
    ///
    /// # Errors
    /// A bad URL or an unreachable server.
    pub async fn connect(url: &str, options: QueueOptions) -> Result<Self, QueueError> {
        let conn = apalis_redis::connect(url).await?;
        let storage = RedisStorage::new(conn).with_config(Config::default().queue(&options.name));
        Ok(Self { storage, options })
    }

    /// Queues an already resolved message.
    ///
    /// # Errors
    /// When Redis refuses the job.
    pub async fn dispatch(&self, message: Message) -> Result<(), QueueError> {
        let mut storage = self.storage.clone();
        storage
            .push(message)
            .await
            .map_err(|e| QueueError::Push(e.to_string()))
    }

    /// Resolves `event` now and queues it (nothing when `broadcast_when` says no).
    ///
    /// # Errors
    /// A payload that is not an object (as [`QueueError::Push`]) or Redis refusing the job.
    pub async fn dispatch_event<E: crate::ShouldBroadcast + Sync>(
        &self,
        pending: crate::PendingBroadcast<'_, E>,
    ) -> Result<(), QueueError> {
        match pending.message() {
            Ok(Some(message)) => self.dispatch(message).await,
            Ok(None) => Ok(()),
            Err(e) => Err(QueueError::Push(e.to_string())),
        }
    }

    /// The settings.
    #[must_use]
    pub fn options(&self) -> &QueueOptions {
        &self.options
    }
}

async fn deliver(message: Message, broadcaster: Data<Broadcaster>) -> Result<(), BoxDynError> {
    broadcaster.send(&message).await?;
    Ok(())
}

/// Runs a worker named `name` that broadcasts queued messages through `broadcaster` until
/// `shutdown` completes.
///
/// # Errors
/// What apalis reports when the worker cannot run.
///
/// # Panics
/// If the backoff settings are invalid (`backoff_min > backoff_max` or a zero maximum).
pub async fn worker(
    name: &str,
    queue: BroadcastQueue,
    broadcaster: Broadcaster,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), WorkerError> {
    let o = &queue.options;
    let backoff =
        ExponentialBackoffMaker::new(o.backoff_min, o.backoff_max, 0.1, HasherRng::default())
            .expect("valid backoff settings")
            .make_backoff();
    let storage = queue.storage.poll_with_interval(o.poll_interval);
    WorkerBuilder::new(name)
        .backend(storage)
        .data(broadcaster)
        .retry(BackoffRetryPolicy::new(o.retries, backoff))
        .build(deliver)
        .run_until(async move {
            shutdown.await;
            Ok::<(), WorkerError>(())
        })
        .await
}

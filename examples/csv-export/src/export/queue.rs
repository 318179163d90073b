//! Where export jobs wait: a Redis list when `REDIS_URL` is set (so jobs outlive the web process and
//! any number of workers can share them), else a bounded in-process channel. Chosen once at start
//! by [`connect`]; the web side only sees [`Queue::push`], the worker only [`Jobs::next`].

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncCommands, AsyncConnectionConfig};
use tokio::sync::mpsc;

use super::ExportJob;

/// The Redis list jobs are pushed to (right) and taken from (left).
pub const REDIS_KEY: &str = "csv-export:jobs";

/// How long one blocking pop waits before it is asked again; bounds how long shutdown waits.
const POP_WAIT_SECS: f64 = 1.0;

/// Jobs waiting in-process before `push` reports the queue full.
const IN_PROCESS_CAPACITY: usize = 1024;

/// Why a job could not be queued or taken.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("job is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the export queue is full")]
    Full,
    #[error("the export worker has stopped")]
    Closed,
}

/// The sending side, held by the web handlers.
#[derive(Clone)]
pub enum Queue {
    InProcess(mpsc::Sender<ExportJob>),
    Redis(MultiplexedConnection),
}

/// The receiving side, owned by the worker.
pub enum Jobs {
    InProcess(mpsc::Receiver<ExportJob>),
    /// A connection of its own, without a response timeout, because a blocking pop holds it.
    Redis(MultiplexedConnection),
}

/// Opens the queue named by `redis_url`, or an in-process one.
///
/// # Errors
/// When Redis cannot be reached.
pub async fn connect(redis_url: Option<&str>) -> Result<(Queue, Jobs), QueueError> {
    let Some(url) = redis_url else {
        let (tx, rx) = mpsc::channel(IN_PROCESS_CAPACITY);
        return Ok((Queue::InProcess(tx), Jobs::InProcess(rx)));
    };
    let client = redis::Client::open(url)?;
    let pushing = client.get_multiplexed_async_connection().await?;
    let blocking = AsyncConnectionConfig::new()
        .set_response_timeout(Some(Duration::from_secs_f64(POP_WAIT_SECS * 5.0)));
    let popping = client
        .get_multiplexed_async_connection_with_config(&blocking)
        .await?;
    Ok((Queue::Redis(pushing), Jobs::Redis(popping)))
}

impl Queue {
    /// Queues `job`.
    ///
    /// # Errors
    /// A full or stopped in-process queue, or a Redis error.
    pub async fn push(&self, job: ExportJob) -> Result<(), QueueError> {
        match self {
            Self::InProcess(tx) => tx.try_send(job).map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => QueueError::Full,
                mpsc::error::TrySendError::Closed(_) => QueueError::Closed,
            }),
            Self::Redis(conn) => {
                let body = serde_json::to_string(&job)?;
                conn.clone().rpush::<_, _, ()>(REDIS_KEY, body).await?;
                Ok(())
            }
        }
    }
}

impl Jobs {
    /// The next job, waiting for one; `None` once an in-process queue's senders are all gone.
    ///
    /// # Errors
    /// A Redis error or a job that does not parse (the caller logs it and asks again).
    pub async fn next(&mut self) -> Result<Option<ExportJob>, QueueError> {
        match self {
            Self::InProcess(rx) => Ok(rx.recv().await),
            Self::Redis(conn) => loop {
                let popped: Option<(String, String)> = conn.blpop(REDIS_KEY, POP_WAIT_SECS).await?;
                if let Some((_, body)) = popped {
                    return Ok(Some(serde_json::from_str(&body)?));
                }
            },
        }
    }
}

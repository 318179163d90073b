//! The open-loop publisher: publish `i` is due at `start + i / rate`, fixed in advance, and is sent
//! then whether or not earlier requests have been answered. A plain thread keeps the schedule (its
//! sleep is finer than tokio's 1 ms timer) and hands due sequence numbers to the runtime, which
//! signs and sends `POST /apps/{id}/events` (or, for laravel-echo-server, sends its unsigned
//! variant with `?auth_key=`, which takes the same route and `data`). Each payload carries its sequence number and its
//! *scheduled* time, so latency includes any lag of the harness itself (recorded separately).
//! The publisher has its own single-thread runtime on its own thread: sharing the subscribers'
//! runtime made a send wait behind a burst of deliveries (p99 lag ~1.5 ms at 10 pub/s).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crate::cli::PublishApi;
use crate::payload;
use crate::stats::{self, bump, counters};
use crate::target::{App, Target};

/// Requests in flight at once; past it, sending waits (and the wait shows up as lag).
const MAX_IN_FLIGHT: usize = 1024;

/// Signs and sends benchmark publishes.
pub struct Publisher {
    jobs: mpsc::UnboundedSender<Job>,
    next_seq: u64,
}

/// One phase for the publisher thread.
struct Job {
    rate: f64,
    count: u64,
    first_seq: u64,
    done: tokio::sync::oneshot::Sender<Published>,
}

/// What each request needs.
struct Sender {
    client: reqwest::Client,
    url: String,
    path: String,
    app: App,
    api: PublishApi,
    channel: String,
    payload_bytes: usize,
}

/// How one publishing phase went.
#[derive(Debug)]
pub struct Published {
    /// Publishes scheduled (and sent).
    pub sent: u64,
    /// Answered with 2xx.
    pub ok: u64,
    /// Failed or answered otherwise, by HTTP status (0: no response).
    pub errors: BTreeMap<u16, u64>,
    pub first_error: Option<String>,
    /// How late each request left compared with its schedule, µs.
    pub lag: Histogram<u64>,
    /// From sending each request to its response, µs.
    pub response: Histogram<u64>,
    pub secs: f64,
}

/// What the request tasks report back.
struct Outcomes {
    errors: BTreeMap<u16, u64>,
    first_error: Option<String>,
    response: Histogram<u64>,
}

type Errors = Arc<Mutex<Outcomes>>;

impl Publisher {
    /// A publisher to `channel` of the target's app.
    ///
    /// # Errors
    /// If the HTTP client cannot be built.
    pub fn new(target: &Target, channel: &str, payload_bytes: usize) -> anyhow::Result<Self> {
        let path = format!("/apps/{}/events", target.app.id);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        let sender = Sender {
            client: client(target)?,
            url: format!("{}{path}", target.http_base),
            path,
            app: target.app.clone(),
            api: target.publish_api,
            channel: channel.to_owned(),
            payload_bytes,
        };
        // The thread ends, dropping its runtime, when the publisher (its queue's sender) is dropped.
        std::thread::spawn(move || {
            runtime.block_on(async move {
                while let Some(job) = queue.recv().await {
                    let published = sender.phase(job.rate, job.count, job.first_seq).await;
                    let _ = job.done.send(published);
                }
            });
        });
        Ok(Self { jobs, next_seq: 0 })
    }

    /// The sequence number the next phase starts at.
    #[must_use]
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Publishes at `rate` per second for `duration`, then waits for every answer.
    pub async fn run(&mut self, rate: f64, duration: Duration) -> Published {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let count = (rate * duration.as_secs_f64()).round().max(1.0) as u64;
        let first_seq = self.next_seq;
        self.next_seq += count;
        let (done, published) = tokio::sync::oneshot::channel();
        let job = Job {
            rate,
            count,
            first_seq,
            done,
        };
        self.jobs
            .send(job)
            .expect("the publisher thread is running");
        published.await.expect("the publisher thread panicked")
    }
}

impl Sender {
    async fn phase(&self, rate: f64, count: u64, first_seq: u64) -> Published {
        let start = Instant::now() + Duration::from_millis(5);
        let start_us = micros(start.duration_since(stats::epoch()));
        let due = ticker(start, rate, count);
        let errors: Errors = Arc::new(Mutex::new(Outcomes {
            errors: BTreeMap::new(),
            first_error: None,
            response: stats::new_histogram(),
        }));
        let (lag, mut requests) = self.send_all(due, start_us, rate, first_seq, &errors).await;
        while requests.join_next().await.is_some() {}
        let outcomes = std::mem::replace(
            &mut *errors.lock().unwrap_or_else(PoisonError::into_inner),
            Outcomes {
                errors: BTreeMap::new(),
                first_error: None,
                response: stats::new_histogram(),
            },
        );
        let Outcomes {
            errors,
            first_error,
            response,
        } = outcomes;
        let failed: u64 = errors.values().sum();
        Published {
            sent: count,
            ok: count - failed,
            errors,
            first_error,
            lag,
            response,
            secs: start.elapsed().as_secs_f64(),
        }
    }

    async fn send_all(
        &self,
        mut due: mpsc::UnboundedReceiver<u64>,
        start_us: u64,
        rate: f64,
        first_seq: u64,
        errors: &Errors,
    ) -> (Histogram<u64>, JoinSet<()>) {
        let mut lag = stats::new_histogram();
        let mut requests = JoinSet::new();
        let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        while let Some(i) = due.recv().await {
            let permit = in_flight
                .clone()
                .acquire_owned()
                .await
                .expect("never closed");
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
            #[allow(clippy::cast_sign_loss)]
            let scheduled = start_us + (i as f64 * 1e6 / rate) as u64;
            lag.saturating_record(stats::now_micros().saturating_sub(scheduled).max(1));
            let request = self.request(first_seq + i, scheduled);
            let errors = errors.clone();
            requests.spawn(async move {
                let began = Instant::now();
                let outcome = send(request).await;
                drop(permit);
                let mut e = errors.lock().unwrap_or_else(PoisonError::into_inner);
                e.response.saturating_record(micros(began.elapsed()).max(1));
                if let Err((status, message)) = outcome {
                    bump(&counters().publish_errors);
                    *e.errors.entry(status).or_default() += 1;
                    e.first_error.get_or_insert(message);
                }
            });
            while requests.try_join_next().is_some() {}
        }
        (lag, requests)
    }

    fn request(&self, seq: u64, scheduled_us: u64) -> reqwest::RequestBuilder {
        let data = payload::data(seq, scheduled_us, self.payload_bytes);
        if self.api == PublishApi::Echo {
            // laravel-echo-server: the client's key in the query, no signature.
            return self
                .client
                .post(format!("{}?auth_key={}", self.url, self.app.key))
                .header("content-type", "application/json")
                .body(payload::echo_publish_body(&self.channel, &data));
        }
        let body = payload::publish_body(&self.channel, &data);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let query = resso_protocol::http_sig::signed_query(
            &self.app.key,
            &self.app.secret,
            "POST",
            &self.path,
            &[],
            body.as_bytes(),
            now,
        );
        self.client
            .post(format!("{}?{query}", self.url))
            .header("content-type", "application/json")
            .body(body)
    }
}

/// Sends one request; on failure, its status (0 for none) and a message.
async fn send(request: reqwest::RequestBuilder) -> Result<(), (u16, String)> {
    let response = request.send().await.map_err(|e| (0, format!("{e:#}")))?;
    let status = response.status();
    let body = response.bytes().await.unwrap_or_default();
    if status.is_success() {
        bump(&counters().published_ok);
        Ok(())
    } else {
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        Err((status.as_u16(), format!("HTTP {status}: {text}")))
    }
}

/// A thread that sends `0..count` through the channel, each at `start + i / rate`.
fn ticker(start: Instant, rate: f64, count: u64) -> mpsc::UnboundedReceiver<u64> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for i in 0..count {
            #[allow(clippy::cast_precision_loss)]
            let due = start + Duration::from_secs_f64(i as f64 / rate);
            wait_until(due, rate);
            if tx.send(i).is_err() {
                return;
            }
        }
    });
    rx
}

/// Sleeps until `due`; at low rates it spins through the last [`SPIN`], because waking a sleeping
/// (virtual) core costs a few hundred µs, which would show up as latency. The spin costs at most
/// `rate × SPIN` of a core (≤ 10 % at [`SPIN_MAX_RATE`]).
fn wait_until(due: Instant, rate: f64) {
    let spin = if rate <= SPIN_MAX_RATE {
        SPIN
    } else {
        Duration::ZERO
    };
    let now = Instant::now();
    if due > now + spin {
        std::thread::sleep(due - now - spin);
    }
    while Instant::now() < due {
        std::hint::spin_loop();
    }
}

/// How long before each send the ticker stops sleeping (at rates up to [`SPIN_MAX_RATE`]).
const SPIN: Duration = Duration::from_micros(300);
const SPIN_MAX_RATE: f64 = 330.0;

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// The publisher's HTTP client, speaking TLS as the subscribers do.
fn client(target: &Target) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(10));
    if let Some(tls) = &target.tls {
        builder = builder.use_preconfigured_tls((*tls.config).clone());
    }
    Ok(builder.build()?)
}

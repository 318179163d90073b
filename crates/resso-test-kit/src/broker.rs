//! [`Broker`]: a `redis-server` or `nats-server` process on a loopback port, which a test can kill
//! and start again on the same port. Used by the cluster tests (one broker linking the nodes) and
//! the single-server tests (Laravel's Redis, the Redis an app ingests from).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::{sleep, Instant};

use crate::process::{free_port, Proc};

/// Which broker links the nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Redis,
    Nats,
}

/// A broker on a fixed loopback port; can be killed and started again on the same port.
pub struct Broker {
    pub backend: Backend,
    pub port: u16,
    dir: PathBuf,
    starts: usize,
    proc: Option<Proc>,
    /// Whether `dir` is this broker's own, removed on drop.
    owns_dir: bool,
    /// A password clients must give (Redis `requirepass`; NATS user `resso`), in [`Self::url`].
    password: Option<String>,
}

static SCRATCH: AtomicUsize = AtomicUsize::new(0);

impl Broker {
    pub async fn start(backend: Backend, dir: &Path) -> Self {
        Self::start_with_password(backend, dir, None).await
    }

    /// A broker that refuses clients without `password` (when given).
    pub async fn start_with_password(backend: Backend, dir: &Path, password: Option<&str>) -> Self {
        let mut broker = Self {
            backend,
            port: free_port(),
            dir: dir.to_owned(),
            starts: 0,
            proc: None,
            owns_dir: false,
            password: password.map(str::to_owned),
        };
        broker.restart().await;
        broker
    }

    /// A `redis-server` of its own, in a fresh temporary directory removed on drop.
    pub async fn redis() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "resso-redis-{}-{}",
            std::process::id(),
            SCRATCH.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create the test directory");
        let mut broker = Self::start(Backend::Redis, &dir).await;
        broker.owns_dir = true;
        broker
    }

    /// `PUBLISH channel payload` on this Redis, as Laravel's broadcaster does; how many
    /// subscribers got it.
    pub async fn publish(
        &self,
        channel: &str,
        payload: impl AsRef<[u8]>,
    ) -> redis::RedisResult<i64> {
        assert_eq!(self.backend, Backend::Redis, "only Redis takes PUBLISH");
        let client = redis::Client::open(self.url())?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PUBLISH")
            .arg(channel)
            .arg(payload.as_ref())
            .query_async(&mut conn)
            .await
    }

    /// Publishes a harmless event on `channel` until at least `n` subscribers get it: proof that
    /// `n` servers have (re)subscribed.
    pub async fn await_subscribers(&self, channel: &str, n: i64) {
        let probe = r#"{"event":"probe","data":{},"socket":null}"#;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let got = self.publish(channel, probe).await.unwrap_or(0);
            if got >= n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{got} of {n} subscribers on {channel:?} after 15 s"
            );
            sleep(Duration::from_millis(20)).await;
        }
    }

    /// The directory its logs (and a test's files) go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The URL nodes are configured with.
    pub fn url(&self) -> String {
        let port = self.port;
        match (self.backend, &self.password) {
            (Backend::Redis, None) => format!("redis://127.0.0.1:{port}"),
            (Backend::Redis, Some(p)) => format!("redis://:{p}@127.0.0.1:{port}"),
            (Backend::Nats, None) => format!("nats://127.0.0.1:{port}"),
            (Backend::Nats, Some(p)) => format!("nats://resso:{p}@127.0.0.1:{port}"),
        }
    }

    /// Starts the broker (again) on its port and waits until it listens. On the first start a
    /// broker that exits at once (its port taken meanwhile) is started again on another port.
    pub async fn restart(&mut self) {
        assert!(self.proc.is_none(), "the broker is already running");
        for attempt in 1.. {
            if self.try_start().await {
                return;
            }
            let gone = self.proc.take();
            assert!(
                self.starts == attempt && attempt < 5,
                "{:?} broker exited on start; see {}",
                self.backend,
                self.dir.display()
            );
            drop(gone);
            self.port = free_port();
        }
    }

    /// One start: whether the process listens and is still running once it does.
    async fn try_start(&mut self) -> bool {
        let port = self.port.to_string();
        let (name, command) = match self.backend {
            Backend::Redis => {
                let mut c = Command::new("redis-server");
                c.args(["--port", &port, "--bind", "127.0.0.1", "--save", ""]);
                c.args(["--appendonly", "no", "--dir"]).arg(&self.dir);
                if let Some(password) = &self.password {
                    c.args(["--requirepass", password]);
                }
                ("redis-server", c)
            }
            Backend::Nats => {
                let mut c = Command::new("nats-server");
                c.args(["-a", "127.0.0.1", "-p", &port]);
                if let Some(password) = &self.password {
                    c.args(["--user", "resso", "--pass", password]);
                }
                ("nats-server", c)
            }
        };
        self.starts += 1;
        let log = self.dir.join(format!("{name}-{}.log", self.starts));
        let proc = self.proc.insert(Proc::spawn(name, command, &log, false));
        // Its own "ready" line, not a TCP connect: something else may listen on the port.
        let ready = match self.backend {
            Backend::Redis => "Ready to accept connections",
            Backend::Nats => "Server is ready",
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if !proc.alive() {
                return false;
            }
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains(ready) {
                return true;
            }
            assert!(Instant::now() < deadline, "{name} not ready on {port}");
            sleep(Duration::from_millis(20)).await;
        }
    }

    /// `kill -9` of the broker.
    pub fn kill(&mut self) {
        self.proc.take().expect("the broker is running").kill();
    }

    /// Kills the broker if it runs (printing its log when the test failed).
    pub fn stop(&mut self) {
        drop(self.proc.take());
    }

    pub fn process(&self) -> &Proc {
        self.proc.as_ref().expect("the broker is running")
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if self.owns_dir {
            self.stop();
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

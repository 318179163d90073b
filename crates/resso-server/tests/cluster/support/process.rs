//! Real processes: a `redis-server` or `nats-server` broker and Ressò nodes (the `resso` binary with a
//! temporary TOML config), each SIGKILLed and reaped on drop, so a panicking test leaves no orphan.
//! Their output goes to log files whose tails are printed when a test fails.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::time::{sleep, timeout, Instant};

/// Which broker links the nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Redis,
    Nats,
}

/// A child process, SIGKILLed and reaped when dropped.
pub struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(name: &str, mut command: Command, log: &Path, stdout: bool) -> Self {
        let file = File::create(log).expect("create a log file");
        let out = if stdout {
            Stdio::piped()
        } else {
            Stdio::from(file.try_clone().expect("clone the log file"))
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(Stdio::from(file))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
        }
    }

    /// `kill -9`, then reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends `signal` (`STOP`, `CONT`) with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill(1)");
        assert!(status.success(), "kill -{signal} {}", self.name);
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(40)..].join("\n");
            eprintln!(
                "--- {} ({}), last lines ---\n{tail}",
                self.name,
                self.log.display()
            );
        }
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local address").port()
}

/// Waits until something accepts TCP connections on `port`.
async fn await_listening(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "{what} not listening on {port}");
        sleep(Duration::from_millis(20)).await;
    }
}

/// A broker on a fixed loopback port; can be killed and started again on the same port.
pub struct Broker {
    pub backend: Backend,
    pub port: u16,
    dir: PathBuf,
    starts: usize,
    proc: Option<Proc>,
}

impl Broker {
    pub async fn start(backend: Backend, dir: &Path) -> Self {
        let mut broker = Self {
            backend,
            port: free_port(),
            dir: dir.to_owned(),
            starts: 0,
            proc: None,
        };
        broker.restart().await;
        broker
    }

    /// The URL nodes are configured with.
    pub fn url(&self) -> String {
        match self.backend {
            Backend::Redis => format!("redis://127.0.0.1:{}", self.port),
            Backend::Nats => format!("nats://127.0.0.1:{}", self.port),
        }
    }

    /// Starts the broker (again) on its port and waits until it listens.
    pub async fn restart(&mut self) {
        assert!(self.proc.is_none(), "the broker is already running");
        let port = self.port.to_string();
        let (name, command) = match self.backend {
            Backend::Redis => {
                let mut c = Command::new("redis-server");
                c.args(["--port", &port, "--bind", "127.0.0.1", "--save", ""]);
                c.args(["--appendonly", "no", "--dir"]).arg(&self.dir);
                ("redis-server", c)
            }
            Backend::Nats => {
                let mut c = Command::new("nats-server");
                c.args(["-a", "127.0.0.1", "-p", &port]);
                ("nats-server", c)
            }
        };
        self.starts += 1;
        let log = self.dir.join(format!("{name}-{}.log", self.starts));
        self.proc = Some(Proc::spawn(name, command, &log, false));
        await_listening(self.port, name).await;
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

/// App settings of the main test app, the same on every node.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub max_connections: Option<u64>,
    /// Webhook endpoint (all events).
    pub webhook: Option<String>,
    /// `subscription_count = true`.
    pub subscription_count: bool,
}

/// One Ressò node process.
pub struct Node {
    pub name: String,
    pub addr: SocketAddr,
    proc: Proc,
    alive: bool,
}

impl Node {
    /// Writes the config, starts `resso --config FILE --port 0` and reads the address it prints.
    pub async fn start(name: &str, dir: &Path, broker: &Broker, options: &Options) -> Self {
        let config = dir.join(format!("{name}.toml"));
        std::fs::write(&config, config_toml(broker, options)).expect("write the node config");
        let mut command = Command::new(env!("CARGO_BIN_EXE_resso"));
        command.arg("--config").arg(&config).args(["--port", "0"]);
        command.env("RESSO_LOG", "info,resso_server::cluster=debug");
        let inherited = [
            "RESSO_CONFIG",
            "RESSO_HOST",
            "RESSO_PORT",
            "REVERB_SERVER_HOST",
            "REVERB_SERVER_PORT",
            "REVERB_HOST",
            "REVERB_PORT",
            "REVERB_APP_ID",
            "REVERB_APP_KEY",
            "REVERB_APP_SECRET",
        ];
        for var in inherited {
            command.env_remove(var);
        }
        let log = dir.join(format!("{name}.log"));
        let mut proc = Proc::spawn(name, command, &log, true);
        let stdout = proc.child.stdout.take().expect("piped stdout");
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.find_map(|l| {
                let l = l.ok()?;
                let rest = l.strip_prefix("resso listening on http://")?;
                rest.split_whitespace().next()?.parse::<SocketAddr>().ok()
            });
            let _ = tx.send(first);
            lines.for_each(drop); // keep draining
        });
        let addr = timeout(Duration::from_secs(10), rx)
            .await
            .unwrap_or_else(|_| panic!("{name} did not print its address within 10 s"))
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("{name} exited without printing its address"));
        Self {
            name: name.to_owned(),
            addr,
            proc,
            alive: true,
        }
    }

    pub fn is_alive(&self) -> bool {
        self.alive
    }

    /// Whether the process is still running (it must not have crashed).
    pub fn running(&mut self) -> bool {
        self.alive && self.proc.alive()
    }

    /// `kill -9`.
    pub fn kill(&mut self) {
        self.proc.kill();
        self.alive = false;
    }
}

fn config_toml(broker: &Broker, options: &Options) -> String {
    use super::{MAIN, PROBE};
    let backend = match broker.backend {
        Backend::Redis => "redis",
        Backend::Nats => "nats",
    };
    let mut main_extra = String::new();
    if let Some(max) = options.max_connections {
        main_extra.push_str(&format!("max_connections = {max}\n"));
    }
    if options.subscription_count {
        main_extra.push_str("subscription_count = true\n");
    }
    if let Some(url) = &options.webhook {
        main_extra.push_str(&format!("webhooks = [{{ url = \"{url}\" }}]\n"));
    }
    format!(
        r#"
[server]
host = "127.0.0.1"
shutdown_timeout = 1

[server.webhooks]
grace_ms = 200
batch_window_ms = 20
retry_for_secs = 5

[[apps]]
id = "{}"
key = "{}"
secret = "{}"
client_events = true
{main_extra}
[[apps]]
id = "{}"
key = "{}"
secret = "{}"

[cluster]
backend = "{backend}"
url = "{}"
prefix = "test-"
heartbeat_ms = 200
node_timeout_ms = 1000
"#,
        MAIN.id,
        MAIN.key,
        MAIN.secret,
        PROBE.id,
        PROBE.key,
        PROBE.secret,
        broker.url()
    )
}

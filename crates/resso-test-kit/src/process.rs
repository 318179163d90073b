//! [`Proc`]: a real child process, SIGKILLed and reaped on drop so a panicking test leaves no
//! orphan, its output in a log file whose tail is printed when the test fails; and the loopback port
//! helpers the processes are started with.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::time::{sleep, Instant};

/// A child process, SIGKILLed and reaped when dropped.
pub struct Proc {
    name: String,
    pub child: Child,
    log: PathBuf,
}

impl Proc {
    /// Starts `command`, its stderr (and stdout unless `stdout`, which pipes it) into `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path, stdout: bool) -> Self {
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

    /// The address a `resso` started with piped stdout prints first (`resso listening on
    /// http://ADDR …`); the rest of its stdout is drained on a thread. Panics if it exits without
    /// printing one, or takes longer than ten seconds.
    pub async fn printed_address(&mut self) -> SocketAddr {
        let stdout = self.child.stdout.take().expect("piped stdout");
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
        let name = &self.name;
        tokio::time::timeout(Duration::from_secs(10), rx)
            .await
            .unwrap_or_else(|_| panic!("{name} did not print its address within 10 s"))
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("{name} exited without printing its address"))
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

/// A port nobody listens on right now, on every interface, from below the kernel's ephemeral range:
/// a port from inside it can be taken by any outgoing connection's local end before the process
/// given it binds (redis-server then exits with "Address already in use").
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let (low, span) = fixed_range();
    let start = std::process::id().wrapping_mul(7919);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = low + (start.wrapping_add(n.wrapping_mul(104_729)) % span) as u16;
        if std::net::TcpListener::bind(("0.0.0.0", port)).is_ok() {
            return port;
        }
    }
}

/// The ports below the ephemeral range: `(first, how many)`.
fn fixed_range() -> (u16, u32) {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32_768);
    let low = ephemeral_low.saturating_sub(12_000).max(1_024);
    (low, u32::from(ephemeral_low - low))
}

/// Waits until something accepts TCP connections on `port`.
pub async fn await_listening(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "{what} not listening on {port}");
        sleep(Duration::from_millis(20)).await;
    }
}

//! [`Proc`]: a real child process, SIGKILLed and reaped on drop so a panicking test leaves no
//! orphan, its output in a log file whose tail is printed when the test fails; and the loopback port
//! helpers the processes are started with.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local address").port()
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

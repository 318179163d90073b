//! The server under test: where it listens, its app credentials, and — when the harness starts it
//! — the child process (pinned with `taskset`, its port read from stdout, stopped with SIGTERM).
//! Only loopback addresses are accepted, so a run can never load another machine.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::cli::{Args, Protocol, PublishApi, Scenario};
use crate::tls::{self, ClientTls};

/// App credentials the harness uses.
#[derive(Debug, Clone)]
pub struct App {
    pub id: String,
    pub key: String,
    pub secret: String,
}

/// A reachable server.
pub struct Target {
    /// The subscribers' WebSocket URL for `--protocol`: `ws://host:port/app/{key}?protocol=7…`
    /// or `ws://host:port/socket.io/?EIO=3&transport=websocket`.
    pub ws_url: String,
    /// `ws://host:port`, for [`Target::url_for`].
    ws_base: String,
    sio_path: String,
    /// The HTTP API publishes go through.
    pub publish_api: PublishApi,
    /// TCP address of the WebSocket endpoint.
    pub ws_addr: SocketAddr,
    /// HTTP API base, e.g. `http://127.0.0.1:6001`.
    pub http_base: String,
    pub app: App,
    /// Pid whose CPU and RSS are measured.
    pub pid: Option<u32>,
    /// How clients speak TLS to it (`--tls`).
    pub tls: Option<Arc<ClientTls>>,
    child: Option<Child>,
    log: Option<std::path::PathBuf>,
    own: bool,
}

impl Target {
    /// Connects to the server named in `args`, starting it first if asked (or if none is named).
    ///
    /// # Errors
    /// A non-loopback address, a server that fails to start or never accepts connections.
    pub fn resolve(args: &Args) -> anyhow::Result<Self> {
        let app = App {
            id: args.app_id.clone(),
            key: args.app_key.clone(),
            secret: args.app_secret.clone(),
        };
        let own = args.ws_url.is_none() && args.server_cmd.is_none() && args.port.is_none();
        let (ws_scheme, http_scheme) = if args.tls {
            ("wss", "https")
        } else {
            ("ws", "http")
        };
        let (ws_base, pid, child, log) = if let Some(url) = &args.ws_url {
            (
                url.trim_end_matches('/').to_owned(),
                args.server_pid,
                None,
                None,
            )
        } else if args.server_cmd.is_some() || args.port.is_none() {
            let cmd = match &args.server_cmd {
                Some(cmd) => cmd.clone(),
                None => own_resso_command(&app, args.scenario, args.tls)?,
            };
            let (child, port, log) = spawn(&cmd, args)?;
            let url = format!("{ws_scheme}://{}:{port}", args.host);
            (url, Some(child.id()), Some(child), Some(log))
        } else {
            let port = args.port.unwrap_or_default();
            let url = format!("{ws_scheme}://{}:{port}", args.host);
            (url, args.server_pid, None, None)
        };
        let ws_addr = loopback_addr(&ws_base)?;
        let http_base = match &args.http_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("{http_scheme}://{ws_addr}"),
        };
        loopback_addr(&http_base)?;
        let mut target = Self {
            ws_url: String::new(),
            ws_base,
            sio_path: args.sio_path.trim_end_matches('/').to_owned(),
            publish_api: args.publish_api,
            ws_addr,
            http_base,
            app,
            pid,
            tls: client_tls(args, own)?,
            child,
            log,
            own,
        };
        target.ws_url = target.url_for(args.protocol);
        if let Err(e) = wait_until_accepting(ws_addr, Duration::from_secs(20)) {
            target.stop();
            return Err(e);
        }
        Ok(target)
    }

    /// The subscribers' WebSocket URL for `protocol` (the websocket transport straight away for
    /// Socket.IO, as `transports: ['websocket']` clients do).
    #[must_use]
    pub fn url_for(&self, protocol: Protocol) -> String {
        let (base, path) = (&self.ws_base, &self.sio_path);
        match protocol {
            Protocol::Pusher => format!(
                "{base}/app/{}?protocol=7&client=js&version=8.4.0&flash=false",
                self.app.key
            ),
            Protocol::Sio3 => format!("{base}{path}/?EIO=3&transport=websocket"),
            Protocol::Sio4 => format!("{base}{path}/?EIO=4&transport=websocket"),
        }
    }

    /// Whether the server is the `resso` the harness started itself (which serves every protocol).
    #[must_use]
    pub fn is_own_resso(&self) -> bool {
        self.own
    }

    /// Stops a server the harness started (SIGTERM, then SIGKILL after 10 s).
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("server did not stop after SIGTERM; killing it");
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Where the started server's stderr went.
    #[must_use]
    pub fn log_path(&self) -> Option<&std::path::Path> {
        self.log.as_deref()
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        self.stop();
        if self.own && self.tls.is_some() {
            let _ = std::fs::remove_dir_all(own_certificates());
        }
    }
}

/// Where the harness keeps the certificates it makes for its own Ressò.
fn own_certificates() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("resso-bench-tls-{}", std::process::id()))
}

/// The clients' TLS settings for `--tls`.
fn client_tls(args: &Args, own: bool) -> anyhow::Result<Option<Arc<ClientTls>>> {
    if !args.tls {
        return Ok(None);
    }
    let tls = match (&args.tls_ca, args.tls_insecure) {
        (Some(ca), _) => ClientTls::trusting(ca, &args.host)?,
        (None, true) => ClientTls::insecure(&args.host)?,
        (None, false) if own => {
            ClientTls::trusting(&own_certificates().join("ca.pem"), &args.host)?
        }
        (None, false) => bail!(
            "--tls with a server the harness did not start needs --tls-ca FILE or --tls-insecure"
        ),
    };
    Ok(Some(Arc::new(tls)))
}

/// Extra `[server]` settings of the harness's own Ressò for `scenario`.
fn server_lines(scenario: Scenario) -> &'static str {
    if scenario == Scenario::Soak {
        crate::soak::SERVER_CONFIG
    } else {
        ""
    }
}

/// The soak's Socket.IO churners drop their transport without a DISCONNECT, as a closed tab does:
/// with recovery on, each session waits out the window. A short window and history let the soak
/// see those sessions and histories expire and its memory come back within its run.
fn socketio_lines(scenario: Scenario) -> &'static str {
    if scenario == Scenario::Soak {
        "recovery_window = 3000\nrecovery_max_bytes = 65536\n"
    } else {
        ""
    }
}

/// The `resso` binary next to this executable, with a config file for `app` on a free port and
/// the `[server]` settings of `scenario` (hostile: bench/hostile.toml as it is).
fn own_resso_command(app: &App, scenario: Scenario, tls: bool) -> anyhow::Result<String> {
    let exe = std::env::current_exe().context("cannot find the harness executable")?;
    let resso = exe.with_file_name("resso");
    if !resso.exists() {
        bail!(
            "no server given and {} does not exist: build it (cargo build --release -p resso-server) \
             or pass --ws-url/--port/--server-cmd",
            resso.display()
        );
    }
    let config = std::env::temp_dir().join(format!("resso-bench-{}.toml", std::process::id()));
    let mut file = std::fs::File::create(&config).context("cannot write the server config")?;
    if scenario == Scenario::Hostile {
        file.write_all(crate::hostile::SERVER_CONFIG.as_bytes())?;
    } else {
        writeln!(
            file,
            "[server]\nport = 0\n{}[[apps]]\nid = {:?}\nkey = {:?}\nsecret = {:?}\n\
             client_events = true\n[apps.socketio]\n{}",
            server_lines(scenario),
            app.id,
            app.key,
            app.secret,
            socketio_lines(scenario)
        )?;
    }
    let mut env = String::from("RESSO_LOG=warn");
    if tls {
        let dir = own_certificates();
        tls::make_certificates(&dir)?;
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        env += &format!(
            " RESSO_TLS_CERT='{}' RESSO_TLS_KEY='{}'",
            cert.display(),
            key.display()
        );
    }
    Ok(format!(
        "env {env} '{}' --config '{}'",
        resso.display(),
        config.display()
    ))
}

/// Starts `cmd` (pinned unless `--no-pin`); returns the child, its port and its stderr log path.
fn spawn(cmd: &str, args: &Args) -> anyhow::Result<(Child, u16, std::path::PathBuf)> {
    let pin = if args.no_pin {
        String::new()
    } else {
        format!("taskset -c {} ", args.server_core)
    };
    // `exec` twice over (sh, then taskset) keeps the pid: the one we measure is the server's.
    let script = format!("exec {pin}{cmd}");
    let log = std::env::temp_dir().join(format!("resso-bench-server-{}.log", std::process::id()));
    let stderr = std::fs::File::create(&log).context("cannot create the server log")?;
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("cannot start {script:?}"))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Keep reading to the end so the server never blocks on a full pipe.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(port) = port_in(&line) {
                let _ = tx.send(port);
            }
        }
    });
    let port = match args.port {
        Some(port) => port,
        None => rx.recv_timeout(Duration::from_secs(20)).map_err(|_| {
            let _ = child.kill();
            anyhow::anyhow!(
                "the server printed no port within 20 s (pass --port); its stderr is in {}",
                log.display()
            )
        })?,
    };
    Ok((child, port, log))
}

/// The port of the first `scheme://host:port` in a line of server output.
fn port_in(line: &str) -> Option<u16> {
    let after = &line[line.find("://")? + 3..];
    let hostport = after.split(['/', ' ', ')']).next()?;
    hostport.rsplit_once(':')?.1.parse().ok()
}

/// The socket address of a URL, which must be on loopback.
pub fn loopback_addr(url: &str) -> anyhow::Result<SocketAddr> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let hostport = rest.split('/').next().unwrap_or(rest);
    let addr = hostport
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {hostport:?} (want host:port)"))?
        .next()
        .with_context(|| format!("no address for {hostport:?}"))?;
    if !addr.ip().is_loopback() {
        bail!("{url} is not a loopback address: the harness only loads this machine");
    }
    Ok(addr)
}

fn wait_until_accepting(addr: SocketAddr, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("nothing accepts connections on {addr}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_port_in_resso_banner() {
        let line =
            "resso listening on http://127.0.0.1:41234 (WebSocket ws://127.0.0.1:41234/app/{key})";
        assert_eq!(port_in(line), Some(41234));
        assert_eq!(port_in("no url here"), None);
    }

    #[test]
    fn rejects_remote_hosts() {
        assert!(loopback_addr("ws://127.0.0.1:6001").is_ok());
        assert!(loopback_addr("http://10.1.2.3:80").is_err());
    }
}

//! The `resso` binary: parse flags, load configuration, read the TLS certificate if any, set up
//! logging, bind, and call [`resso_server::serve_reloading`] until SIGINT or SIGTERM (a SIGHUP loads
//! the configuration again and hands it over); or, as
//! `resso config check`, print the effective configuration and where each value came from.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use resso_server::config::{self, Config, HeldEnv, Loaded, ProcessEnv, Sources};
use resso_server::tls::Tls;
use resso_server::Listeners;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// Ressò: a Pusher-protocol real-time broadcasting server.
#[derive(Debug, Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(flatten)]
    sources: SourceArgs,
    /// How log lines are written: `text` for people, `json` (one object a line) for collectors.
    #[arg(long, value_enum, env = "RESSO_LOG_FORMAT", default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Inspect the configuration without starting the server.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration (secrets masked), where each value came from (default,
    /// file, env VAR, flag) and every warning; exit non-zero with the error if it is invalid.
    Check(SourceArgs),
}

/// Where the configuration comes from.
#[derive(Debug, Args)]
struct SourceArgs {
    /// TOML configuration file (optional: without one, a development app is made on a loopback
    /// address).
    #[arg(
        long,
        short,
        env = "RESSO_CONFIG",
        conflicts_with = "laravel_echo_server"
    )]
    config: Option<String>,
    /// Serve an unchanged laravel-echo-server.json instead (a `.env` beside it is read first, for its
    /// `LARAVEL_ECHO_SERVER_*` overrides).
    #[arg(long, value_name = "FILE")]
    laravel_echo_server: Option<String>,
    /// A `.env` file to read first (a Laravel app's, for its `REVERB_*` settings, or Soketi's
    /// `SOKETI_*`); variables already set in the environment win.
    #[arg(long)]
    env_file: Option<String>,
    /// Address to listen on [default: 127.0.0.1, or 0.0.0.0 with Reverb's or Soketi's environment;
    /// env RESSO_HOST, REVERB_SERVER_HOST, SOKETI_HOST].
    #[arg(long)]
    host: Option<String>,
    /// Port to listen on, 0 for any free one [default: 8080, or 6001 with Soketi's environment;
    /// env RESSO_PORT, REVERB_SERVER_PORT, SOKETI_PORT].
    #[arg(long)]
    port: Option<u16>,
    /// Log every connection opened and closed (with its code), subscription, refusal (with why),
    /// client event, API call and published event [env SOKETI_DEBUG; laravel-echo-server's
    /// devMode].
    #[arg(long)]
    debug: bool,
}

/// The `.env` files to read, in order: `--env-file`, and the one beside a laravel-echo-server.json.
fn env_files(args: &SourceArgs) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = args.env_file.iter().map(PathBuf::from).collect();
    if let Some(path) = &args.laravel_echo_server {
        let beside = Path::new(path).with_file_name(".env");
        if beside.is_file() {
            files.push(beside);
        }
    }
    files
}

fn sources(args: &SourceArgs) -> Sources {
    Sources {
        config: args.config.clone(),
        laravel_echo_server: args.laravel_echo_server.clone(),
        host: args.host.clone(),
        port: args.port,
        debug: args.debug,
    }
}

/// Reads the `.env` files named into the environment, then every source of configuration.
fn load(args: &SourceArgs) -> anyhow::Result<Loaded> {
    for path in env_files(args) {
        dotenvy::from_path(&path).with_context(|| format!("cannot read {}", path.display()))?;
    }
    Ok(config::load(&sources(args), &ProcessEnv)?)
}

/// Loads the configuration again from the same sources, for a reload: the files are read anew,
/// over the process environment as it was before any env file.
fn reload(args: &SourceArgs, process: &HeldEnv) -> anyhow::Result<Config> {
    let mut env = process.clone();
    for path in env_files(args) {
        env = env.with_file(&path)?;
    }
    Ok(config::load(&sources(args), &env)?.config)
}

fn main() -> std::process::ExitCode {
    let process = HeldEnv::from_process();
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Some(Command::Config(ConfigCommand::Check(args))) => load(args).and_then(|loaded| {
            tls(&loaded.config)?;
            print!("{}", config::report::render(&loaded));
            Ok(())
        }),
        None => load(&cli.sources).and_then(|loaded| {
            let sources = cli.sources;
            let reload = Box::new(move || reload(&sources, &process));
            start(loaded, cli.log_format, reload)
        }),
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("resso: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The certificate of `[server.tls]`, read and checked; `None` without TLS.
fn tls(config: &Config) -> anyhow::Result<Option<Tls>> {
    Ok(config.server.tls.as_ref().map(Tls::load).transpose()?)
}

/// Reads the certificate, sets up logging, logs the warnings and serves until a signal.
fn start(loaded: Loaded, format: LogFormat, reload: Reload) -> anyhow::Result<()> {
    let tls = tls(&loaded.config)?;
    if let Some(app) = loaded.development_app() {
        say(format_args!(
            "No app configured: using the development app id={} key={} secret={}\n",
            app.id, app.key, app.secret
        ));
    }
    let default = if loaded.verbose {
        "info,resso_server=debug"
    } else {
        "info"
    };
    let filter = EnvFilter::try_from_env("RESSO_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(serve(loaded.config, tls, reload))
}

/// Pending connections the kernel may hold for us; tokio's default of 1024 overflows under a burst
/// of reconnecting clients (each overflow costs that client a 1 s SYN retransmit). The kernel caps
/// it at `net.core.somaxconn`.
const BACKLOG: u32 = 8192;

async fn listen(addr: (&str, u16)) -> std::io::Result<tokio::net::TcpListener> {
    let mut last = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(addr).and_then(|()| socket.listen(BACKLOG)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("the host resolves to no address")))
}

async fn bind(host: &str, port: u16) -> anyhow::Result<tokio::net::TcpListener> {
    listen((host, port))
        .await
        .with_context(|| format!("cannot listen on {host}:{port}"))
}

/// Binds `server.port` (TLS when `tls` is given) and the plain port beside it, and says where.
async fn bind_all(config: &Config, tls: Option<Tls>) -> anyhow::Result<Listeners> {
    let host = config.server.host.as_str();
    let main = bind(host, config.server.port).await?;
    let local = main.local_addr()?;
    let plain_port = config.server.tls.as_ref().and_then(|t| t.plain_port);
    let plain = match plain_port {
        Some(port) => Some(bind(host, port).await?),
        None => None,
    };
    if tls.is_some() {
        say(format_args!(
            "resso listening on https://{local} (WebSocket wss://{local}/app/{{key}})\n"
        ));
    } else {
        say(format_args!(
            "resso listening on http://{local} (WebSocket ws://{local}/app/{{key}})\n"
        ));
    }
    say(format_args!(
        "{}",
        resso_server::banner(config, local, tls.is_some())
    ));
    if let Some(plain) = &plain {
        let local = plain.local_addr()?;
        say(format_args!(
            "resso listening on http://{local} (WebSocket ws://{local}/app/{{key}}), without TLS\n"
        ));
    }
    Ok(Listeners { main, tls, plain })
}

/// Writes to standard output, flushed; a closed one (its reader went away, as a test harness or
/// `| head` does once it has the address) must not stop the server, as `println!` would.
fn say(text: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_fmt(text).and_then(|()| out.flush());
}

/// Loads the configuration again (SIGHUP).
type Reload = Box<dyn Fn() -> anyhow::Result<Config> + Send>;

async fn serve(config: Config, tls: Option<Tls>, reload: Reload) -> anyhow::Result<()> {
    let listeners = bind_all(&config, tls).await?;
    let drain = Duration::from_secs(config.server.drain_seconds);
    let grace = drain + Duration::from_secs(config.server.shutdown_timeout);
    let shutdown = CancellationToken::new();
    let (reloads, rx) = tokio::sync::mpsc::channel(1);
    tokio::spawn(reload_on_hangup(reload, reloads)?);
    let server = resso_server::serve_reloading(listeners, config, shutdown.clone(), rx);
    let mut server = tokio::spawn(server);
    let mut signals = Signals::new()?;
    tokio::select! {
        () = signals.next() => {}
        // A server that fails to start (its app store's TLS, its metrics port) ends at once.
        joined = &mut server => {
            return joined.context("server task failed")?.context("server failed");
        }
    }
    tracing::info!(
        "shutting down: draining clients with 4200 over {drain:?}; a second signal exits at once"
    );
    shutdown.cancel();
    tokio::select! {
        finished = tokio::time::timeout(grace, server) => match finished {
            Ok(joined) => joined
                .context("server task failed")?
                .context("server failed")?,
            Err(_) => tracing::warn!("connections still open after {grace:?}; exiting anyway"),
        },
        () = signals.next() => tracing::warn!("second signal: exiting without waiting"),
    }
    Ok(())
}

/// On each SIGHUP, loads the configuration again and hands it to the server; one that does not
/// load is refused whole, logged, and the running one keeps serving.
fn reload_on_hangup(
    reload: Reload,
    reloads: tokio::sync::mpsc::Sender<Config>,
) -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangup = signal(SignalKind::hangup()).context("cannot handle SIGHUP")?;
    Ok(async move {
        while hangup.recv().await.is_some() {
            match reload() {
                Ok(config) => {
                    if reloads.send(config).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::error!("SIGHUP: configuration refused, the running one stays: {e:#}")
                }
            }
        }
    })
}

/// SIGINT and SIGTERM, however many arrive.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        let int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        Ok(Self { term, int })
    }

    async fn next(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

//! The `resso` binary: parse flags, load configuration, set up logging, bind, and call
//! [`resso_server::run`] until SIGINT or SIGTERM.

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use resso_server::config::{Config, EchoServer, ProcessEnv};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// Ressò: a Pusher-protocol real-time broadcasting server.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// TOML configuration file (optional: without one, a development app is made).
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
    /// A `.env` file to read first (a Laravel app's, for its `REVERB_*` settings); variables already
    /// set in the environment win.
    #[arg(long)]
    env_file: Option<String>,
    /// Address to listen on [default: 127.0.0.1; env RESSO_HOST, REVERB_SERVER_HOST, REVERB_HOST].
    #[arg(long)]
    host: Option<String>,
    /// Port to listen on, 0 for any free one [default: 8080; env RESSO_PORT, REVERB_SERVER_PORT, REVERB_PORT].
    #[arg(long)]
    port: Option<u16>,
}

/// A loaded configuration and what to log once logging is set up.
struct Loaded {
    config: Config,
    /// laravel-echo-server's `devMode`: debug logs unless `RESSO_LOG` says otherwise.
    verbose: bool,
    warnings: Vec<String>,
}

fn load(cli: &Cli) -> anyhow::Result<Loaded> {
    if let Some(path) = &cli.env_file {
        dotenvy::from_path(path).with_context(|| format!("cannot read env file {path}"))?;
    }
    let (mut config, verbose, warnings) = match (&cli.config, &cli.laravel_echo_server) {
        (_, Some(path)) => {
            let env_file = std::path::Path::new(path).with_file_name(".env");
            if env_file.is_file() {
                dotenvy::from_path(&env_file)
                    .with_context(|| format!("cannot read {}", env_file.display()))?;
            }
            let echo = EchoServer::from_file(path, &ProcessEnv)?;
            (echo.config, echo.dev_mode, echo.warnings)
        }
        (Some(path), None) => (Config::from_file(path)?, false, Vec::new()),
        (None, None) => (Config::default(), false, Vec::new()),
    };
    config.apply_env(&ProcessEnv)?;
    if let Some(host) = &cli.host {
        config.server.host.clone_from(host);
    }
    if let Some(port) = cli.port {
        config.server.port = port;
    }
    if config.ensure_app() {
        let app = &config.apps[0];
        println!(
            "No app configured: using the development app id={} key={} secret={}",
            app.id, app.key, app.secret
        );
    }
    config.validate()?;
    Ok(Loaded {
        config,
        verbose,
        warnings,
    })
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let outcome = load(&cli).and_then(|loaded| {
        let default = if loaded.verbose {
            "info,resso_server=debug"
        } else {
            "info"
        };
        let filter =
            EnvFilter::try_from_env("RESSO_LOG").unwrap_or_else(|_| EnvFilter::new(default));
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
        for warning in &loaded.warnings {
            tracing::warn!("laravel-echo-server.json: {warning}");
        }
        let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        runtime.block_on(serve(loaded.config))
    });
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("resso: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
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

async fn serve(config: Config) -> anyhow::Result<()> {
    let addr = (config.server.host.as_str(), config.server.port);
    let listener = listen(addr)
        .await
        .with_context(|| format!("cannot listen on {}:{}", addr.0, addr.1))?;
    let local = listener.local_addr()?;
    println!("resso listening on http://{local} (WebSocket ws://{local}/app/{{key}})");
    let grace = Duration::from_secs(config.server.shutdown_timeout);
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(resso_server::run(listener, config, shutdown.clone()));
    wait_for_signal().await;
    tracing::info!("shutting down: closing connections with 4200");
    shutdown.cancel();
    match tokio::time::timeout(grace, server).await {
        Ok(joined) => joined
            .context("server task failed")?
            .context("server failed")?,
        Err(_) => tracing::warn!("connections still open after {grace:?}; exiting anyway"),
    }
    Ok(())
}

async fn wait_for_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

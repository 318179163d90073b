//! `cargo run --release -p csv-export`: reads the environment, starts the app, prints where to
//! open it and the demo logins, and serves until Ctrl-C.

use anyhow::Context;
use csv_export::settings::Settings;
use csv_export::{seed, App};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,resso_server=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let settings = Settings::from_env(env)?;
    let port = settings.port;
    let shutdown = CancellationToken::new();
    // Bound first: the in-process Ressò needs the app's address to ask it about channels.
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port} (set PORT)"))?;
    let addr = listener.local_addr()?;
    let app = App::start(settings, &env, addr, shutdown.clone()).await?;
    banner(&app, addr);
    tokio::spawn(async move {
        // If the signal handler cannot be installed, Ctrl-C still ends the process the default way.
        if tokio::signal::ctrl_c().await.is_ok() {
            shutdown.cancel();
        }
    });
    app.serve(listener).await?;
    Ok(())
}

fn banner(app: &App, addr: std::net::SocketAddr) {
    println!("CSV export demo: open http://{addr}/");
    for (_, email, _) in seed::USERS {
        println!("  log in as {email} / {}", seed::PASSWORD);
    }
    if let Some(resso) = app.embedded_resso {
        println!("  broadcasting through the embedded Ressò on {resso}");
        println!("  the page with Echo's socket.io connector: http://{addr}/?connector=socket.io");
    }
    if let Some(dir) = app.mail_dir() {
        println!("  mails are written to {}", dir.display());
    }
}

//! `cargo run -p chat`: the broadcaster from the environment (`BROADCAST_CONNECTION=reverb` and
//! `REVERB_*`, as a Laravel app has them), then the app on `PORT` (default 8001) until Ctrl-C.

use anyhow::Context;
use resso_broadcasting::Broadcaster;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let broadcaster = Broadcaster::from_env().await?;
    if broadcaster.pusher().is_none() {
        anyhow::bail!("set BROADCAST_CONNECTION=reverb (or pusher) and REVERB_*: the page needs a Pusher-protocol server");
    }
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse().context("PORT must be a port number")?,
        Err(_) => 8001,
    };
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port} (set PORT)"))?;
    println!("chat: open http://{}/", listener.local_addr()?);
    let app = chat::routes::router(chat::AppState::new(broadcaster));
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            // If the handler cannot be installed, Ctrl-C still ends the process the default way.
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

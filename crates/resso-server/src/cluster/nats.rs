//! The NATS broker: core pub/sub on the subject `{prefix}resso-cluster`. The client library
//! reconnects by itself; this module turns its connection events into the link's rules — while
//! disconnected nothing is published (no stale deltas), and on reconnect the node announces itself
//! again with a fresh snapshot.

use async_nats::{ConnectOptions, Event, ServerAddr};
use futures_util::StreamExt;
use percent_encoding::percent_decode_str;
use tokio::sync::mpsc;

use super::link::{BrokerSession, LinkError};

/// Serves the NATS connection until shutdown (`Ok`) or a failure to connect (`Err`).
pub async fn serve(
    url: &str,
    subject: &str,
    mut session: BrokerSession<'_>,
) -> Result<(), LinkError> {
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let options = with_credentials(ConnectOptions::new(), url)
        .retry_on_initial_connect()
        .event_callback(move |event| {
            let tx = events_tx.clone();
            async move {
                let _ = tx.send(event);
            }
        });
    let client = options.connect(url).await?;
    let mut messages = client.subscribe(subject.to_owned()).await?;
    let mut up = false;
    loop {
        tokio::select! {
            () = session.shutdown.cancelled() => {
                let _ = client.publish(subject.to_owned(), session.bye().into()).await;
                let _ = client.flush().await;
                return Ok(());
            }
            Some(event) = events.recv() => match event {
                Event::Connected => {
                    up = true;
                    tracing::info!("cluster: connected to nats, subject {subject:?}");
                    client.publish(subject.to_owned(), session.hello().into()).await?;
                }
                Event::Disconnected => {
                    up = false;
                    session.answers.traffic.reconnecting();
                    tracing::warn!("cluster: nats disconnected; serving local clients, reconnecting");
                }
                other => tracing::debug!("cluster: nats event {other}"),
            },
            msg = messages.next() => {
                let msg = msg.ok_or(LinkError::Closed)?;
                session.inbound(&msg.payload);
            }
            Some(wire) = session.outbound.recv() => {
                if up {
                    client.publish(subject.to_owned(), session.outgoing(&wire).into()).await?;
                }
            }
        }
    }
}

/// The credentials of `url` (`nats://user:password@host`, or a token as `nats://token@host`): the
/// client library reads the host from the URL but not these.
fn with_credentials(options: ConnectOptions, url: &str) -> ConnectOptions {
    let Ok(addr) = url.parse::<ServerAddr>() else {
        return options; // the connect reports the bad URL
    };
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    match (addr.username().map(decode), addr.password().map(decode)) {
        (Some(user), Some(password)) => options.user_and_password(user, password),
        (Some(token), None) => options.token(token),
        _ => options,
    }
}

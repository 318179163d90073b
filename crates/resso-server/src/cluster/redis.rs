//! The Redis pub/sub broker: one connection publishes, one subscribes to the cluster channel
//! (`{prefix}resso-cluster`). A dropped subscription or a failed publish ends the session, and the
//! link reconnects. Works with Redis 6 and 7; credentials and TLS come from the URL.

use futures_util::StreamExt;
use redis::AsyncCommands;

use super::link::{BrokerSession, LinkError};

/// Serves one broker session until shutdown (`Ok`) or a broker failure (`Err`).
pub async fn serve(
    url: &str,
    channel: &str,
    mut session: BrokerSession<'_>,
) -> Result<(), LinkError> {
    let client = redis::Client::open(url)?;
    let mut publisher = client.get_multiplexed_async_connection().await?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    let mut messages = pubsub.on_message();
    let hello = session.hello();
    let () = publisher.publish(channel, hello).await?;
    tracing::info!("cluster: connected to redis, channel {channel:?}");
    loop {
        tokio::select! {
            () = session.shutdown.cancelled() => {
                let _: Result<(), _> = publisher.publish(channel, session.bye()).await;
                return Ok(());
            }
            msg = messages.next() => {
                let msg = msg.ok_or(LinkError::Closed)?;
                session.inbound(msg.get_payload_bytes());
            }
            Some(wire) = session.outbound.recv() => {
                let () = publisher.publish(channel, session.outgoing(&wire)).await?;
            }
        }
    }
}

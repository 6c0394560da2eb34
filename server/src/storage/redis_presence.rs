//! The presence bus on Redis pub/sub: each loaded room subscribes to its room's channel, and
//! publishes its members' presence there. Pub/sub keeps nothing, which suits presence: a
//! message missed during a reconnect is healed by the next renewal (every 15 s).

use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::redis::RedisStorage;
use super::StorageError;
use crate::bus::{PresenceBus, PresenceMessage, PresenceSubscription};
use crate::room_id::RoomId;

/// Presence messages queued for a room before further ones are dropped; a room that far
/// behind is busy, and presence renews itself.
const QUEUE: usize = 256;
/// How long opening a subscription may take.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(5);
/// First wait before resubscribing after the connection was lost; doubled up to the maximum.
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

#[async_trait]
impl PresenceBus for RedisStorage {
    async fn publish(&self, room: &RoomId, message: PresenceMessage) -> Result<(), StorageError> {
        let mut conn = self.commands();
        redis::cmd("PUBLISH")
            .arg(self.presence_channel(room))
            .arg(message.encode())
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }

    async fn subscribe(&self, room: &RoomId) -> Result<PresenceSubscription, StorageError> {
        let channel = self.presence_channel(room);
        let client = self.pubsub_client();
        let pubsub = subscribe(&client, &channel).await?;
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(relay(client, channel, pubsub, tx));
        Ok(rx)
    }
}

async fn subscribe(
    client: &redis::Client,
    channel: &str,
) -> Result<redis::aio::PubSub, StorageError> {
    let subscribing = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        Ok::<_, StorageError>(pubsub)
    };
    tokio::time::timeout(SUBSCRIBE_TIMEOUT, subscribing)
        .await
        .map_err(|_| StorageError::Unanswered(SUBSCRIBE_TIMEOUT))?
}

/// Hands the channel's messages to the room until the room drops its end, resubscribing
/// whenever the connection is lost.
async fn relay(
    client: redis::Client,
    channel: String,
    mut pubsub: redis::aio::PubSub,
    tx: mpsc::Sender<PresenceMessage>,
) {
    loop {
        {
            let mut messages = pubsub.on_message();
            loop {
                let message = tokio::select! {
                    _ = tx.closed() => return,
                    message = messages.next() => message,
                };
                let Some(message) = message else { break };
                match PresenceMessage::decode(message.get_payload_bytes()) {
                    Ok(presence) => {
                        if tx.try_send(presence).is_err() {
                            debug!(channel = %channel, "presence message dropped: room busy");
                        }
                    }
                    Err(e) => warn!(channel = %channel, error = %e, "unreadable presence message"),
                }
            }
        }
        let mut backoff = RETRY_FIRST;
        pubsub = loop {
            tokio::select! {
                _ = tx.closed() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            match subscribe(&client, &channel).await {
                Ok(pubsub) => break pubsub,
                Err(e) => {
                    warn!(channel = %channel, error = %e, retry_in = ?backoff, "presence subscription lost");
                    backoff = (backoff * 2).min(RETRY_MAX);
                }
            }
        };
    }
}

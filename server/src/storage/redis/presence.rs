//! The room bus on Redis pub/sub: each loaded room subscribes to its room's channel, and
//! publishes its members' presence (and nodes their session changes) there. Pub/sub keeps nothing, which suits presence: a
//! message missed during a reconnect is healed by the next renewal (every 15 s).

use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::RedisStorage;
use crate::bus::{BusError, BusEvent, BusMessage, BusSubscription, RoomBus};
use crate::retry::Backoff;
use crate::room_id::RoomId;
use crate::storage::{Result, StorageError};

/// Presence messages queued for a room before further ones are dropped; a room that far
/// behind is busy, and presence renews itself.
const QUEUE: usize = 256;
/// How long opening a subscription may take.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(5);

#[async_trait]
impl RoomBus for RedisStorage {
    async fn publish(&self, room: &RoomId, message: BusMessage) -> Result<(), BusError> {
        let mut conn = self.commands();
        redis::cmd("PUBLISH")
            .arg(self.presence_channel(room))
            .arg(message.encode())
            .query_async::<()>(&mut conn)
            .await
            .map_err(|e| BusError::Unavailable(StorageError::from(e).to_string()))
    }

    /// Never fails: a task of its own makes the subscription, and makes it again after every
    /// disconnect, so a room loaded while Redis is away hears the other nodes once it is back.
    async fn subscribe(&self, room: &RoomId) -> Result<BusSubscription, BusError> {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(relay(self.clone(), self.presence_channel(room), tx));
        Ok(rx)
    }
}

async fn subscribe(store: &RedisStorage, channel: &str) -> Result<redis::aio::PubSub> {
    let subscribing = async {
        let mut pubsub = store.pubsub_client().await?.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        Ok::<_, StorageError>(pubsub)
    };
    tokio::time::timeout(SUBSCRIBE_TIMEOUT, subscribing)
        .await
        .map_err(|_| StorageError::Unanswered(SUBSCRIBE_TIMEOUT))?
}

/// Hands the channel's messages to the room until the room drops its end, subscribing again
/// (with backoff) whenever the connection is lost.
async fn relay(store: RedisStorage, channel: String, tx: mpsc::Sender<BusEvent>) {
    let mut backoff = Backoff::default();
    loop {
        let mut pubsub = match subscribe(&store, &channel).await {
            Ok(pubsub) => pubsub,
            Err(e) => {
                let wait = backoff.next_wait();
                warn!(channel = %channel, error = %e, retry_in = ?wait, "bus subscription failed");
                tokio::select! {
                    _ = tx.closed() => return,
                    _ = tokio::time::sleep(wait) => {}
                }
                continue;
            }
        };
        backoff.reset();
        if tx.send(BusEvent::Subscribed).await.is_err() {
            return;
        }
        let mut messages = pubsub.on_message();
        loop {
            let message = tokio::select! {
                _ = tx.closed() => return,
                message = messages.next() => message,
            };
            let Some(message) = message else { break };
            match BusMessage::decode(message.get_payload_bytes()) {
                Ok(presence) => {
                    if tx.try_send(BusEvent::Message(presence)).is_err() {
                        debug!(channel = %channel, "presence message dropped: room busy");
                    }
                }
                Err(e) => warn!(channel = %channel, error = %e, "unreadable presence message"),
            }
        }
    }
}

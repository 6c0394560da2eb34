//! Presence (awareness) is relayed, answered on query, and removed when its connection ends.

use std::collections::HashMap;
use std::sync::Arc;

use cocreate_protocol::{AwarenessUpdate, Message};
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::ClientID;

use crate::support::{connect_synced, Client};

pub fn presence(client: u64, clock: u32, json: &str) -> Message {
    let entry = AwarenessUpdateEntry {
        clock,
        json: Arc::from(json),
    };
    Message::Awareness(AwarenessUpdate {
        clients: HashMap::from([(ClientID::new(client), entry)]),
    })
}

pub fn present(states: &HashMap<u64, (u32, String)>, client: u64) -> bool {
    states.get(&client).is_some_and(|(_, json)| json != "null")
}

#[tokio::test]
async fn presence_is_relayed_and_removed_when_its_connection_drops() {
    let (server, [mut alice, mut bob]) = connect_synced("presence").await;

    alice
        .send(&presence(77, 1, r#"{"user":{"name":"alice"}}"#))
        .await;
    bob.wait_presence(|states| present(states, 77)).await;
    assert_eq!(bob.presence[&77].1, r#"{"user":{"name":"alice"}}"#);

    // The sender hears its own state too: a client alone in a room relies on that to stay alive.
    alice.wait_presence(|states| present(states, 77)).await;

    alice.vanish();
    bob.wait_presence(|states| states.get(&77).is_some_and(|(_, json)| json == "null"))
        .await;
    assert!(bob.presence[&77].0 > 1, "removal must carry a newer clock");
    server.stop().await;
}

#[tokio::test]
async fn joiners_receive_current_presence_and_queries_are_answered() {
    let (server, [mut alice]) = connect_synced("query").await;
    alice.send(&presence(5, 3, r#"{"cursor":1}"#)).await;
    alice.wait_presence(|states| present(states, 5)).await;

    let mut carol = Client::connect(&server.url("query")).await;
    carol.wait_presence(|states| present(states, 5)).await;

    carol.presence.clear();
    carol.send(&Message::AwarenessQuery).await;
    carol.wait_presence(|states| present(states, 5)).await;
    assert_eq!(carol.presence[&5], (3, r#"{"cursor":1}"#.to_string()));
    server.stop().await;
}

#[tokio::test]
async fn many_presence_changes_in_one_tick_arrive_merged() {
    let (server, [mut alice, mut bob]) = connect_synced("batch").await;
    for clock in 1..=50 {
        alice
            .send(&presence(9, clock, &format!(r#"{{"x":{clock}}}"#)))
            .await;
    }
    bob.wait_presence(|states| states.get(&9).is_some_and(|(clock, _)| *clock == 50))
        .await;
    assert_eq!(bob.presence[&9].1, r#"{"x":50}"#);
    server.stop().await;
}

#[tokio::test]
async fn a_stale_connection_leaving_does_not_remove_its_reconnected_clients_presence() {
    let (server, [mut observer, mut old]) = connect_synced("reclaim").await;
    old.send(&presence(7, 1, r#"{"tab":"old"}"#)).await;
    observer.wait_presence(|states| present(states, 7)).await;

    // The same Yjs client comes back on a new connection before the old one is noticed gone.
    let mut new = Client::connect(&server.url("reclaim")).await;
    new.send(&presence(7, 2, r#"{"tab":"new"}"#)).await;
    observer
        .wait_presence(|states| states.get(&7).is_some_and(|(clock, _)| *clock == 2))
        .await;
    old.hang_up().await;
    // The old connection has left the room; a removal, had it been sent, came before this.
    new.send(&presence(7, 3, r#"{"tab":"still here"}"#)).await;
    observer
        .wait_presence(|states| states.get(&7).is_some_and(|(clock, _)| *clock >= 3))
        .await;
    assert_eq!(
        observer.presence[&7],
        (3, r#"{"tab":"still here"}"#.to_string())
    );
    server.stop().await;
}

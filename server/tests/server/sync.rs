//! Documents converge through the server.

use yrs::{Doc, GetString, Transact};

use crate::support::{connect_synced, merged_text, Client, Rng, TestServer};

#[tokio::test]
async fn two_clients_converge_in_both_directions() {
    let (server, [mut a, mut b]) = connect_synced("pair").await;

    a.insert(0, "hello").await;
    assert_eq!(b.wait_text(|t| t == "hello").await, "hello");
    b.insert(5, " world").await;
    assert_eq!(a.wait_text(|t| t == "hello world").await, "hello world");
    server.stop().await;
}

#[tokio::test]
async fn rooms_are_isolated() {
    let (server, [mut a, mut watcher_a]) = connect_synced("room-a").await;
    a.insert(0, "only in a").await;
    watcher_a.wait_text(|t| t == "only in a").await;
    let b = Client::connect(&server.url("room-b")).await;
    assert_eq!(b.text(), "");
    server.stop().await;
}

#[tokio::test]
async fn a_joiner_gets_everything_in_its_first_sync() {
    let (server, [mut writer, mut witness]) = connect_synced("late").await;
    for i in 0..200u32 {
        writer.insert(i, "x").await;
    }
    witness.wait_text(|t| t.len() == 200).await;
    // Synced means the first step 2 arrived: it must already hold all 200 edits.
    let late = Client::connect(&server.url("late")).await;
    assert_eq!(late.text(), "x".repeat(200));
    server.stop().await;
}

/// Several clients edit at random, some dropping off and coming back with offline edits;
/// everyone ends with the same text, which also equals the merge of all their documents.
#[tokio::test]
async fn random_concurrent_edits_with_disconnects_converge() {
    const CLIENTS: usize = 6;
    const STEPS: usize = 120;
    let (mut rng, seed) = Rng::from_clock();
    let server = TestServer::fresh().await;
    let url = server.url("random");
    let mut online: Vec<Option<Client>> = Vec::new();
    let mut offline: Vec<Option<Doc>> = Vec::new();
    for _ in 0..CLIENTS {
        online.push(Some(Client::connect(&url).await));
        offline.push(None);
    }

    for _ in 0..STEPS {
        let i = rng.below(CLIENTS as u64) as usize;
        match (online[i].as_mut(), rng.below(10)) {
            (Some(_), 0) => offline[i] = online[i].take().map(Client::vanish),
            (Some(client), op) => {
                let len = client.text().len() as u64;
                if op < 7 || len == 0 {
                    let at = rng.below(len + 1) as u32;
                    client.insert(at, &format!("{i}")).await;
                } else {
                    let at = rng.below(len) as u32;
                    client.remove(at, 1).await;
                }
            }
            (None, op) if op < 5 => {
                // Edit while offline, to be merged on reconnect.
                let doc = offline[i].as_ref().unwrap();
                let text = doc.get_or_insert_text("text");
                let len = text.get_string(&doc.transact()).len() as u32;
                yrs::Text::insert(&text, &mut doc.transact_mut(), len, "o");
            }
            (None, _) => {
                let doc = offline[i].take().unwrap();
                online[i] = Some(Client::connect_with(&url, doc).await);
            }
        }
    }
    for i in 0..CLIENTS {
        if let Some(doc) = offline[i].take() {
            online[i] = Some(Client::connect_with(&url, doc).await);
        }
    }

    let mut clients: Vec<Client> = online.into_iter().map(Option::unwrap).collect();
    let expected = merged_text(clients.iter().map(|c| &c.doc));
    for client in &mut clients {
        assert_eq!(
            client.wait_text(|t| t == expected).await,
            expected,
            "seed {seed}"
        );
    }
    let fresh = Client::connect(&url).await;
    assert_eq!(fresh.text(), expected, "seed {seed}");
    server.stop().await;
}

#[tokio::test]
async fn senders_are_told_when_their_updates_are_saved() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let [mut writer] = server.connect_synced("saved").await;
    // The handshake's step 2 (nothing new) counts as saved at once.
    writer.wait_all_saved().await;
    assert_eq!(writer.saved, 1);
    for i in 0..50u32 {
        writer.insert(i, "s").await;
    }
    writer.wait_all_saved().await;
    assert_eq!(writer.saved, 51);
    server.stop().await;

    // Saved means stored: a fresh server on the same data reads all 50 back.
    let server = TestServer::start(dir.path()).await;
    let [reader] = server.connect_synced("saved").await;
    assert_eq!(reader.text(), "s".repeat(50));
    server.stop().await;
}

//! Several nodes, one room: two servers on one Redis serve the same rooms; documents converge
//! through the shared log and presence crosses over the presence bus.

use crate::redis_server::{unique_prefix, url};
use crate::support::{merged_text, Client, Rng, TestServer};

/// A node on the shared Redis under `prefix`, named `node`.
async fn node(prefix: &str, node: &str) -> TestServer {
    TestServer::fresh_with(|config| {
        config.store.redis_url = Some(url());
        config.store.redis_prefix = prefix.to_owned();
        config.node_id = Some(node.to_owned());
    })
    .await
}

/// Nodes `a` and `b` on the shared Redis under a prefix of their own (returned, for more nodes).
async fn two_nodes() -> (String, TestServer, TestServer) {
    let prefix = unique_prefix();
    let (a, b) = (node(&prefix, "a").await, node(&prefix, "b").await);
    (prefix, a, b)
}

#[tokio::test]
async fn clients_on_two_nodes_converge() {
    let (_, a, b) = two_nodes().await;
    let mut on_a = Client::connect(&a.url("shared")).await;
    let mut on_b = Client::connect(&b.url("shared")).await;

    on_a.insert(0, "from a").await;
    on_b.wait_text(|t| t == "from a").await;
    on_b.insert(6, ", from b").await;
    assert_eq!(
        on_a.wait_text(|t| t == "from a, from b").await,
        "from a, from b"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn concurrent_editors_on_two_nodes_converge() {
    const PER_NODE: usize = 4;
    const EDITS: usize = 40;
    let (mut rng, seed) = Rng::from_clock();
    let (_, a, b) = two_nodes().await;
    let mut clients = Vec::new();
    for i in 0..2 * PER_NODE {
        let server = if i % 2 == 0 { &a } else { &b };
        clients.push(Client::connect(&server.url("busy")).await);
    }
    for _ in 0..EDITS {
        let i = rng.below(clients.len() as u64) as usize;
        let len = clients[i].text().len() as u64;
        let at = rng.below(len + 1) as u32;
        clients[i].insert(at, &i.to_string()).await;
    }
    let expected = merged_text(clients.iter().map(|c| &c.doc));
    assert_eq!(expected.len(), EDITS);
    for client in &mut clients {
        assert_eq!(
            client.wait_text(|t| t == expected).await,
            expected,
            "seed {seed}"
        );
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn presence_crosses_nodes_and_leaves_with_its_connection() {
    use crate::awareness::{presence, present};
    let (prefix, a, b) = two_nodes().await;
    let mut alice = Client::connect(&a.url("presence")).await;
    let mut bob = Client::connect(&b.url("presence")).await;
    alice.send(&presence(41, 1, r#"{"name":"alice"}"#)).await;
    bob.wait_presence(|states| present(states, 41)).await;

    // A node that loads the room later asks the others and learns alice's state at once.
    let c = node(&prefix, "c").await;
    let mut carol = Client::connect(&c.url("presence")).await;
    carol.wait_presence(|states| present(states, 41)).await;

    alice.vanish();
    bob.wait_presence(|states| states.get(&41).is_some_and(|(_, json)| json == "null"))
        .await;
    carol
        .wait_presence(|states| states.get(&41).is_some_and(|(_, json)| json == "null"))
        .await;
    a.stop().await;
    b.stop().await;
    c.stop().await;
}

#[tokio::test]
async fn session_changes_reach_rooms_on_other_nodes() {
    use serde_json::json;
    let (_, a, b) = two_nodes().await;
    let body = json!({"title": "T", "template": "canvas", "language": "de"});
    let created = a.create_session(body).await;
    let id = created["id"].as_str().unwrap();
    let moderator = created["invites"]["moderator"]["token"].as_str().unwrap();
    // Tokens signed by one node are accepted by the other: the generated secret is shared.
    let join = json!({"code": created["join_code"], "display_name": "Eva"});
    let (status, joined) = b.call("POST", "/api/join", None, Some(join)).await;
    assert_eq!(status, 200, "{joined}");
    let token = joined["token"].as_str().unwrap();
    let pid = joined["participant_id"].as_str().unwrap();
    let mut citizen = Client::connect(&format!("{}?token={token}", b.url(id))).await;
    citizen.wait_session(|m| m["you"]["can_edit"] == true).await;

    let (status, _) = a
        .call(
            "POST",
            &format!("/api/sessions/{id}/lock"),
            Some(moderator),
            None,
        )
        .await;
    assert_eq!(status, 200);
    citizen
        .wait_session(|m| m["event"] == "locked" && m["you"]["can_edit"] == false)
        .await;
    let kick = format!("/api/sessions/{id}/participants/{pid}/kick");
    let (status, _) = a.call("POST", &kick, Some(moderator), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        citizen.wait_closed().await,
        (
            1008,
            "revoked: removed from the session by a moderator".into()
        )
    );
    a.stop().await;
    b.stop().await;
}

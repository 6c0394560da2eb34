//! Dot-votes: one key `item|participant|n` per vote in the `votes` root map, as the web client
//! writes them (`vote` in `web-client/src/board/model.ts`). The server holds each participant to
//! the session's limit by removing, right after an update, the votes it added beyond the limit
//! or in another participant's name ([`refused`], [`remove`]).

use yrs::{Doc, Map, MapRef, ReadTxn, Transact};

use crate::edit::editable_copy;
use crate::schema::{ITEMS, VOTES};

/// The item and participant a vote key names (`None`: not a vote key).
pub(crate) fn parts(key: &str) -> Option<(&str, &str)> {
    let mut parts = key.splitn(3, '|');
    let (item, participant, n) = (parts.next()?, parts.next()?, parts.next()?);
    (!item.is_empty() && !participant.is_empty() && n.parse::<u32>().is_ok())
        .then_some((item, participant))
}

/// The votes a participant has on items that still exist: what their limit counts, as in the
/// web client (`votesUsed`).
fn used<T: ReadTxn>(txn: &T, votes: &MapRef, items: &MapRef, participant: &str) -> usize {
    votes
        .keys(txn)
        .filter_map(parts)
        .filter(|(item, voter)| *voter == participant && items.contains_key(txn, item))
        .count()
}

/// Of the vote keys an update by `participant` added (`added`, sorted: the last count as the
/// newest), the ones to remove again: those not in the participant's own name (or not vote
/// keys at all), and their newest votes beyond `limit`.
pub fn refused(doc: &Doc, added: &[String], participant: &str, limit: u32) -> Vec<String> {
    let (votes, items) = (doc.get_or_insert_map(VOTES), doc.get_or_insert_map(ITEMS));
    let txn = doc.transact();
    let present = added.iter().filter(|key| votes.contains_key(&txn, key));
    let (own, mut refused): (Vec<&String>, Vec<&String>) =
        present.partition(|key| parts(key).is_some_and(|(_, voter)| voter == participant));
    let over = used(&txn, &votes, &items, participant).saturating_sub(limit as usize);
    refused.extend(own.iter().rev().take(over));
    refused.into_iter().cloned().collect()
}

/// Of the votes `participant` cast apart (a secret vote's draft document `drafts`), the ones
/// the reveal puts on `board`: on items the board has, not on it yet, and no more than their
/// limit leaves room for (the first in sorted order).
pub fn admissible(drafts: &Doc, board: &Doc, participant: &str, limit: u32) -> Vec<String> {
    let cast: Vec<String> = {
        let votes = drafts.get_or_insert_map(VOTES);
        let txn = drafts.transact();
        let mut keys: Vec<String> = votes
            .keys(&txn)
            .filter(|key| parts(key).is_some_and(|(_, voter)| voter == participant))
            .map(str::to_owned)
            .collect();
        keys.sort();
        keys
    };
    let (votes, items) = (
        board.get_or_insert_map(VOTES),
        board.get_or_insert_map(ITEMS),
    );
    let txn = board.transact();
    let room = (limit as usize).saturating_sub(used(&txn, &votes, &items, participant));
    cast.into_iter()
        .filter(|key| !votes.contains_key(&txn, key))
        .filter(|key| parts(key).is_some_and(|(item, _)| items.contains_key(&txn, item)))
        .take(room)
        .collect()
}

/// An edit that removes the vote `keys`, as a Yjs update (`None`: none of them is there).
pub fn remove(doc: &Doc, keys: &[String]) -> Option<Vec<u8>> {
    let copy = editable_copy(doc);
    let votes = copy.get_or_insert_map(VOTES);
    let mut txn = copy.transact_mut();
    let removed = keys
        .iter()
        .filter(|key| votes.remove(&mut txn, key).is_some())
        .count();
    (removed > 0).then(|| txn.encode_update_v1())
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::decoder::Decode;
    use yrs::{MapPrelim, Update};

    /// A board with items `a` and `b` and the votes `keys`.
    fn board(keys: &[&str]) -> Doc {
        let doc = Doc::new();
        let (items, votes) = (doc.get_or_insert_map(ITEMS), doc.get_or_insert_map(VOTES));
        let mut txn = doc.transact_mut();
        for item in ["a", "b"] {
            items.insert(&mut txn, item, MapPrelim::default());
        }
        for key in keys {
            votes.insert(&mut txn, *key, 1.0);
        }
        drop(txn);
        doc
    }

    fn strings(keys: &[&str]) -> Vec<String> {
        keys.iter().map(|k| k.to_string()).collect()
    }

    /// What a case shows, the board's votes, the votes an update by `p1` added, the limit,
    /// and the votes refused.
    type Case = (
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
        u32,
        &'static [&'static str],
    );

    #[test]
    fn refused_are_votes_beyond_the_limit_or_in_another_name() {
        let cases: [Case; 5] = [
            (
                "within the limit",
                &["a|p1|0", "b|p1|0", "a|p2|0"],
                &["b|p1|0"],
                2,
                &[],
            ),
            (
                "the newest beyond the limit",
                &["a|p1|0", "a|p1|1", "b|p1|0", "b|p1|1"],
                &["b|p1|0", "b|p1|1"],
                2,
                &["b|p1|1", "b|p1|0"],
            ),
            (
                "only the excess",
                &["a|p1|0", "a|p1|1", "b|p1|0", "b|p1|1"],
                &["b|p1|0", "b|p1|1"],
                3,
                &["b|p1|1"],
            ),
            (
                "votes on deleted items do not count",
                &["gone|p1|0", "gone|p1|1", "a|p1|0"],
                &["a|p1|0"],
                1,
                &[],
            ),
            (
                "another's name, or no vote at all",
                &["a|p2|0", "junk", "a|p1|0"],
                &["a|p2|0", "junk", "a|p1|0"],
                5,
                &["a|p2|0", "junk"],
            ),
        ];
        for (case, keys, added, limit, expected) in cases {
            let got = refused(&board(keys), &strings(added), "p1", limit);
            assert_eq!(got, expected, "{case}");
        }
    }

    #[test]
    fn removing_votes_is_an_update_that_removes_exactly_them() {
        let doc = board(&["a|p1|0", "a|p1|1"]);
        let update = remove(&doc, &strings(&["a|p1|1", "missing"])).unwrap();
        doc.transact_mut()
            .apply_update(Update::decode_v1(&update).unwrap())
            .unwrap();
        let votes = doc.get_or_insert_map(VOTES);
        let keys: Vec<String> = votes.keys(&doc.transact()).map(str::to_owned).collect();
        assert_eq!(keys, ["a|p1|0"]);
        assert_eq!(remove(&doc, &strings(&["missing"])), None);
    }
}

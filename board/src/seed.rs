//! The structure a new board starts with, per template. Stage and lane titles are left empty:
//! clients show the name of their `kind` in each participant's own language.

use std::sync::Arc;

use yrs::{Any, Doc, Map, MapPrelim, ReadTxn, StateVector, Transact};

use crate::edit::edit_doc;
use crate::schema::{self, Template, SCHEMA_VERSION};

/// The seed of a board, as one Yjs update written under a fresh client id.
pub fn seed(template: Template) -> Vec<u8> {
    seed_by(edit_doc(), template)
}

/// [`seed`], written by `doc`'s client. The fuzz target and the golden documents seed with a
/// fixed client id, so that what they produce reproduces in another process.
pub fn seed_by(doc: Doc, template: Template) -> Vec<u8> {
    let meta = doc.get_or_insert_map(schema::META);
    let stages = doc.get_or_insert_map(schema::STAGES);
    let lanes = doc.get_or_insert_map(schema::LANES);
    doc.get_or_insert_map(schema::ITEMS);
    let (stage_kinds, lane_kinds) = template.axes();
    {
        let mut txn = doc.transact_mut();
        meta.insert(&mut txn, "schema", SCHEMA_VERSION);
        meta.insert(&mut txn, "template", template.name());
        for (map, id_of, kinds) in [
            (&stages, schema::stage_id as fn(&str) -> String, stage_kinds),
            (&lanes, schema::lane_id, lane_kinds),
        ] {
            for (position, kind) in kinds.iter().enumerate() {
                let entry = MapPrelim::from([
                    ("kind".to_owned(), Any::String(Arc::from(*kind))),
                    ("title".to_owned(), Any::String(Arc::from(""))),
                    (
                        "order".to_owned(),
                        Any::String(Arc::from(order_key(position))),
                    ),
                ]);
                map.insert(&mut txn, id_of(kind), entry);
            }
        }
    }
    let txn = doc.transact();
    txn.encode_state_as_update_v1(&StateVector::default())
}

/// The `position`th key of the fractional-indexing sequence clients extend ("a0", "a1", …).
fn order_key(position: usize) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    format!("a{}", DIGITS[position % DIGITS.len()] as char)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::decoder::Decode;
    use yrs::Update;

    #[test]
    fn journey_maps_start_with_five_stages_and_six_lanes() {
        let doc = Doc::new();
        doc.transact_mut()
            .apply_update(Update::decode_v1(&seed(Template::JourneyMap)).unwrap())
            .unwrap();
        let txn = doc.transact();
        let stages = txn.get_map("stages").unwrap();
        let lanes = txn.get_map("lanes").unwrap();
        assert_eq!(stages.len(&txn), 5);
        assert_eq!(lanes.len(&txn), 6);
        let meta = txn.get_map("meta").unwrap();
        assert_eq!(
            meta.get(&txn, "template").unwrap().to_string(&txn),
            "journey-map"
        );
        assert_eq!(meta.get(&txn, "schema").unwrap().to_string(&txn), "2");
    }
}

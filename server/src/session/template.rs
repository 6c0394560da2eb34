//! The structure a new session's board starts with, per template (the schema is in
//! `server/README.md` and, whole, in `web-client/README.md`). Stage and lane titles are left
//! empty: clients show the name of their `kind` in each participant's own language.

use std::sync::Arc;

use yrs::{Any, Map, MapPrelim, ReadTxn, StateVector, Transact};

use super::Template;

/// The document schema version written into `meta.schema`.
pub const SCHEMA_VERSION: u32 = 1;

/// Stages of a service journey, in order (journey maps and blueprints).
const STAGES: [&str; 5] = ["aware", "apply", "wait", "receive", "follow-up"];

const JOURNEY_LANES: [&str; 6] = [
    "actions",
    "touchpoints",
    "thoughts",
    "emotions",
    "pain-points",
    "opportunities",
];

/// Blueprint lanes, top to bottom; the lines of interaction, visibility and internal
/// interaction fall between them.
const BLUEPRINT_LANES: [&str; 5] = [
    "physical-evidence",
    "customer-actions",
    "frontstage",
    "backstage",
    "support",
];

/// The seed of a session's document, as one Yjs update.
pub fn seed(template: Template) -> Vec<u8> {
    seed_by(super::edit_doc(), template)
}

/// [`seed`], written by `doc`'s client. The fuzz target seeds its board with a fixed client id,
/// so that a crash found against the seed reproduces in another process.
pub fn seed_by(doc: yrs::Doc, template: Template) -> Vec<u8> {
    let meta = doc.get_or_insert_map("meta");
    let stages = doc.get_or_insert_map("stages");
    let lanes = doc.get_or_insert_map("lanes");
    doc.get_or_insert_map("items");
    let (stage_kinds, lane_kinds): (&[&str], &[&str]) = match template {
        Template::JourneyMap => (&STAGES, &JOURNEY_LANES),
        Template::ServiceBlueprint => (&STAGES, &BLUEPRINT_LANES),
        Template::Canvas => (&[], &[]),
    };
    {
        let mut txn = doc.transact_mut();
        meta.insert(&mut txn, "schema", SCHEMA_VERSION);
        let template = serde_json::to_value(template).expect("template serializes");
        meta.insert(&mut txn, "template", template.as_str().unwrap_or_default());
        for (map, prefix, kinds) in [
            (&stages, "stage", stage_kinds),
            (&lanes, "lane", lane_kinds),
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
                map.insert(&mut txn, format!("{prefix}-{kind}"), entry);
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
    use yrs::{Doc, Update};

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
        assert_eq!(meta.get(&txn, "schema").unwrap().to_string(&txn), "1");
    }
}

//! The decoder against bytes produced by the official JavaScript libraries (yjs 13.6,
//! y-protocols 1.0), hostile variations of them, and arbitrary bytes.

use cocreate_protocol::{
    close, decode_frame, decode_update, DecodeError, Message, SyncMessage, COCREATE_TYPES,
};
use proptest::prelude::*;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, Transact};

/// Golden frames, written by y-protocols for a doc with clientID 1234567 holding Y.Text "t" = "hi".
const JS_STEP1: &str = "0000050187ad4b02";
const JS_STEP2: &str = "00010e010187ad4b000401017402686900";
const JS_UPDATE: &str = "00020e010187ad4b000401017402686900";
const JS_AWARENESS: &str = "011f0187ad4b01197b2275736572223a7b226e616d65223a22616c696365227d7d";
const JS_QUERY_AWARENESS: &str = "03";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn one(frame: &[u8]) -> Message {
    let mut messages = decode_frame(frame).expect("decodes");
    assert_eq!(messages.len(), 1);
    messages.remove(0)
}

#[test]
fn decodes_sync_step1_from_js() {
    let Message::Sync(SyncMessage::SyncStep1(sv)) = one(&hex(JS_STEP1)) else {
        panic!("not step 1")
    };
    assert_eq!(sv.get(&yrs::ClientID::new(1234567)), 2);
}

#[test]
fn decodes_step2_and_update_from_js_into_the_same_document() {
    for golden in [JS_STEP2, JS_UPDATE] {
        let bytes = match one(&hex(golden)) {
            Message::Sync(SyncMessage::SyncStep2(b) | SyncMessage::Update(b)) => b,
            other => panic!("unexpected {other:?}"),
        };
        let doc = Doc::new();
        let text = doc.get_or_insert_text("t");
        doc.transact_mut()
            .apply_update(decode_update(&bytes).unwrap())
            .unwrap();
        assert_eq!(text.get_string(&doc.transact()), "hi");
    }
}

#[test]
fn decodes_awareness_and_query_from_js() {
    let Message::Awareness(update) = one(&hex(JS_AWARENESS)) else {
        panic!("not awareness")
    };
    let entry = &update.clients[&yrs::ClientID::new(1234567)];
    assert_eq!(
        (entry.clock, &*entry.json),
        (1, r#"{"user":{"name":"alice"}}"#)
    );
    assert_eq!(one(&hex(JS_QUERY_AWARENESS)), Message::AwarenessQuery);
}

#[test]
fn encodes_what_js_sends() {
    let doc = Doc::with_client_id(1234567);
    let text = doc.get_or_insert_text("t");
    text.push(&mut doc.transact_mut(), "hi");
    let sv = doc.transact().state_vector();
    assert_eq!(
        Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1(),
        hex(JS_STEP1)
    );
    let update = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    assert_eq!(
        Message::Sync(SyncMessage::Update(update)).encode_v1(),
        hex(JS_UPDATE)
    );
}

#[test]
fn decodes_several_messages_in_one_frame() {
    let frame = [hex(JS_STEP1), hex(JS_AWARENESS), hex(JS_QUERY_AWARENESS)].concat();
    let messages = decode_frame(&frame).unwrap();
    assert!(matches!(
        messages.as_slice(),
        [
            Message::Sync(SyncMessage::SyncStep1(_)),
            Message::Awareness(_),
            Message::AwarenessQuery
        ]
    ));
}

#[test]
fn a_truncated_last_message_rejects_the_frame() {
    let whole = [hex(JS_STEP1), hex(JS_UPDATE)].concat();
    for cut in 1..hex(JS_UPDATE).len() {
        let frame = &whole[..whole.len() - cut];
        let error = decode_frame(frame).unwrap_err();
        assert_eq!(
            error,
            DecodeError::Truncated {
                offset: hex(JS_STEP1).len()
            },
            "cut {cut}"
        );
        assert_eq!(error.close_code(), close::PROTOCOL_ERROR);
    }
}

#[test]
fn empty_frame_is_a_protocol_error() {
    assert_eq!(decode_frame(&[]), Err(DecodeError::Empty));
}

#[test]
fn unknown_types_are_unsupported_data_but_cocreate_types_pass() {
    let error = decode_frame(&[9, 0]).unwrap_err();
    assert_eq!(
        (error.clone(), error.close_code()),
        (DecodeError::UnknownType(9), close::UNSUPPORTED_DATA)
    );
    let first = *COCREATE_TYPES.start() as u8;
    assert_eq!(
        one(&[first, 2, 0xAB, 0xCD]),
        Message::Custom(first, vec![0xAB, 0xCD])
    );
    // 128 is the first type past the range; as a varUint it takes two bytes.
    assert_eq!(
        decode_frame(&[0x80, 0x01, 0]).unwrap_err(),
        DecodeError::UnknownType(*COCREATE_TYPES.end() + 1)
    );
}

#[test]
fn bad_sync_subtype_is_malformed() {
    let error = decode_frame(&[0, 7, 0]).unwrap_err();
    assert!(
        matches!(error, DecodeError::Malformed { offset: 0, .. }),
        "{error:?}"
    );
}

#[test]
fn awareness_state_that_is_not_json_is_invalid_payload() {
    // One client (id 5, clock 1) whose state is the text `{oops`.
    let state = b"{oops";
    let mut payload = vec![1, 5, 1, state.len() as u8];
    payload.extend_from_slice(state);
    let mut frame = vec![1, payload.len() as u8];
    frame.extend(payload);
    let error = decode_frame(&frame).unwrap_err();
    assert_eq!(
        (error.clone(), error.close_code()),
        (
            DecodeError::InvalidAwarenessState { client: 5 },
            close::INVALID_PAYLOAD
        )
    );
}

#[test]
fn inflated_counts_are_refused_before_yrs_reserves_memory() {
    // Found by fuzzing: 16 bytes declaring ~130 million clients made yrs reserve (and touch)
    // hundreds of megabytes before failing.
    let update = [
        0x94, 0xf9, 0x98, 0x7d, 0x4d, 0x9f, 0x88, 0xdd, 0xf0, 0x7f, 0x67, 0x1f, 0x7d, 0xa5, 0xc4,
        0x7f,
    ];
    assert!(matches!(
        decode_update(&update),
        Err(cocreate_protocol::UpdateError::Inflated { .. })
    ));
    // A state vector (sync step 1) and an awareness update declaring ~250 million entries.
    let step1: &[u8] = &[0, 0, 4, 255, 255, 255, 122];
    let awareness: &[u8] = &[1, 4, 255, 255, 255, 122];
    for frame in [step1, awareness] {
        let error = decode_frame(frame).unwrap_err();
        assert!(
            matches!(
                error,
                DecodeError::Inflated {
                    declared: 257_949_695,
                    ..
                }
            ),
            "{error:?}"
        );
        assert_eq!(error.close_code(), close::INVALID_PAYLOAD);
    }
}

#[test]
fn a_block_declaring_billions_of_values_is_refused_without_aborting() {
    // Found by the `frame` fuzz target (fuzz/README.md): a block of `Any` content whose count
    // is u32::MAX makes yrs reserve ~100 GB for it. yrs reserves with `try_reserve`, so the
    // system allocator's refusal (or the missing values, when it overcommits) is an error,
    // never an abort; this keeps it that way across yrs upgrades.
    let update = [
        1, 1, 1, 0, // one client, one block, client 1, clock 0
        0x08, 1, 1, b'a', // `Any` content, in the root type "a"
        0xff, 0xff, 0xff, 0xff, 0x0f, // 4 294 967 295 values, and none follow
    ];
    assert!(decode_update(&update).is_err());
    let mut frame = vec![0, 2, update.len() as u8];
    frame.extend(update);
    assert!(
        decode_frame(&frame).is_ok(),
        "the frame itself is well formed"
    );
}

#[test]
fn updates_yrs_cannot_read_back_are_refused() {
    // Found by the `update` fuzz target (fuzz/README.md): yrs reads a JSON content of n
    // strings as n + 1, so its encoding of this update does not decode. Applied, the update
    // stays pending, and every later `encode_state_as_update_v1` of the document panicked.
    let update = [
        1, 1, 46, 1, // one client, one block, client 46, clock 1 (so it stays pending)
        0x82, 1, 29, // JSON content with a left origin (1, 29)
        0, 0, // "0" strings, read as one empty string
        0, // no deletions
    ];
    // And when yrs's encoding does decode, to a different update: one in the root type "",
    // with its JSON content read as two strings instead of one (a five-minute run found it).
    let misread = [1, 1, 0, 1, 0x02, 1, 0, 0, 0, 1, 1, 0];
    for update in [&update[..], &misread] {
        assert!(matches!(
            decode_update(update),
            Err(cocreate_protocol::UpdateError::NotReencodable)
        ));
    }
}

/// Found by fuzzing (the `update` target): an update whose decoded deletions hold an empty
/// range made yrs panic integrating it into a board. No Yjs client writes one; it is refused.
#[test]
fn an_update_deleting_an_empty_range_is_refused() {
    let update = [
        1, 1, 1, 254, 255, 255, 255, 255, 255, 255, 255, 47, 0, 1, 1, 1, 1, 128, 0, 0, 255, 255,
        255, 255, 255, 255, 31, 1, 0, 1,
    ];
    assert!(matches!(
        decode_update(&update),
        Err(cocreate_protocol::UpdateError::EmptyDeletion)
    ));
}

/// An awareness frame with one entry; `client` and `clock` as lib0 varUint bytes, state `{}`.
fn awareness_frame(client: &[u8], clock: &[u8]) -> Vec<u8> {
    let payload = [&[1][..], client, clock, &[2, b'{', b'}']].concat();
    [vec![1, payload.len() as u8], payload].concat()
}

#[test]
fn awareness_entries_no_js_client_could_send_are_refused() {
    let max_clock = awareness_frame(&[5], &[0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);
    let error = decode_frame(&max_clock).unwrap_err();
    assert_eq!(
        (error.clone(), error.close_code()),
        (
            DecodeError::AwarenessOutOfRange { client: 5 },
            close::INVALID_PAYLOAD
        )
    );
    let past_safe_integers =
        awareness_frame(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10], &[1]);
    // Refused either way: by our range check, or (in debug builds) by a debug assertion in yrs's
    // ClientID that decode_frame catches.
    assert!(decode_frame(&past_safe_integers).is_err());
    let fine = awareness_frame(&[5], &[0xFE, 0xFF, 0xFF, 0xFF, 0x0F]);
    assert!(decode_frame(&fine).is_ok());
}

#[test]
fn garbage_update_is_refused() {
    assert!(decode_update(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF]).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(frame in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_frame(&frame);
        let _ = decode_update(&frame);
    }

    #[test]
    fn mutated_js_frames_never_panic(
        golden in prop::sample::select(vec![JS_STEP1, JS_STEP2, JS_UPDATE, JS_AWARENESS]),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut frame = hex(golden);
        for (index, byte) in flips {
            let i = index.index(frame.len());
            frame[i] = byte;
        }
        if let Ok(messages) = decode_frame(&frame) {
            for message in messages {
                if let Message::Sync(SyncMessage::SyncStep2(b) | SyncMessage::Update(b)) = message {
                    if let Ok(update) = decode_update(&b) {
                        let doc = Doc::new();
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| doc.transact_mut().apply_update(update)));
                    }
                }
            }
        }
    }

    #[test]
    fn every_message_round_trips(text in ".{0,40}", client in 1u64..(1 << 53), reason in ".{0,20}") {
        let doc = Doc::with_client_id(client);
        doc.get_or_insert_text("t").push(&mut doc.transact_mut(), &text);
        let txn = doc.transact();
        let messages = vec![
            Message::Sync(SyncMessage::SyncStep1(txn.state_vector())),
            Message::Sync(SyncMessage::SyncStep2(txn.encode_state_as_update_v1(&StateVector::default()))),
            Message::Sync(SyncMessage::Update(txn.encode_state_as_update_v1(&StateVector::default()))),
            Message::Auth(Some(reason)),
            Message::AwarenessQuery,
        ];
        let frame: Vec<u8> = messages.iter().flat_map(|m| m.encode_v1()).collect();
        prop_assert_eq!(decode_frame(&frame).unwrap(), messages);
    }
}

#[test]
fn saved_messages_round_trip_through_the_frame_decoder() {
    for count in [0, 1, 127, 128, u64::from(u32::MAX) + 5] {
        let frame = cocreate_protocol::cocreate::saved(count).encode_v1();
        let Message::Custom(kind, payload) = one(&frame) else {
            panic!("not a cocreate message")
        };
        assert_eq!(kind, cocreate_protocol::cocreate::MSG_SAVED);
        assert_eq!(
            cocreate_protocol::cocreate::decode_saved(&payload).unwrap(),
            count
        );
    }
}

/// Issue 33, found by fuzzing: a 37-byte update whose one block (a GC range at clock 2) runs
/// past the largest clock. yrs applied it without error, after
/// which every encoding of the document divided by zero (`find_index`): no sync answer, no
/// checkpoint, for good. Refused on receipt.
#[test]
fn an_update_whose_clock_range_wraps_around_is_refused() {
    let update = hex("0101c0de93fa010200fffffffffffe0000010202020202020202020248c8020202de93fe01");
    assert_eq!(update.len(), 37);
    assert!(matches!(
        decode_update(&update),
        Err(cocreate_protocol::UpdateError::ClockOverflow { .. })
    ));
}

/// Its relatives: a block of each kind (GC, skip, deleted item, string item) that ends just
/// past the largest clock is refused; the same block one clock shorter is read as usual.
#[test]
fn blocks_ending_past_the_largest_clock_are_refused_and_those_ending_at_it_are_not() {
    use yrs::encoding::write::Write;
    // One client (7) with one block at `clock`, then an empty delete set.
    let update = |clock: u32, block: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = Vec::new();
        bytes.write_var(1u32);
        bytes.write_var(1u32);
        bytes.write_var(7u64);
        bytes.write_var(clock);
        block(&mut bytes);
        bytes.write_var(0u32);
        bytes
    };
    let gc = |len: u32| {
        move |b: &mut Vec<u8>| {
            b.write_u8(0);
            b.write_var(len);
        }
    };
    let skip = |len: u32| {
        move |b: &mut Vec<u8>| {
            b.write_u8(10);
            b.write_var(len);
        }
    };
    // a deleted item in the root map "items": info = content ref 1, parent named
    let deleted = |len: u32| {
        move |b: &mut Vec<u8>| {
            b.write_u8(1);
            b.write_var(1u32);
            b.write_string("items");
            b.write_var(len);
        }
    };
    let text = |_: u32| {
        |b: &mut Vec<u8>| {
            b.write_u8(4);
            b.write_var(1u32);
            b.write_string("t");
            b.write_string("ab");
        }
    };
    let max = u32::MAX;
    for (kind, at_limit, past_limit) in [
        ("gc", update(max - 3, &gc(3)), update(max - 3, &gc(4))),
        ("skip", update(max - 3, &skip(3)), update(max - 3, &skip(4))),
        (
            "deleted",
            update(max - 3, &deleted(3)),
            update(max - 3, &deleted(4)),
        ),
        ("text", update(max - 2, &text(0)), update(max - 1, &text(0))),
    ] {
        assert!(
            !matches!(
                decode_update(&at_limit),
                Err(cocreate_protocol::UpdateError::ClockOverflow { .. })
            ),
            "{kind}: a block ending at the largest clock is not an overflow"
        );
        assert!(
            matches!(
                decode_update(&past_limit),
                Err(cocreate_protocol::UpdateError::ClockOverflow { client: 7 })
            ),
            "{kind}: a block ending past the largest clock is refused, got {:?}",
            decode_update(&past_limit).map(|_| ())
        );
    }
}

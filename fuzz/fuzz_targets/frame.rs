//! Binary WebSocket frames as a client may send them, through the decoder every connection
//! runs first (`decode_frame`), then `decode_update` on the updates it carries, as `ws.rs` does.
//!
//! Beyond "no crash": a frame that decodes re-encodes to messages that decode to the same
//! thing, so what the server relays is what it accepted.
#![no_main]

use cocreate_protocol::{decode_frame, decode_update, Message, SyncMessage};
use libfuzzer_sys::fuzz_target;
use yrs::updates::encoder::Encode;

fuzz_target!(|frame: &[u8]| {
    let Ok(messages) = decode_frame(frame) else {
        return;
    };
    for message in &messages {
        if let Message::Sync(SyncMessage::SyncStep2(update) | SyncMessage::Update(update)) = message
        {
            let _ = decode_update(update);
        }
    }
    let reencoded: Vec<u8> = messages.iter().flat_map(Encode::encode_v1).collect();
    assert_eq!(
        decode_frame(&reencoded).as_ref(),
        Ok(&messages),
        "a decoded frame re-encodes to different messages"
    );
});

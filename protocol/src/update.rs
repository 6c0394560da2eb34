//! Decoding a Yjs update received from the network, without trusting it.

use yrs::block::{
    ItemContent, BLOCK_GC_REF_NUMBER, BLOCK_SKIP_REF_NUMBER, HAS_ORIGIN, HAS_PARENT_SUB,
    HAS_RIGHT_ORIGIN,
};
use yrs::encoding::read::{Cursor, Read};
use yrs::updates::decoder::{Decode, Decoder, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::Update;

use crate::close;

/// Fewest bytes one client's section of a v1 update can take (block count, client, clock).
const MIN_CLIENT_SECTION: usize = 3;

/// An update the server refuses to apply.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// `yrs` rejected the bytes.
    #[error("invalid update: {0}")]
    Invalid(#[from] yrs::encoding::read::Error),
    /// The update declares more entries than its bytes could hold.
    #[error("invalid update: declares {declared} entries in {available} bytes")]
    Inflated { declared: u64, available: usize },
    /// `yrs` panicked on the bytes. Caught here so that hostile input cannot take down the
    /// task that decodes it.
    #[error("invalid update: decoder panicked")]
    DecoderPanicked,
    /// `yrs` does not read back its own encoding of the update as the same update. Found by
    /// fuzzing: yrs reads one string more of JSON content than it writes, so a document holding
    /// such content can no longer be encoded (yrs panics merging it when it is pending) or is
    /// encoded into something else; a room could not answer a sync or checkpoint faithfully.
    #[error("invalid update: it does not survive re-encoding")]
    NotReencodable,
    /// The update deletes an empty range, which no Yjs client writes. Found by fuzzing: such an
    /// update made yrs panic integrating it (`apply_delete`, index out of bounds), which a
    /// room catches only by reloading and disconnecting everyone.
    #[error("invalid update: it deletes an empty range")]
    EmptyDeletion,
    /// A block's clock range runs past the largest clock yrs can hold (2³² − 1): yrs adds
    /// clocks without checking, so the range wraps around. Found by fuzzing (issue 33): a
    /// 37-byte update with such a block applied without error, after which every encoding of
    /// the document divided by zero in yrs (`find_index`), so no one could sync and no
    /// checkpoint could be written, for good. Upstream: y-crdt pull requests #645 and #647.
    #[error("invalid update: a block of client {client} runs past the largest clock")]
    ClockOverflow { client: u64 },
}

impl UpdateError {
    /// The WebSocket close code a server answers this error with: 1008 for an update that is
    /// well formed but that the document cannot carry (the policy issue 33 names), 1007 for
    /// bytes that are not a sound update.
    pub fn close_code(&self) -> u16 {
        match self {
            UpdateError::ClockOverflow { .. } => close::POLICY_VIOLATION,
            _ => close::INVALID_PAYLOAD,
        }
    }
}

/// Decodes a v1 update (the format y-websocket sends) from untrusted bytes.
///
/// yrs reserves memory for the entry counts an update declares before reading the entries;
/// a dozen hostile bytes can declare hundreds of millions. The counts are checked against
/// the bytes that follow first, so the reservation is never larger than the message.
///
/// The update must also read back from its own encoding (see [`UpdateError::NotReencodable`]):
/// whatever the server accepts, it must be able to send on and store.
pub fn decode_update(bytes: &[u8]) -> Result<Update, UpdateError> {
    check_declared_counts(bytes)?;
    let decoded = std::panic::catch_unwind(|| {
        check_clock_ranges(bytes)?;
        let update = Update::decode_v1(bytes)?;
        let reencoded = reads_back(&update);
        Ok::<_, UpdateError>((update, reencoded))
    });
    match decoded {
        Ok(Ok((update, true))) if deletes_empty_range(&update) => Err(UpdateError::EmptyDeletion),
        Ok(Ok((update, true))) => Ok(update),
        Ok(Ok((_, false))) => Err(UpdateError::NotReencodable),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(UpdateError::DecoderPanicked),
    }
}

/// Whether the update's encoding decodes to the same blocks and deletions. Compared by what
/// they cover, not byte for byte: yrs writes deletions in hash-map order. A JSON content read
/// with a string too many is one longer, so it shifts the clocks of all that follows.
fn reads_back(update: &Update) -> bool {
    Update::decode_v1(&update.encode_v1()).is_ok_and(|again| {
        again.state_vector() == update.state_vector()
            && again.insertions(true) == update.insertions(true)
            && again.delete_set() == update.delete_set()
    })
}

fn deletes_empty_range(update: &Update) -> bool {
    update
        .delete_set()
        .iter()
        .any(|(_, ranges)| ranges.iter().any(|range| range.is_empty()))
}

/// Reads every block's clock range as yrs reads it (the same decoder, the same steps as
/// `Update::decode_v1`) and refuses one that ends past `u32::MAX`: yrs would wrap it around
/// (see [`UpdateError::ClockOverflow`]). The next clock after a block must itself be a clock.
fn check_clock_ranges(bytes: &[u8]) -> Result<(), UpdateError> {
    let mut decoder = DecoderV1::from(bytes);
    let clients: u32 = decoder.read_var()?;
    for _ in 0..clients {
        let blocks: u32 = decoder.read_var()?;
        let client = decoder.read_client()?;
        let mut clock: u32 = decoder.read_var()?;
        for _ in 0..blocks {
            let len = block_len(&mut decoder)?;
            clock = clock.checked_add(len).ok_or(UpdateError::ClockOverflow {
                client: client.get(),
            })?;
        }
    }
    Ok(())
}

/// The clock length of the next block (0 for an item yrs drops as empty), read past it.
fn block_len(decoder: &mut DecoderV1) -> Result<u32, UpdateError> {
    let info = decoder.read_info()?;
    match info {
        BLOCK_SKIP_REF_NUMBER => Ok(decoder.read_var()?),
        BLOCK_GC_REF_NUMBER => Ok(decoder.read_len()?),
        _ => {
            if info & HAS_ORIGIN != 0 {
                decoder.read_left_id()?;
            }
            if info & HAS_RIGHT_ORIGIN != 0 {
                decoder.read_right_id()?;
            }
            if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
                // the parent is written out only when no origin implies it
                if decoder.read_parent_info()? {
                    decoder.read_string()?;
                } else {
                    decoder.read_left_id()?;
                }
                if info & HAS_PARENT_SUB != 0 {
                    decoder.read_string()?;
                }
            }
            Ok(ItemContent::decode(decoder, info)?.len_utf16())
        }
    }
}

/// Checks the update's client count, and the first client's block count, against its size.
fn check_declared_counts(bytes: &[u8]) -> Result<(), UpdateError> {
    let mut cursor = Cursor::new(bytes);
    let clients: u64 = cursor.read_var()?;
    let available = bytes.len() - cursor.next;
    if clients > (available / MIN_CLIENT_SECTION) as u64 {
        return Err(UpdateError::Inflated {
            declared: clients,
            available,
        });
    }
    if clients > 0 {
        let blocks: u64 = cursor.read_var()?;
        let available = bytes.len() - cursor.next;
        if blocks > available as u64 {
            return Err(UpdateError::Inflated {
                declared: blocks,
                available,
            });
        }
    }
    Ok(())
}

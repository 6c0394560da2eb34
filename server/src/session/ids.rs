//! Random names: session and participant ids, join codes and secrets. All come from the
//! operating system's random source.

/// Join code characters: upper-case letters and digits without the ones that are misread
/// aloud or on a projector (0/O, 1/I/L, and U, which reads as V).
pub const JOIN_CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Join code length: 30^7 ≈ 2·10^10 codes, short enough to read out in a room.
pub const JOIN_CODE_LEN: usize = 7;

/// Lower-case letters and digits for ids (valid in room names, URLs and storage keys).
const ID_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    // Only fails when the kernel has no random source at all: nothing sensible can go on.
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}

/// `len` characters drawn uniformly from `alphabet` (rejection sampling, no modulo bias).
fn random_string(alphabet: &[u8], len: usize) -> String {
    let limit = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in random_bytes::<32>() {
            if (byte as usize) < limit && out.len() < len {
                out.push(alphabet[byte as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

/// A new session id (also its room name): 20 random characters, ~100 bits.
pub fn session_id() -> String {
    random_string(ID_ALPHABET, 20)
}

/// A new agenda step id (unique within its agenda).
pub fn step_id() -> String {
    format!("step_{}", random_string(ID_ALPHABET, 10))
}

/// A new memo id (unique within its session).
pub fn memo_id() -> String {
    format!("memo_{}", random_string(ID_ALPHABET, 12))
}

/// A new sensemaking run id (unique within its session; the groups it becomes are named
/// after it).
pub fn assist_run_id() -> String {
    format!("run_{}", random_string(ID_ALPHABET, 12))
}

/// A new pseudonymous participant id.
pub fn participant_id() -> String {
    format!("p_{}", random_string(ID_ALPHABET, 16))
}

/// A new receipt id: 26 id characters, 130 random bits, so that receipts (which open a
/// participant's contributions without a token) cannot be guessed.
pub fn receipt_id() -> String {
    random_string(ID_ALPHABET, 26)
}

/// A new join code.
pub fn join_code() -> String {
    random_string(JOIN_CODE_ALPHABET, JOIN_CODE_LEN)
}

/// A join code as typed (any case, with spaces or dashes), or `None` if it cannot be one.
pub fn normalize_join_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid =
        code.len() == JOIN_CODE_LEN && code.bytes().all(|b| JOIN_CODE_ALPHABET.contains(&b));
    valid.then_some(code)
}

/// A new admin key: 32 id characters (160 bits), easy to paste into a command line.
pub fn admin_key() -> String {
    random_string(ID_ALPHABET, 32)
}

/// A 256-bit secret, e.g. for signing tokens.
pub fn secret() -> [u8; 32] {
    random_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_codes_are_unambiguous_and_normalize() {
        for _ in 0..100 {
            let code = join_code();
            assert_eq!(code.len(), JOIN_CODE_LEN);
            assert!(!code.contains(['0', 'O', '1', 'I', 'L', 'U']));
            let typed = format!(" {}-{} ", &code[..3].to_lowercase(), &code[3..]);
            assert_eq!(normalize_join_code(&typed), Some(code));
        }
        assert_eq!(normalize_join_code("ABC"), None);
        assert_eq!(normalize_join_code("ABCDEF0"), None);
    }
}

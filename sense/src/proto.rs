//! A minimal reader of the protobuf wire format: just enough to walk sentencepiece's
//! `ModelProto` (sp.model) without a protobuf compiler or runtime.

use thiserror::Error;

/// Why a protobuf message could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProtoError {
    /// A field, length or varint runs past the end of the message.
    #[error("truncated message")]
    Truncated,
    /// A varint longer than the ten bytes a `u64` needs.
    #[error("varint longer than 10 bytes")]
    VarintTooLong,
    /// Wire types 3 and 4 (groups) and 6, 7 are not used by sentencepiece.
    #[error("unsupported wire type {0}")]
    WireType(u8),
    /// Field numbers run from 1 to 2^29 - 1.
    #[error("invalid field number {0}")]
    FieldNumber(u64),
}

/// One field's value as it is on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

/// The fields of one message, in wire order: `(field number, value)`.
pub(crate) struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
}

/// Iterates over the fields of `message`; nested messages are `Value::Bytes` to read again.
pub(crate) fn fields(message: &[u8]) -> Fields<'_> {
    Fields {
        data: message,
        pos: 0,
    }
}

impl<'a> Fields<'a> {
    fn varint(&mut self) -> Result<u64, ProtoError> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = *self.data.get(self.pos).ok_or(ProtoError::Truncated)?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ProtoError::VarintTooLong)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], ProtoError> {
        let end = self.pos.checked_add(len).ok_or(ProtoError::Truncated)?;
        let bytes = self.data.get(self.pos..end).ok_or(ProtoError::Truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn field(&mut self) -> Result<(u32, Value<'a>), ProtoError> {
        let tag = self.varint()?;
        let number = tag >> 3;
        if number == 0 || number >= 1 << 29 {
            return Err(ProtoError::FieldNumber(number));
        }
        let value = match tag & 7 {
            0 => Value::Varint(self.varint()?),
            1 => Value::Fixed64(u64::from_le_bytes(fixed(self.take(8)?))),
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| ProtoError::Truncated)?;
                Value::Bytes(self.take(len)?)
            }
            5 => Value::Fixed32(u32::from_le_bytes(fixed(self.take(4)?))),
            wire => return Err(ProtoError::WireType(wire as u8)),
        };
        Ok((number as u32, value))
    }
}

/// `bytes` (whose length the caller took exactly) as an array.
fn fixed<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(bytes);
    out
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>), ProtoError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.data.len() {
            return None;
        }
        let field = self.field();
        if field.is_err() {
            // Stop after the first error: what follows cannot be framed.
            self.pos = self.data.len();
        }
        Some(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(message: &[u8]) -> Result<Vec<(u32, Value<'_>)>, ProtoError> {
        fields(message).collect()
    }

    #[test]
    fn reads_every_wire_type() {
        let message = [
            0x08, 0x96, 0x01, // 1: varint 150
            0x12, 0x03, b'a', b'b', b'c', // 2: bytes "abc"
            0x1d, 0x00, 0x00, 0x80, 0x3f, // 3: fixed32 1.0f32
            0x21, 1, 0, 0, 0, 0, 0, 0, 0, // 4: fixed64 1
            0x80, 0x02, 0x01, // 32: varint 1 (a two-byte tag)
        ];
        assert_eq!(
            read(&message).unwrap(),
            vec![
                (1, Value::Varint(150)),
                (2, Value::Bytes(b"abc")),
                (3, Value::Fixed32(1.0f32.to_bits())),
                (4, Value::Fixed64(1)),
                (32, Value::Varint(1)),
            ]
        );
        assert_eq!(read(&[]).unwrap(), vec![]);
    }

    #[test]
    fn malformed_messages_are_errors() {
        assert_eq!(read(&[0x08]), Err(ProtoError::Truncated));
        assert_eq!(read(&[0x08, 0x80]), Err(ProtoError::Truncated));
        assert_eq!(read(&[0x12, 0x05, b'a']), Err(ProtoError::Truncated));
        assert_eq!(
            read(&[0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Err(ProtoError::Truncated)
        );
        assert_eq!(read(&[0x1d, 0x00]), Err(ProtoError::Truncated));
        assert_eq!(read(&[0x0b]), Err(ProtoError::WireType(3)));
        assert_eq!(read(&[0x00, 0x00]), Err(ProtoError::FieldNumber(0)));
        assert_eq!(
            read(&[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Err(ProtoError::VarintTooLong)
        );
    }

    #[test]
    fn stops_after_the_first_error() {
        let mut it = fields(&[0x08, 0x01, 0x0b, 0x08, 0x01]);
        assert_eq!(it.next(), Some(Ok((1, Value::Varint(1)))));
        assert_eq!(it.next(), Some(Err(ProtoError::WireType(3))));
        assert_eq!(it.next(), None);
    }
}

//! A reader of NumPy's `.npy` format (the arrays inside weights.npz): the magic string, the
//! version, a Python-literal header naming the element type and shape, then the data.
//! Only what the weights use: C order, little-endian `f4`/`f8`, and single bytes `u1`/`i1`.

use thiserror::Error;

/// Why an array could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum NpyError {
    /// The magic string `\x93NUMPY` is missing.
    #[error("not a .npy array")]
    Magic,
    /// Format versions 1.0, 2.0 and 3.0 exist.
    #[error("unsupported .npy version {0}.{1}")]
    Version(u8, u8),
    /// The header or the data is cut short.
    #[error("truncated .npy array")]
    Truncated,
    /// The header is not the dictionary NumPy writes.
    #[error("malformed .npy header: {0}")]
    Header(String),
    /// An element type other than those the weights use.
    #[error("unsupported element type {0}")]
    Dtype(String),
    /// Fortran (column-major) order is not supported.
    #[error("arrays in Fortran order are not supported")]
    FortranOrder,
    /// The data is not as long as the shape says.
    #[error("{expected} bytes of data expected, {actual} found")]
    Length { expected: usize, actual: usize },
}

/// The element types the weights use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dtype {
    /// `<f4`
    F32,
    /// `<f8`
    F64,
    /// `|u1`
    U8,
    /// `|i1`
    I8,
}

impl Dtype {
    fn parse(descr: &str) -> Result<Self, NpyError> {
        match descr {
            "<f4" => Ok(Dtype::F32),
            "<f8" => Ok(Dtype::F64),
            "|u1" => Ok(Dtype::U8),
            "|i1" => Ok(Dtype::I8),
            other => Err(NpyError::Dtype(other.to_owned())),
        }
    }

    fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::F64 => 8,
            Dtype::U8 | Dtype::I8 => 1,
        }
    }
}

/// An array read from a `.npy` file, its data still the file's bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Array<'a> {
    pub(crate) dtype: Dtype,
    /// The dimensions; empty for a scalar.
    pub(crate) shape: Vec<usize>,
    /// Exactly `product(shape) * dtype size` bytes, little-endian.
    pub(crate) data: &'a [u8],
}

impl Array<'_> {
    /// The elements of an `f4` array; `None` for another type.
    pub(crate) fn to_f32(&self) -> Option<Vec<f32>> {
        (self.dtype == Dtype::F32).then(|| {
            self.data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        })
    }

    /// The single value of an `f8` scalar (or one-element array); `None` otherwise.
    pub(crate) fn to_f64_scalar(&self) -> Option<f64> {
        let bytes: [u8; 8] = self.data.try_into().ok()?;
        (self.dtype == Dtype::F64).then(|| f64::from_le_bytes(bytes))
    }
}

const MAGIC: &[u8] = b"\x93NUMPY";

/// Reads the array in `file` (the whole `.npy` file).
pub(crate) fn parse(file: &[u8]) -> Result<Array<'_>, NpyError> {
    if file.len() < MAGIC.len() + 2 {
        return Err(if file.starts_with(&MAGIC[..file.len().min(MAGIC.len())]) {
            NpyError::Truncated
        } else {
            NpyError::Magic
        });
    }
    if !file.starts_with(MAGIC) {
        return Err(NpyError::Magic);
    }
    let (major, minor) = (file[6], file[7]);
    let (len_bytes, rest) = match major {
        1 => (2, &file[8..]),
        2 | 3 => (4, &file[8..]),
        _ => return Err(NpyError::Version(major, minor)),
    };
    let len_field = rest.get(..len_bytes).ok_or(NpyError::Truncated)?;
    let header_len = len_field
        .iter()
        .rev()
        .fold(0usize, |acc, &b| acc << 8 | usize::from(b));
    let header = rest
        .get(len_bytes..len_bytes + header_len)
        .ok_or(NpyError::Truncated)?;
    let data = &rest[len_bytes + header_len..];
    let header = std::str::from_utf8(header).map_err(|_| NpyError::Header("not text".into()))?;
    let (dtype, fortran_order, shape) = parse_header(header)?;
    if fortran_order {
        return Err(NpyError::FortranOrder);
    }
    let expected = shape
        .iter()
        .try_fold(dtype.size(), |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| NpyError::Header("shape too large".into()))?;
    if data.len() != expected {
        return Err(NpyError::Length {
            expected,
            actual: data.len(),
        });
    }
    Ok(Array { dtype, shape, data })
}

/// The header dictionary: `{'descr': '<f4', 'fortran_order': False, 'shape': (512, 256), }`
/// with its keys in any order, padded with spaces and ended by a newline.
fn parse_header(header: &str) -> Result<(Dtype, bool, Vec<usize>), NpyError> {
    let bad = |what: &str| NpyError::Header(what.to_owned());
    let body = header
        .trim()
        .strip_prefix('{')
        .and_then(|h| h.strip_suffix('}'))
        .ok_or_else(|| bad("not a dictionary"))?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    let mut rest = body.trim_start();
    while !rest.is_empty() {
        let (key, after) = quoted(rest).ok_or_else(|| bad("expected a quoted key"))?;
        let after = after
            .trim_start()
            .strip_prefix(':')
            .ok_or_else(|| bad("expected ':'"))?
            .trim_start();
        let after = match key {
            "descr" => {
                let (value, after) = quoted(after).ok_or_else(|| bad("descr is not a string"))?;
                descr = Some(Dtype::parse(value)?);
                after
            }
            "fortran_order" => {
                let (value, after) = if let Some(a) = after.strip_prefix("False") {
                    (false, a)
                } else if let Some(a) = after.strip_prefix("True") {
                    (true, a)
                } else {
                    return Err(bad("fortran_order is not a boolean"));
                };
                fortran = Some(value);
                after
            }
            "shape" => {
                let inner = after
                    .strip_prefix('(')
                    .ok_or_else(|| bad("shape is not a tuple"))?;
                let end = inner.find(')').ok_or_else(|| bad("shape is not a tuple"))?;
                let dims = inner[..end]
                    .split(',')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(|d| {
                        d.parse::<usize>()
                            .map_err(|_| bad("shape holds a non-integer"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                shape = Some(dims);
                &inner[end + 1..]
            }
            _ => return Err(bad("unknown key")),
        };
        let after = after.trim_start();
        rest = match after.strip_prefix(',') {
            Some(a) => a.trim_start(),
            None if after.is_empty() => after,
            None => return Err(bad("expected ','")),
        };
    }
    match (descr, fortran, shape) {
        (Some(d), Some(f), Some(s)) => Ok((d, f, s)),
        _ => Err(bad("descr, fortran_order or shape missing")),
    }
}

/// A string in single (or double) quotes at the start of `s`, and what follows it.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let quote = s.chars().next().filter(|&c| c == '\'' || c == '"')?;
    let inner = &s[1..];
    let end = inner.find(quote)?;
    Some((&inner[..end], &inner[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version 1.0 file with `header` (padded as NumPy pads it) and `data`.
    fn npy(header: &str, data: &[u8]) -> Vec<u8> {
        let mut header = header.to_owned();
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn reads_arrays_and_scalars() {
        let data: Vec<u8> = [1.5f32, -2.0, 0.25, 8.0, 0.0, 1.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let file = npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
            &data,
        );
        let array = parse(&file).unwrap();
        assert_eq!((array.dtype, array.shape.clone()), (Dtype::F32, vec![2, 3]));
        assert_eq!(
            array.to_f32().unwrap(),
            vec![1.5, -2.0, 0.25, 8.0, 0.0, 1.0]
        );
        assert_eq!(array.to_f64_scalar(), None);

        let file = npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
            &1e-12f64.to_le_bytes(),
        );
        assert_eq!(parse(&file).unwrap().to_f64_scalar(), Some(1e-12));

        let file = npy(
            "{'shape': (4,), 'fortran_order': False, 'descr': '|u1'}",
            &[0, 1, 62, 63],
        );
        let array = parse(&file).unwrap();
        assert_eq!(
            (array.dtype, array.shape, array.data),
            (Dtype::U8, vec![4], &[0u8, 1, 62, 63][..])
        );
    }

    #[test]
    fn reads_version_2_headers() {
        let mut file = MAGIC.to_vec();
        let header = "{'descr': '|i1', 'fortran_order': False, 'shape': (1,), }\n";
        file.extend_from_slice(&[2, 0]);
        file.extend_from_slice(&(header.len() as u32).to_le_bytes());
        file.extend_from_slice(header.as_bytes());
        file.push(0xfa);
        assert_eq!(parse(&file).unwrap().dtype, Dtype::I8);
    }

    #[test]
    fn malformed_arrays_are_errors() {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
        let good = npy(header, &[0; 8]);
        assert_eq!(parse(b""), Err(NpyError::Truncated));
        assert_eq!(parse(b"PK\x03\x04 not npy"), Err(NpyError::Magic));
        assert_eq!(parse(&good[..9]), Err(NpyError::Truncated));
        assert_eq!(parse(&good[..40]), Err(NpyError::Truncated));
        assert_eq!(
            parse(&good[..good.len() - 1]),
            Err(NpyError::Length {
                expected: 8,
                actual: 7
            })
        );
        for len in 0..good.len() {
            assert!(parse(&good[..len]).is_err(), "{len} bytes");
        }
        let mut v9 = good.clone();
        v9[6] = 9;
        assert_eq!(parse(&v9), Err(NpyError::Version(9, 0)));
        assert_eq!(
            parse(&npy(
                "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
                &[0; 8]
            )),
            Err(NpyError::Dtype(">f4".into()))
        );
        assert_eq!(
            parse(&npy(
                "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",
                &[0; 8]
            )),
            Err(NpyError::FortranOrder)
        );
        for header in [
            "",
            "{",
            "{'descr': '<f4'}",
            "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (two,), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,) 'x': 1}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'other': 1}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999), }",
            "{'descr: '<f4'}",
        ] {
            assert!(matches!(parse(&npy(header, &[0; 8])), Err(NpyError::Header(_))), "{header}");
        }
    }
}

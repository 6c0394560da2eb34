//! weights.npz: a zip archive of `.npy` arrays, one per name (`proj2.npy`, `q1.npy`, ...),
//! read one array at a time and checked against the shape the encoder expects.

use std::io::{Read, Seek};

use thiserror::Error;
use zip::ZipArchive;

use crate::npy::{self, Dtype, NpyError};

/// The largest array member read (the 8-bit table chunks are 3.9 MB): a bound on what a
/// corrupt size field in the archive can make us allocate up front.
const MAX_ARRAY_BYTES: u64 = 64 << 20;

/// Why weights.npz could not be read.
#[derive(Debug, Error)]
pub enum WeightsError {
    #[error("not a zip archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("array {0} is missing")]
    Missing(String),
    #[error("array {name}: {source}")]
    Read {
        name: String,
        source: std::io::Error,
    },
    #[error("array {name}: {source}")]
    Npy { name: String, source: NpyError },
    #[error("array {name} is {actual}, expected {expected}")]
    Shape {
        name: String,
        expected: String,
        actual: String,
    },
}

/// An open weights.npz.
pub(crate) struct Npz<R> {
    zip: ZipArchive<R>,
}

impl<R: Read + Seek> Npz<R> {
    pub(crate) fn open(reader: R) -> Result<Self, WeightsError> {
        Ok(Npz {
            zip: ZipArchive::new(reader)?,
        })
    }

    /// The `.npy` file of the array `name`.
    fn file(&mut self, name: &str) -> Result<Vec<u8>, WeightsError> {
        let mut member = match self.zip.by_name(&format!("{name}.npy")) {
            Ok(member) => member,
            Err(zip::result::ZipError::FileNotFound) => {
                return Err(WeightsError::Missing(name.to_owned()))
            }
            Err(e) => return Err(e.into()),
        };
        let mut bytes = Vec::with_capacity(member.size().min(MAX_ARRAY_BYTES) as usize);
        member
            .by_ref()
            .take(MAX_ARRAY_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| WeightsError::Read {
                name: name.to_owned(),
                source,
            })?;
        Ok(bytes)
    }

    /// Reads the array `name`, which must have `dtype` and `shape`, and hands its data bytes
    /// to `use_data`.
    fn with_array<T>(
        &mut self,
        name: &str,
        dtype: Dtype,
        shape: &[usize],
        use_data: impl FnOnce(&npy::Array<'_>) -> T,
    ) -> Result<T, WeightsError> {
        let file = self.file(name)?;
        let array = npy::parse(&file).map_err(|source| WeightsError::Npy {
            name: name.to_owned(),
            source,
        })?;
        if array.dtype != dtype || array.shape != shape {
            return Err(WeightsError::Shape {
                name: name.to_owned(),
                expected: format!("{dtype:?} {shape:?}"),
                actual: format!("{:?} {:?}", array.dtype, array.shape),
            });
        }
        Ok(use_data(&array))
    }

    /// The `f32` array `name` of the given shape, row-major.
    pub(crate) fn f32(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>, WeightsError> {
        self.with_array(name, Dtype::F32, shape, |a| a.to_f32().unwrap_or_default())
    }

    /// The `f64` scalar `name`.
    pub(crate) fn f64_scalar(&mut self, name: &str) -> Result<f64, WeightsError> {
        self.with_array(name, Dtype::F64, &[], |a| {
            a.to_f64_scalar().unwrap_or_default()
        })
    }

    /// Reads the `u8` array `name` of the given shape and hands its bytes to `use_bytes`.
    pub(crate) fn u8_with(
        &mut self,
        name: &str,
        shape: &[usize],
        use_bytes: impl FnOnce(&[u8]),
    ) -> Result<(), WeightsError> {
        self.with_array(name, Dtype::U8, shape, |a| use_bytes(a.data))
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;

    use super::*;

    /// A version 1.0 `.npy` file.
    fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
        let header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}\n");
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    fn npz(members: &[(&str, Vec<u8>)]) -> Npz<Cursor<Vec<u8>>> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in members {
            zip.start_file(*name, SimpleFileOptions::default()).unwrap();
            zip.write_all(bytes).unwrap();
        }
        Npz::open(Cursor::new(zip.finish().unwrap().into_inner())).unwrap()
    }

    #[test]
    fn reads_arrays_by_name_and_checks_their_shape() {
        let floats: Vec<u8> = [1.0f32, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut npz = npz(&[
            ("w.npy", npy("<f4", "(2,)", &floats)),
            ("eps.npy", npy("<f8", "()", &0.5f64.to_le_bytes())),
            ("q.npy", npy("|u1", "(1, 3)", &[7, 8, 9])),
            ("junk.npy", b"junk".to_vec()),
        ]);
        assert_eq!(npz.f32("w", &[2]).unwrap(), vec![1.0, 2.0]);
        assert_eq!(npz.f64_scalar("eps").unwrap(), 0.5);
        let mut seen = Vec::new();
        npz.u8_with("q", &[1, 3], |bytes| seen = bytes.to_vec())
            .unwrap();
        assert_eq!(seen, vec![7, 8, 9]);

        assert!(matches!(
            npz.f32("w", &[3]),
            Err(WeightsError::Shape { .. })
        ));
        assert!(matches!(
            npz.f32("q", &[1, 3]),
            Err(WeightsError::Shape { .. })
        ));
        assert!(
            matches!(npz.f32("absent", &[2]), Err(WeightsError::Missing(name)) if name == "absent")
        );
        assert!(matches!(
            npz.f32("junk", &[2]),
            Err(WeightsError::Npy {
                source: NpyError::Magic,
                ..
            })
        ));
    }

    #[test]
    fn a_file_that_is_not_a_zip_is_an_error() {
        assert!(matches!(
            Npz::open(Cursor::new(b"not a zip".to_vec())),
            Err(WeightsError::Zip(_))
        ));
    }
}

//! Secrets read from files: Docker and Kubernetes hand secrets to a container as files, which
//! keeps them out of the environment (and out of `docker inspect` and the process list).

use std::fmt;
use std::path::PathBuf;

/// A secret read from a file while the command line is parsed, so that a missing, unreadable
/// or empty file stops the start at once, with the file's name.
#[derive(Clone)]
pub struct SecretFile {
    path: PathBuf,
    secret: String,
}

impl SecretFile {
    /// Reads the secret in `path`: its content without the trailing newline editors and
    /// `echo` add. Whitespace inside stays: it may be part of the secret.
    pub fn read(path: &str) -> Result<SecretFile, String> {
        let content =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let secret = content.trim_end_matches(['\n', '\r']);
        if secret.is_empty() {
            return Err(format!("{path} is empty"));
        }
        Ok(SecretFile {
            path: path.into(),
            secret: secret.to_owned(),
        })
    }

    pub fn secret(&self) -> &str {
        &self.secret
    }
}

/// The path only: configuration is logged and printed in errors, secrets never.
impl fmt::Debug for SecretFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretFile")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

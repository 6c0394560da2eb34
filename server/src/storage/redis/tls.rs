//! TLS to Redis beyond the defaults: a private certificate authority and a client certificate
//! (mutual TLS), read from PEM files. `rediss://` alone already verifies the server against the
//! system's trusted roots; managed and self-run Redis often use a CA of their own instead.

use std::path::{Path, PathBuf};

use redis::{ClientTlsConfig, TlsCertificates};

/// The PEM files of `--redis-ca-file`, `--redis-client-cert-file` and `--redis-client-key-file`.
#[derive(Clone, Debug, Default)]
pub struct RedisTlsFiles {
    /// The CA that signed the server's certificate; the only root trusted when set.
    pub ca: Option<PathBuf>,
    /// The certificate (chain) cocreate presents, and its private key: both or neither.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
}

/// A TLS setting that cannot work, found at start-up rather than at the first connection.
#[derive(Debug, thiserror::Error)]
pub enum RedisTlsError {
    #[error("could not read {flag} {}: {error}", path.display())]
    Unreadable {
        flag: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("--redis-client-cert-file and --redis-client-key-file go together: set both")]
    HalfClientIdentity,
    #[error("TLS files are set but the Redis URL does not start with rediss:// (TLS)")]
    NotTls,
    /// The sentinel client's certificates are not wired up yet.
    #[error("TLS files with --redis-sentinel-master are not supported yet")]
    WithSentinel,
}

impl RedisTlsFiles {
    /// The certificates to connect to `nodes` with; `None` when no file is set (the crate's
    /// defaults: system roots, no client certificate).
    pub(super) fn certificates(
        &self,
        nodes: &[&str],
    ) -> Result<Option<TlsCertificates>, RedisTlsError> {
        let client_tls = match (&self.client_cert, &self.client_key) {
            (Some(cert), Some(key)) => Some(ClientTlsConfig {
                client_cert: read("--redis-client-cert-file", cert)?,
                client_key: read("--redis-client-key-file", key)?,
            }),
            (None, None) => None,
            _ => return Err(RedisTlsError::HalfClientIdentity),
        };
        let root_cert = match &self.ca {
            Some(ca) => Some(read("--redis-ca-file", ca)?),
            None => None,
        };
        if client_tls.is_none() && root_cert.is_none() {
            return Ok(None);
        }
        if !nodes.iter().all(|node| node.starts_with("rediss://")) {
            return Err(RedisTlsError::NotTls);
        }
        Ok(Some(TlsCertificates {
            client_tls,
            root_cert,
        }))
    }
}

fn read(flag: &'static str, path: &Path) -> Result<Vec<u8>, RedisTlsError> {
    std::fs::read(path).map_err(|error| RedisTlsError::Unreadable {
        flag,
        path: path.to_owned(),
        error,
    })
}

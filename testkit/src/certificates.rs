//! Certificates for a TLS test Redis, made with the `openssl` command: a CA, a server
//! certificate for `localhost` and 127.0.0.1, and a client certificate, all signed by the CA.
//! Elliptic-curve keys: made in milliseconds.

use std::path::Path;
use std::process::Command;

/// What a missing openssl tells the person running the tests.
const NOT_INSTALLED: &str = "openssl (run scripts/install-test-deps.sh or `make test-deps`)";

/// Writes `ca.crt`, `server.crt` + `server.key` and `client.crt` + `client.key` into `dir`.
pub(crate) fn make(dir: &Path) {
    std::fs::write(
        dir.join("leaf.ext"),
        "basicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth,clientAuth\n\
         subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .expect("write the certificate extensions");
    new_key(
        dir,
        "ca.key",
        &[
            "-x509",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=cocreate test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    for leaf in ["server", "client"] {
        let csr = format!("{leaf}.csr");
        new_key(
            dir,
            &format!("{leaf}.key"),
            &["-out", &csr, "-subj", &format!("/CN=cocreate test {leaf}")],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &format!("{leaf}.crt"),
                "-days",
                "2",
                "-extfile",
                "leaf.ext",
            ],
        );
    }
}

/// `openssl req` with a new P-256 key written to `key` (unencrypted), and `rest` saying what
/// to make with it: a self-signed certificate or a signing request.
fn new_key(dir: &Path, key: &str, rest: &[&str]) {
    let mut args = vec![
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        key,
    ];
    args.extend_from_slice(rest);
    openssl(dir, &args);
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect(NOT_INSTALLED);
    assert!(
        output.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

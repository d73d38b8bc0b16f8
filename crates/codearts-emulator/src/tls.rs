//! HTTPS for the emulator: a certificate authority and a server certificate made at start.
//!
//! Clients test their TLS settings (a custom CA, refusing an unknown one) against it: the
//! server certificate names `127.0.0.1`, `::1` and `localhost`, and is signed by a CA made for
//! this process alone, whose certificate (PEM) the caller writes where its clients read it.
//! The keys live only in memory.

use std::path::Path;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The names the server certificate is valid for.
pub const SERVER_NAMES: &[&str] = &["127.0.0.1", "::1", "localhost"];

/// Why TLS could not be set up.
#[derive(Debug)]
pub struct TlsError(String);

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot set up TLS: {}", self.0)
    }
}

impl std::error::Error for TlsError {}

fn err(e: impl std::fmt::Display) -> TlsError {
    TlsError(e.to_string())
}

/// A fresh CA and server certificate, and the rustls configuration serving them.
#[derive(Clone)]
pub struct Tls {
    ca_pem: String,
    pub(crate) config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for Tls {
    // The configuration holds the server's private key: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("server_names", &SERVER_NAMES)
            .field("private_key", &"[redacted]")
            .finish()
    }
}

impl Tls {
    /// Makes a CA (ECDSA P-256) and a server certificate it signs for [`SERVER_NAMES`].
    pub fn generate() -> Result<Tls, TlsError> {
        let ca_key = KeyPair::generate().map_err(err)?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.distinguished_name
            .push(DnType::CommonName, "codearts-emulator local CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).map_err(err)?;

        let server_key = KeyPair::generate().map_err(err)?;
        let names: Vec<String> = SERVER_NAMES.iter().map(|s| (*s).to_owned()).collect();
        let mut server = CertificateParams::new(names).map_err(err)?;
        server
            .distinguished_name
            .push(DnType::CommonName, "codearts-emulator");
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let server_cert = server
            .signed_by(&server_key, &ca_cert, &ca_key)
            .map_err(err)?;

        let chain = vec![
            CertificateDer::from(server_cert.der().to_vec()),
            CertificateDer::from(ca_cert.der().to_vec()),
        ];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(err)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(err)?;
        // HTTP/1.1 only: the connection timeouts in `conn` are written for it.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            ca_pem: ca_cert.pem(),
            config: Arc::new(config),
        })
    }

    /// The CA certificate, PEM: what a client must trust to reach the emulator.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Writes the CA certificate (PEM) to `path`.
    pub fn write_ca(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, &self.ca_pem)
    }
}

//! Which servers a `wss://` connection trusts: the public web PKI
//! (webpki-roots) and, for a desk with a private CA, the certificates in
//! a PEM file. rustls with ring; no openssl.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::ClientError;

/// TLS settings for `wss://` URLs (`ws://` ignores them).
#[derive(Clone, Default)]
pub struct ClientTls {
    /// `None`: the public roots only.
    config: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTls")
            .field("private_ca", &self.config.is_some())
            .finish()
    }
}

/// The public roots and the operating system's trust store (where a
/// company's private CA is often installed). Read once.
fn base_roots() -> RootCertStore {
    static ROOTS: std::sync::OnceLock<RootCertStore> = std::sync::OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let native = rustls_native_certs::load_native_certs();
            // Unreadable system certificates are skipped, not fatal.
            let _ = roots.add_parsable_certificates(native.certs);
            roots
        })
        .clone()
}

fn config_with(roots: RootCertStore) -> Result<rustls::ClientConfig, rustls::Error> {
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

impl ClientTls {
    /// The public roots and the system's trust store.
    pub fn system() -> ClientTls {
        ClientTls {
            config: config_with(base_roots()).ok().map(Arc::new),
        }
    }

    /// Trusts the public roots and every certificate in the PEM file
    /// `path` (a private CA, or a self-signed server certificate).
    pub fn with_ca_file(path: &Path) -> Result<ClientTls, ClientError> {
        let bad = |why: String| ClientError::Tls(format!("CA file {}: {why}", path.display()));
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| bad(e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| bad(e.to_string()))?;
        if certs.is_empty() {
            return Err(bad("no PEM certificate in it".into()));
        }
        let mut roots = base_roots();
        for c in certs {
            roots
                .add(c)
                .map_err(|e| bad(format!("not a usable CA certificate: {e}")))?;
        }
        let config = config_with(roots).map_err(|e| bad(e.to_string()))?;
        Ok(ClientTls {
            config: Some(Arc::new(config)),
        })
    }

    /// The rustls config for plain HTTPS requests (files).
    pub(crate) fn client_config(&self) -> Arc<rustls::ClientConfig> {
        self.config.clone().unwrap_or_else(|| {
            Arc::new(
                config_with(base_roots()).expect("ring supports the default protocol versions"),
            )
        })
    }

    /// The connector for tungstenite: `None` uses its default (public roots).
    pub(crate) fn connector(&self) -> Option<tokio_tungstenite::Connector> {
        self.config
            .clone()
            .map(tokio_tungstenite::Connector::Rustls)
    }
}

//! TLS to the broker: the CA roots from a file or the system, as a rumqttc transport.

use std::sync::Arc;

use super::config::TlsConfig;
use crate::error::{ConnectError, ConnectErrorKind};

fn invalid(message: String) -> ConnectError {
    ConnectError::new(ConnectErrorKind::InvalidConfig, message)
}

/// The rumqttc transport for `tls`.
pub(crate) fn transport(tls: &TlsConfig) -> Result<rumqttc::Transport, ConnectError> {
    let mut roots = rustls::RootCertStore::empty();
    match &tls.ca_file {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| {
                invalid(format!("cannot read CA file {}: {e}", path.display())).with_source(e)
            })?;
            for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                let cert = cert.map_err(|e| {
                    invalid(format!("bad certificate in {}: {e}", path.display())).with_source(e)
                })?;
                roots.add(cert).map_err(|e| {
                    invalid(format!("unusable certificate in {}: {e}", path.display()))
                        .with_source(e)
                })?;
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                // A malformed system certificate is skipped, as browsers do.
                let _ = roots.add(cert);
            }
        }
    }
    if roots.is_empty() {
        return Err(invalid(
            "TLS is on but no CA certificate could be loaded".to_owned(),
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("TLS setup failed: {e}")).with_source(e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(rumqttc::Transport::tls_with_config(
        rumqttc::TlsConfiguration::Rustls(Arc::new(config)),
    ))
}

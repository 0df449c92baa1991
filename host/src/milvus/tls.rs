//! TLS to Milvus (`https://` URIs): which certificates are trusted, the gRPC channel, the
//! REST client of ImportV2 with the same trust, and handshake failures turned into messages
//! that say what was wrong (another host name, an unknown CA).
//!
//! Verified connections use tonic's own rustls set-up: the CA of `--ca-cert` alone when given,
//! else the system roots. `--insecure-skip-verify` cannot be expressed there (tonic has no
//! custom verifier), so it gets a small connector of its own: TCP, then rustls with a verifier
//! that accepts any certificate, speaking HTTP/2 (ALPN `h2`) to a plain-`http` endpoint so that
//! tonic does not add its own TLS on top.

use std::path::PathBuf;
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

use super::error::{MilvusError, Result};

/// How an `https://` server's certificate is checked.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// PEM file with the CA (or CAs) to trust instead of the system roots.
    pub ca_cert: Option<PathBuf>,
    /// Accept any certificate. For tests against self-signed servers only: anyone on the path
    /// can then read the token and the data.
    pub insecure_skip_verify: bool,
}

impl TlsOptions {
    fn ca_pem(&self) -> Result<Option<Vec<u8>>> {
        let Some(path) = &self.ca_cert else {
            return Ok(None);
        };
        let pem = std::fs::read(path)
            .map_err(|e| MilvusError::Usage(format!("--ca-cert {}: {e}", path.display())))?;
        if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
            return Err(MilvusError::Usage(format!(
                "--ca-cert {}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)",
                path.display()
            )));
        }
        Ok(Some(pem))
    }
}

/// Opens the gRPC channel to `uri` (normalised, `http://` or `https://`) on `endpoint`'s
/// settings; TLS errors name what the certificate check refused.
pub(super) async fn connect(endpoint: Endpoint, uri: &str, tls: &TlsOptions) -> Result<Channel> {
    let https = uri.starts_with("https://");
    if !https {
        if tls.ca_cert.is_some() || tls.insecure_skip_verify {
            return Err(MilvusError::Usage(format!(
                "--ca-cert and --insecure-skip-verify need an https:// URI (got {uri})"
            )));
        }
        return endpoint.connect().await.map_err(|e| connect_error(uri, &e));
    }
    if tls.insecure_skip_verify {
        let plain = format!("http://{}", &uri["https://".len()..]);
        let endpoint = Endpoint::from_shared(plain)
            .map_err(|e| MilvusError::BadUri {
                uri: uri.to_string(),
                reason: e.to_string(),
            })?
            .connect_timeout(std::time::Duration::from_secs(10))
            .tcp_nodelay(true)
            .http2_keep_alive_interval(std::time::Duration::from_secs(30))
            .keep_alive_while_idle(true);
        let connector = skip_verify_connector(uri)?;
        return endpoint
            .connect_with_connector(connector)
            .await
            .map_err(|e| connect_error(uri, &e));
    }
    let mut config = ClientTlsConfig::new();
    config = match tls.ca_pem()? {
        Some(pem) => config.ca_certificate(Certificate::from_pem(pem)),
        None => config.with_enabled_roots(),
    };
    let endpoint = endpoint.tls_config(config).map_err(|e| MilvusError::Tls {
        uri: uri.to_string(),
        reason: format!("TLS set-up: {}", chain(&e)),
    })?;
    endpoint.connect().await.map_err(|e| connect_error(uri, &e))
}

/// A REST client (ImportV2) that trusts what the gRPC channel trusts.
pub(super) fn http_client(tls: &TlsOptions) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder();
    if let Some(pem) = tls.ca_pem()? {
        let cert = reqwest::Certificate::from_pem(&pem)
            .map_err(|e| MilvusError::Usage(format!("--ca-cert: {e}")))?;
        builder = builder
            .tls_built_in_root_certs(false)
            .add_root_certificate(cert);
    }
    if tls.insecure_skip_verify {
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder
        .build()
        .map_err(|e| MilvusError::Usage(format!("HTTP client: {e}")))
}

/// A connect failure: a certificate the check refused becomes [`MilvusError::Tls`] saying why,
/// anything else [`MilvusError::Connect`].
fn connect_error(uri: &str, error: &(dyn std::error::Error + 'static)) -> MilvusError {
    if let Some(reason) = certificate_problem(uri, error) {
        return MilvusError::Tls {
            uri: uri.to_string(),
            reason,
        };
    }
    MilvusError::Connect {
        uri: uri.to_string(),
        reason: chain(error),
    }
}

/// Finds a rustls error in the chain (io::Error hides its inner error from `source()`).
fn rustls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(r) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(r);
        }
        current = e.source();
    }
    None
}

fn certificate_problem(uri: &str, error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let host = host_of(uri);
    let cert = match rustls_error(error)? {
        rustls::Error::InvalidCertificate(cert) => cert,
        rustls::Error::InvalidMessage(_) => {
            return Some(format!(
                "the server did not answer TLS (is it plain http://? then use an http:// URI): {}",
                chain(error)
            ));
        }
        other => return Some(format!("TLS handshake failed: {other}")),
    };
    Some(match cert {
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!(
                "the server's certificate is not valid for the host name `{host}` ({cert}); connect with a name the certificate lists"
            )
        }
        CertificateError::UnknownIssuer => format!(
            "the server's certificate for `{host}` is signed by an unknown CA: pass that CA with --ca-cert FILE (without it the system roots are used)"
        ),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            format!("the server's certificate has expired ({cert})")
        }
        other => format!("the server's certificate was refused: {other}"),
    })
}

fn host_of(uri: &str) -> &str {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    let end = rest
        .rfind(':')
        .filter(|&i| !rest[i..].contains(']'))
        .unwrap_or(rest.len());
    rest[..end].trim_start_matches('[').trim_end_matches(']')
}

/// The error and its causes on one line, with the TLS error rustls keeps inside (when the
/// causes did not already say it).
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = crate::error_chain::one_line(error);
    if let Some(r) = rustls_error(error) {
        crate::error_chain::push_new(&mut text, &r.to_string());
    }
    text
}

/// Accepts every certificate; signatures are still checked so the handshake is well-formed.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;
type TlsIo = TokioIo<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

/// TCP + rustls without certificate checks, for `--insecure-skip-verify`.
fn skip_verify_connector(
    uri: &str,
) -> Result<
    impl tower::Service<
        tonic::codegen::http::Uri,
        Response = TlsIo,
        Error = std::io::Error,
        Future = BoxFuture<std::io::Result<TlsIo>>,
    > + Send
    + Clone
    + 'static,
> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| MilvusError::Tls {
            uri: uri.to_string(),
            reason: format!("TLS set-up: {e}"),
        })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let host = host_of(uri).to_string();
    let name = ServerName::try_from(host.clone()).map_err(|e| MilvusError::BadUri {
        uri: uri.to_string(),
        reason: format!("`{host}` is not a TLS server name: {e}"),
    })?;
    let address = uri["https://".len()..].to_string();
    Ok(tower::service_fn(move |_: tonic::codegen::http::Uri| {
        let connector = connector.clone();
        let name = name.clone();
        let address = address.clone();
        Box::pin(async move {
            let tcp = tokio::net::TcpStream::connect(&address).await?;
            tcp.set_nodelay(true)?;
            let tls = connector.connect(name, tcp).await?;
            Ok(TokioIo::new(tls))
        }) as BoxFuture<_>
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_come_out_of_normalised_uris() {
        assert_eq!(host_of("https://localhost:19540"), "localhost");
        assert_eq!(host_of("https://127.0.0.2:1"), "127.0.0.2");
        assert_eq!(host_of("https://[::1]:19530"), "::1");
    }
}

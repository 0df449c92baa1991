//! Azure Blob Storage beyond what object_store offers: where the account lives (for messages),
//! which credential it was given, and `--create-bucket` as a Create Container request
//! (`PUT {account}/{container}?restype=container`) signed with Shared Key, or carrying a SAS
//! token or bearer token. Settings are object_store's `AZURE_*` variables, read the same way.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::Utc;
use hmac::{Hmac, Mac};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use sha2::Sha256;

use super::bucket::BucketOutcome;
use super::error::{Result, StorageError, redact};
use super::options::Secret;
use super::server_text::one_line;

/// The development account of Azurite (and the older storage emulator).
const EMULATOR_ACCOUNT: &str = "devstoreaccount1";
/// Its key, published in Microsoft's emulator documentation; object_store uses it by default
/// when `AZURE_STORAGE_USE_EMULATOR` is set and no key is given.
const EMULATOR_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/// REST API version sent with our own requests (the one object_store 0.12 sends).
const API_VERSION: &str = "2023-11-03";

/// How requests to the account are authorized.
#[derive(Debug, Clone)]
pub(crate) enum AzureAuth {
    /// Shared Key: the base64 account key.
    Key(Secret),
    /// A SAS token (query string, with or without the leading `?`).
    Sas(Secret),
    /// An OAuth bearer token.
    Bearer(Secret),
    /// Anything object_store obtains by itself (managed identity, client secret, Azure CLI):
    /// usable for data, not for our own requests.
    Discovered,
}

/// The account an `az://` location lives in.
#[derive(Debug, Clone)]
pub(crate) struct AzureAccount {
    pub account: String,
    /// The blob service URL containers hang off: `https://ACCOUNT.blob.core.windows.net`, an
    /// `AZURE_STORAGE_ENDPOINT`, or for the emulator `http://127.0.0.1:10000/devstoreaccount1`
    /// (path-style, as object_store addresses it).
    pub service: String,
    pub auth: AzureAuth,
}

fn truthy(value: Option<String>) -> bool {
    value.is_some_and(|v| {
        matches!(
            v.to_ascii_lowercase().as_str(),
            "1" | "true" | "on" | "yes" | "y"
        )
    })
}

impl AzureAccount {
    /// Reads the account from the builder object_store was configured with, resolving the same
    /// defaults (emulator account and key, `AZURITE_BLOB_STORAGE_URL`, public endpoint).
    pub fn from_builder(builder: &MicrosoftAzureBuilder) -> AzureAccount {
        let get = |key: AzureConfigKey| builder.get_config_value(&key).filter(|v| !v.is_empty());
        let emulator = truthy(get(AzureConfigKey::UseEmulator));
        let account = get(AzureConfigKey::AccountName)
            .or_else(|| emulator.then(|| EMULATOR_ACCOUNT.to_string()))
            .unwrap_or_default();
        let service = if emulator {
            let base = std::env::var("AZURITE_BLOB_STORAGE_URL")
                .unwrap_or_else(|_| "http://127.0.0.1:10000".into());
            format!("{}/{account}", base.trim_end_matches('/'))
        } else if let Some(endpoint) = get(AzureConfigKey::Endpoint) {
            endpoint.trim_end_matches('/').to_string()
        } else if truthy(get(AzureConfigKey::UseFabricEndpoint)) {
            format!("https://{account}.blob.fabric.microsoft.com")
        } else {
            format!("https://{account}.blob.core.windows.net")
        };
        // The order object_store tries them in (a bearer token before a key, except for the
        // emulator where a key wins).
        let key = get(AzureConfigKey::AccessKey).map(Secret::new);
        let token = get(AzureConfigKey::Token).map(Secret::new);
        let sas = get(AzureConfigKey::SasKey).map(Secret::new);
        let auth = if emulator {
            key.map(AzureAuth::Key)
                .or(token.map(AzureAuth::Bearer))
                .or(sas.map(AzureAuth::Sas))
                .unwrap_or(AzureAuth::Key(Secret::new(EMULATOR_KEY)))
        } else {
            token
                .map(AzureAuth::Bearer)
                .or(key.map(AzureAuth::Key))
                .or(sas.map(AzureAuth::Sas))
                .unwrap_or(AzureAuth::Discovered)
        };
        AzureAccount {
            account,
            service,
            auth,
        }
    }

    /// Credentials to keep out of messages.
    pub fn secrets(&self) -> Vec<String> {
        match &self.auth {
            AzureAuth::Key(s) | AzureAuth::Sas(s) | AzureAuth::Bearer(s) => {
                vec![s.expose().to_string()]
            }
            AzureAuth::Discovered => Vec::new(),
        }
    }
}

/// The Shared Key `Authorization` header of a request without body or standard headers
/// besides the `x-ms-*` ones (`ms_headers`, lower-case names) and the query (`query`, sorted
/// by name). See "Authorize with Shared Key" in the Azure Storage REST reference.
fn shared_key(
    method: &str,
    account: &str,
    path: &str,
    ms_headers: &[(&str, &str)],
    query: &[(&str, &str)],
    key: &str,
) -> std::result::Result<String, String> {
    let key = BASE64
        .decode(key.trim())
        .map_err(|_| "the account key is not valid base64".to_string())?;
    // VERB, then Content-Encoding, -Language, -Length (empty for 0), -MD5, -Type, Date,
    // If-Modified-Since, If-Match, If-None-Match, If-Unmodified-Since, Range: all empty.
    let mut to_sign = format!("{method}\n{}", "\n".repeat(11));
    let mut headers: Vec<_> = ms_headers.to_vec();
    headers.sort();
    for (name, value) in headers {
        to_sign.push_str(&format!("{name}:{}\n", value.trim()));
    }
    to_sign.push_str(&format!("/{account}{path}"));
    for (name, value) in query {
        to_sign.push_str(&format!("\n{}:{value}", name.to_ascii_lowercase()));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(to_sign.as_bytes());
    let signature = BASE64.encode(mac.finalize().into_bytes());
    Ok(format!("SharedKey {account}:{signature}"))
}

/// Creates `container` in `account` (the caller has checked it is missing). A container that
/// appeared meanwhile counts as existing.
pub(crate) async fn create_container(
    account: &AzureAccount,
    container: &str,
    extra_secrets: &[String],
) -> Result<BucketOutcome> {
    let mut secrets = account.secrets();
    secrets.extend_from_slice(extra_secrets);
    let target = format!("az://{container}");
    let mut url = url::Url::parse(&format!("{}/{container}", account.service)).map_err(|e| {
        StorageError::Config {
            url: target.clone(),
            reason: format!("Azure endpoint `{}`: {e}", account.service),
        }
    })?;
    let date = Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let authorization = match &account.auth {
        AzureAuth::Key(key) => {
            url.set_query(Some("restype=container"));
            let auth = shared_key(
                "PUT",
                &account.account,
                url.path(),
                &[("x-ms-date", &date), ("x-ms-version", API_VERSION)],
                &[("restype", "container")],
                key.expose(),
            )
            .map_err(|reason| StorageError::Config {
                url: target.clone(),
                reason: format!("AZURE_STORAGE_ACCOUNT_KEY: {reason}"),
            })?;
            Some(auth)
        }
        AzureAuth::Bearer(token) => {
            url.set_query(Some("restype=container"));
            Some(format!("Bearer {}", token.expose()))
        }
        AzureAuth::Sas(sas) => {
            // The token's own signature covers the request; it travels in the query.
            let sas = sas.expose().trim_start_matches('?');
            url.set_query(Some(&format!("restype=container&{sas}")));
            None
        }
        AzureAuth::Discovered => {
            return Err(StorageError::Usage(format!(
                "--create-bucket for {target}: creating an Azure container needs an account key (AZURE_STORAGE_ACCOUNT_KEY), a SAS token (AZURE_STORAGE_SAS_TOKEN) or a bearer token (AZURE_STORAGE_TOKEN); with other credentials create it first (`az storage container create --name {container}`)"
            )));
        }
    };
    let mut request = reqwest::Client::new()
        .put(url)
        .header("x-ms-date", &date)
        .header("x-ms-version", API_VERSION)
        .header("content-length", "0");
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    let failed = |reason: String| StorageError::Store {
        url: target.clone(),
        op: "create container",
        reason: redact(&reason, &secrets),
    };
    let response = request
        .send()
        .await
        .map_err(|e| failed(super::error::chain(&e)))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status.is_success() {
        return Ok(BucketOutcome::Created);
    }
    if status.as_u16() == 409 && body.contains("ContainerAlreadyExists") {
        return Ok(BucketOutcome::Existed);
    }
    let reason = one_line(&format!("HTTP {status}: {body}"));
    if status.as_u16() == 403 || status.as_u16() == 401 {
        return Err(StorageError::Denied {
            url: target.clone(),
            reason: redact(
                &format!(
                    "Create Container: {reason}; the credential may not be allowed to create containers"
                ),
                &secrets,
            ),
        });
    }
    Err(failed(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signature computed for the same request by the `azure-storage-blob` Python package
    /// (12.31.1, `SharedKeyCredentialPolicy`), so the string-to-sign matches the SDK's.
    #[test]
    fn shared_key_matches_the_python_sdk() {
        let date = "Sun, 29 Nov 2026 08:40:00 GMT";
        let auth = shared_key(
            "PUT",
            EMULATOR_ACCOUNT,
            "/devstoreaccount1/mi-new",
            &[("x-ms-version", API_VERSION), ("x-ms-date", date)],
            &[("restype", "container")],
            EMULATOR_KEY,
        )
        .unwrap();
        assert_eq!(
            auth,
            "SharedKey devstoreaccount1:Vf7Yfy3Km0WL5lyssjz0huzNO3FqAzMegAe/qG2r2kQ="
        );
        assert!(shared_key("PUT", "a", "/c", &[], &[], "not base64!").is_err());
    }

    #[test]
    fn emulator_settings_resolve_like_object_store() {
        let builder = MicrosoftAzureBuilder::new()
            .with_use_emulator(true)
            .with_container_name("c");
        let account = AzureAccount::from_builder(&builder);
        assert_eq!(account.account, EMULATOR_ACCOUNT);
        assert!(
            account.service.ends_with("/devstoreaccount1"),
            "{account:?}"
        );
        assert!(matches!(account.auth, AzureAuth::Key(_)));
        let builder = MicrosoftAzureBuilder::new().with_account("acct");
        let account = AzureAccount::from_builder(&builder);
        assert_eq!(account.service, "https://acct.blob.core.windows.net");
        assert!(matches!(account.auth, AzureAuth::Discovered));
    }
}

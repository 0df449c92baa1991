//! `--create-bucket`: object_store has no bucket management, so this sends one S3
//! `CreateBucket` request signed with AWS Signature Version 4 (path-style, to the endpoint the
//! store uses), or for `az://` an Azure Create Container request ([`super::azure`]). S3
//! credentials must be given as keys (flags, `AWS_*` variables or a profile), not discovered
//! from instance metadata. GCS buckets are not created (the flag says so).

use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::error::{Result, StorageError, redact};
use super::location::Location;
use super::store::Store;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The `Authorization` header value of a SigV4-signed request.
#[allow(clippy::too_many_arguments)]
fn authorization(
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, String)],
    payload_hash: &str,
    amz_date: &str,
    region: &str,
    access_key: &str,
    secret: &str,
) -> String {
    let date = &amz_date[..8];
    let mut all: Vec<(String, String)> = vec![("host".into(), host.to_string())];
    all.extend(
        headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string())),
    );
    all.sort();
    let canonical_headers: String = all.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed: Vec<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
    let signed = signed.join(";");
    let canonical = format!("{method}\n{path}\n\n{canonical_headers}\n{signed}\n{payload_hash}");
    let scope = format!("{date}/{region}/s3/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date);
    let k_region = hmac(&k_date, region);
    let k_service = hmac(&k_region, "s3");
    let k_signing = hmac(&k_service, "aws4_request");
    let signature = hex::encode(hmac(&k_signing, &to_sign));
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
}

/// Whether the bucket was created or was already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketOutcome {
    Created,
    Existed,
}

/// Creates the bucket of `store` unless it exists already.
pub async fn ensure_bucket(store: &Store) -> Result<BucketOutcome> {
    match store.check_access().await {
        Ok(()) => return Ok(BucketOutcome::Existed),
        Err(StorageError::NoBucket { .. }) => {}
        Err(e) => return Err(e),
    }
    let bucket = match &store.location {
        Location::S3 { bucket, .. } => bucket,
        Location::Azure { container, .. } => {
            let account = store
                .azure
                .as_ref()
                .expect("Store::open reads the account of every az:// location");
            return super::azure::create_container(account, container, &store.secrets()).await;
        }
        Location::Gcs { bucket, .. } => {
            // Creating a GCS bucket needs a project and an OAuth token from the service
            // account: not something to send untested (see the README on GCS).
            return Err(StorageError::Usage(format!(
                "--create-bucket works for s3:// and az:// only; create gs://{bucket} first (`gcloud storage buckets create gs://{bucket}`)"
            )));
        }
        Location::Local(_) => {
            return Err(StorageError::Usage(format!(
                "--create-bucket: {} is a local directory",
                store.location
            )));
        }
    };
    let options = &store.options;
    let access = options
        .access_key_id
        .as_ref()
        .map(|s| s.expose().to_string())
        .or_else(|| std::env::var("AWS_ACCESS_KEY_ID").ok());
    let secret = options
        .secret_access_key
        .as_ref()
        .map(|s| s.expose().to_string())
        .or_else(|| std::env::var("AWS_SECRET_ACCESS_KEY").ok());
    let (Some(access), Some(secret)) = (access, secret) else {
        return Err(StorageError::Usage(
            "--create-bucket needs an access key and secret (flags, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile)".into(),
        ));
    };
    let token = options
        .session_token
        .as_ref()
        .map(|s| s.expose().to_string())
        .or_else(|| std::env::var("AWS_SESSION_TOKEN").ok());
    let region = store.region.as_str();
    let base = if store.endpoint.starts_with("http") {
        store.endpoint.clone()
    } else {
        format!("https://s3.{region}.amazonaws.com")
    };
    let url = url::Url::parse(&format!("{base}/{bucket}")).map_err(|e| StorageError::Config {
        url: store.location.to_string(),
        reason: format!("endpoint `{base}`: {e}"),
    })?;
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    let body = if region == "us-east-1" {
        String::new()
    } else {
        format!(
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{region}</LocationConstraint></CreateBucketConfiguration>"
        )
    };
    let payload_hash = hex::encode(Sha256::digest(body.as_bytes()));
    let amz_date = Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let mut headers = vec![
        ("x-amz-content-sha256", payload_hash.clone()),
        ("x-amz-date", amz_date.clone()),
    ];
    if let Some(token) = &token {
        headers.push(("x-amz-security-token", token.clone()));
    }
    let auth = authorization(
        "PUT",
        &host,
        url.path(),
        &headers,
        &payload_hash,
        &amz_date,
        region,
        &access,
        &secret,
    );
    let client = reqwest::Client::new();
    let mut request = client
        .put(url.clone())
        .header("authorization", auth)
        .body(body);
    for (k, v) in &headers {
        request = request.header(*k, v);
    }
    let secrets = options.secrets();
    let failed = |reason: String| StorageError::Store {
        url: format!("s3://{bucket}"),
        op: "create bucket",
        reason: redact(&reason, &secrets),
    };
    let response = request
        .send()
        .await
        .map_err(|e| failed(super::error::chain(&e)))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if status.is_success() || text.contains("BucketAlreadyOwnedByYou") {
        return Ok(BucketOutcome::Created);
    }
    let code = text
        .split("<Code>")
        .nth(1)
        .and_then(|t| t.split("</Code>").next())
        .unwrap_or("");
    let message = text
        .split("<Message>")
        .nth(1)
        .and_then(|t| t.split("</Message>").next())
        .unwrap_or(text.as_str());
    if status.as_u16() == 403 {
        return Err(StorageError::Denied {
            url: format!("s3://{bucket}"),
            reason: redact(
                &format!(
                    "CreateBucket: HTTP 403 {code}: {message}; the key may not be allowed to create buckets"
                ),
                &secrets,
            ),
        });
    }
    Err(failed(format!("HTTP {status} {code}: {message}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the AWS SigV4 documentation ("GET Object" with a Range header) signs to
    /// the published signature, so the signer is right byte for byte.
    #[test]
    fn signature_matches_the_aws_documentation_example() {
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let auth = authorization(
            "GET",
            "examplebucket.s3.amazonaws.com",
            "/test.txt",
            &[
                ("range", "bytes=0-9".to_string()),
                ("x-amz-content-sha256", empty.to_string()),
                ("x-amz-date", "20130524T000000Z".to_string()),
            ],
            empty,
            "20130524T000000Z",
            "us-east-1",
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        );
        assert!(
            auth.ends_with(
                "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
            ),
            "{auth}"
        );
        assert!(auth.contains("SignedHeaders=host;range;x-amz-content-sha256;x-amz-date"));
    }
}

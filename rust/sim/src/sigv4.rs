//! SigV4 helpers built on the `aws-sigv4` crate: parsing an `Authorization` header, recomputing
//! the signature a client must have produced (server side), and signing a request (for tests that
//! call the simulator's STS endpoint directly).

use std::borrow::Cow;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use chrono::{NaiveDateTime, TimeZone, Utc};
use http::HeaderMap;

/// The algorithm name this simulator verifies.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`
/// header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// The access key id of the credential scope.
    pub access_key_id: String,
    /// The scope date, `YYYYMMDD`.
    pub date: String,
    /// The scope region.
    pub region: String,
    /// The scope service.
    pub service: String,
    /// The signed header names, lower case, in the order given.
    pub signed_headers: Vec<String>,
    /// The hex signature.
    pub signature: String,
}

impl Authorization {
    /// Parses an `Authorization` header value; `None` when it is not a complete SigV4 header.
    pub fn parse(value: &str) -> Option<Authorization> {
        let rest = value.trim().strip_prefix(ALGORITHM)?;
        let (mut credential, mut signed, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (key, val) = part.trim().split_once('=')?;
            match key.trim() {
                "Credential" => credential = Some(val.trim()),
                "SignedHeaders" => signed = Some(val.trim()),
                "Signature" => signature = Some(val.trim()),
                _ => {}
            }
        }
        let mut scope = credential?.splitn(5, '/');
        let access_key_id = scope.next()?.to_string();
        let date = scope.next()?.to_string();
        let region = scope.next()?.to_string();
        let service = scope.next()?.to_string();
        if scope.next()? != "aws4_request" || access_key_id.is_empty() {
            return None;
        }
        let signed_headers: Vec<String> = signed?
            .split(';')
            .filter(|h| !h.is_empty())
            .map(|h| h.to_ascii_lowercase())
            .collect();
        let signature = signature?.to_string();
        if signed_headers.is_empty() || signature.is_empty() {
            return None;
        }
        Some(Authorization {
            access_key_id,
            date,
            region,
            service,
            signed_headers,
            signature,
        })
    }
}

/// Parses an `X-Amz-Date` value (`20260102T030405Z`).
pub fn parse_amz_date(value: &str) -> Option<chrono::DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(value.trim(), "%Y%m%dT%H%M%SZ").ok()?;
    Some(Utc.from_utc_datetime(&naive))
}

/// Formats a time as an `X-Amz-Date` value.
pub fn format_amz_date(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Recomputes the signature of a received request from exactly the headers the client signed.
///
/// `path_and_query` is the request target as received; `session_token` is the
/// `X-Amz-Security-Token` the client sent (it is part of the signature when signed).
#[allow(clippy::too_many_arguments)]
pub fn expected_signature(
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    body: &[u8],
    auth: &Authorization,
    secret_access_key: &str,
    session_token: Option<&str>,
    time: SystemTime,
) -> Result<String, String> {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for name in &auth.signed_headers {
        for value in headers.get_all(name.as_str()) {
            let value = value
                .to_str()
                .map_err(|_| format!("header {name} is not valid text"))?;
            pairs.push((name.as_str(), value));
        }
    }
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let uri = format!("http://{host}{path_and_query}");
    let signs = |h: &str| auth.signed_headers.iter().any(|s| s == h);
    // The signer always adds host, x-amz-date and the session token: leave out those the client
    // did not sign. Nothing else is excluded, so user-agent and amz-sdk-* headers count when signed.
    let excluded: Vec<Cow<'static, str>> = ["host", "x-amz-date", "x-amz-security-token"]
        .into_iter()
        .filter(|h| !signs(h))
        .map(Cow::Borrowed)
        .collect();
    let mut settings = SigningSettings::default();
    settings.excluded_headers = Some(excluded);
    let content_sha = headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok());
    let signable_body = match content_sha {
        Some(v) if signs("x-amz-content-sha256") && v == "UNSIGNED-PAYLOAD" => {
            SignableBody::UnsignedPayload
        }
        _ => SignableBody::Bytes(body),
    };
    let identity = Credentials::new(
        auth.access_key_id.clone(),
        secret_access_key.to_string(),
        session_token.map(str::to_string),
        None,
        "freshcreds-sim",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&auth.region)
        .name(&auth.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| format!("signing parameters: {e}"))?
        .into();
    let request = SignableRequest::new(method, uri, pairs.into_iter(), signable_body)
        .map_err(|e| format!("request: {e}"))?;
    let output = sign(request, &params).map_err(|e| format!("signing: {e}"))?;
    Ok(output.signature().to_string())
}

/// Signs a request the way an AWS SDK does (header signing) and returns the headers to add:
/// `authorization`, `x-amz-date` and, with a session token, `x-amz-security-token`.
///
/// `url` must be absolute (`http://127.0.0.1:PORT/`); `headers` are the other headers the request
/// will carry, and every one of them is signed (`user-agent` included, as some SDKs do).
#[allow(clippy::too_many_arguments)]
pub fn sign_request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    access_key_id: &str,
    secret_access_key: &str,
    session_token: Option<&str>,
    region: &str,
    service: &str,
    time: SystemTime,
) -> Result<Vec<(String, String)>, String> {
    let mut sign_everything = SigningSettings::default();
    sign_everything.excluded_headers = Some(Vec::new());
    let identity = Credentials::new(
        access_key_id.to_string(),
        secret_access_key.to_string(),
        session_token.map(str::to_string),
        None,
        "freshcreds-sim",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(sign_everything)
        .build()
        .map_err(|e| format!("signing parameters: {e}"))?
        .into();
    let request = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| format!("request: {e}"))?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(|e| format!("signing: {e}"))?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_header_with_spaces_and_scope_parses() {
        let a = Authorization::parse(
            "AWS4-HMAC-SHA256 Credential=AKID/20260102/us-east-1/sts/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, Signature=abcd",
        )
        .expect("parses");
        assert_eq!(a.access_key_id, "AKID");
        assert_eq!(a.date, "20260102");
        assert_eq!(a.region, "us-east-1");
        assert_eq!(a.service, "sts");
        assert_eq!(a.signed_headers, ["content-type", "host", "x-amz-date"]);
        assert_eq!(a.signature, "abcd");
    }

    #[test]
    fn authorization_header_without_signature_is_rejected() {
        assert!(Authorization::parse(
            "AWS4-HMAC-SHA256 Credential=AKID/20260102/us-east-1/sts/aws4_request, SignedHeaders=host"
        )
        .is_none());
        assert!(Authorization::parse("Basic dXNlcjpwYXNz").is_none());
    }

    #[test]
    fn signature_computed_by_signing_verifies_and_changes_with_the_body() {
        let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_767_000_000);
        let body = b"Action=GetCallerIdentity&Version=2011-06-15";
        let url = "http://127.0.0.1:4567/";
        let ct = "application/x-www-form-urlencoded; charset=utf-8";
        let added = sign_request(
            "POST",
            url,
            &[("content-type", ct), ("user-agent", "test/1.0")],
            body,
            "AKIDSIMSTATIC",
            "secret",
            Some("token"),
            "us-east-1",
            "sts",
            time,
        )
        .expect("signs");
        let mut headers = HeaderMap::new();
        headers.insert("host", "127.0.0.1:4567".parse().unwrap());
        headers.insert("content-type", ct.parse().unwrap());
        headers.insert("user-agent", "test/1.0".parse().unwrap());
        for (n, v) in &added {
            headers.insert(
                http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        let auth = Authorization::parse(headers["authorization"].to_str().unwrap()).unwrap();
        let check = |body: &[u8]| {
            expected_signature(
                "POST",
                "/",
                &headers,
                body,
                &auth,
                "secret",
                Some("token"),
                time,
            )
            .unwrap()
        };
        assert_eq!(check(body), auth.signature);
        assert_ne!(
            check(b"Action=GetCallerIdentity&Version=2011-06-16"),
            auth.signature
        );
    }
}

//! Bounded reads: IMDS and STS answers larger than their limits fail at once (not at the request
//! timeout), naming the endpoint and the limit. Served by a real loopback HTTP server that
//! answers every request with a body that never ends, or with a `Content-Length` over the limit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use freshcreds::clock::ManualClock;
use freshcreds::sources::http_body::{MAX_IMDS_RESPONSE_BYTES, MAX_STS_RESPONSE_BYTES};
use freshcreds::sources::imds::{ImdsConfig, ImdsCredentialsSource};
use freshcreds::sources::retry::RetryPolicy;
use freshcreds::sources::sts::{RoleRequest, StsClient, StsSettings};
use freshcreds::sources::CredentialSource;
use freshcreds::ErrorKind;

#[path = "support/oversized_server.rs"]
mod oversized_server;
use oversized_server::oversized_server;

/// The request timeout the clients get: an unbounded read would end here.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

fn one_attempt() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 1,
        base: Duration::ZERO,
        cap: Duration::ZERO,
    }
}

#[tokio::test]
async fn an_imds_answer_larger_than_the_limit_fails_at_once_naming_the_request_and_the_limit() {
    assert_eq!(MAX_IMDS_RESPONSE_BYTES, 64 * 1024);
    for declared in [None, Some(MAX_IMDS_RESPONSE_BYTES + 1)] {
        let (url, server) = oversized_server(declared).await;
        let config = ImdsConfig {
            timeout: REQUEST_TIMEOUT,
            retry: one_attempt(),
            ..ImdsConfig::builder().endpoint(&url).build().unwrap()
        };
        let source =
            ImdsCredentialsSource::new(config, Arc::new(ManualClock::new(chrono::Utc::now())))
                .unwrap();
        let started = Instant::now();
        let err = source.fetch().await.unwrap_err();
        let took = started.elapsed();
        server.abort();
        let text = err.full_message();
        assert!(
            text.contains(&format!("larger than {MAX_IMDS_RESPONSE_BYTES} bytes")),
            "{text}"
        );
        assert!(text.contains("IMDS") && text.contains(&url), "{text}");
        assert!(took < REQUEST_TIMEOUT, "{took:?}");
    }
}

#[tokio::test]
async fn an_sts_answer_larger_than_the_limit_fails_at_once_naming_the_action_and_the_limit() {
    assert_eq!(MAX_STS_RESPONSE_BYTES, 256 * 1024);
    for declared in [None, Some(MAX_STS_RESPONSE_BYTES + 1)] {
        let (url, server) = oversized_server(declared).await;
        let mut settings = StsSettings::with_endpoint(url.clone(), "us-east-1");
        settings.retry = one_attempt();
        settings.timeout = REQUEST_TIMEOUT;
        let sts = StsClient::new(settings).unwrap();
        let started = Instant::now();
        let err = sts
            .assume_role_with_web_identity(
                &RoleRequest::new("arn:aws:iam::123456789012:role/r"),
                "web-identity-token",
            )
            .await
            .unwrap_err();
        let took = started.elapsed();
        server.abort();
        assert_eq!(err.kind(), ErrorKind::Parse, "{}", err.full_message());
        let text = err.full_message();
        assert!(
            text.contains(&format!("larger than {MAX_STS_RESPONSE_BYTES} bytes")),
            "{text}"
        );
        assert!(text.contains("AssumeRoleWithWebIdentity"), "{text}");
        assert!(!text.contains("web-identity-token"), "{text}");
        assert!(took < REQUEST_TIMEOUT, "{took:?}");
    }
}

//! Hostile STS answers within the body size limit: a 256 KiB document of nested elements (the
//! most the body limit lets through) is refused at once, as a parse error naming the action and
//! the endpoint, and is not retried. Served by a real HTTP server on 127.0.0.1 that answers every
//! request with the same document.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use freshcreds::sources::http_body::MAX_STS_RESPONSE_BYTES;
use freshcreds::sources::retry::RetryPolicy;
use freshcreds::sources::sts::{RoleRequest, StsClient, StsSettings};
use freshcreds::ErrorKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// How long refusing a hostile answer may take, request included: a bounded parser needs
/// microseconds; the unbounded one was still parsing at the 10 s request deadline.
const REFUSED_WITHIN: Duration = Duration::from_secs(1);

/// `<a>x` repeated to exactly `MAX_STS_RESPONSE_BYTES`: 65 536 nested elements, each with text.
fn nested_document() -> String {
    let doc = "<a>x".repeat(MAX_STS_RESPONSE_BYTES / 4);
    assert_eq!(doc.len(), MAX_STS_RESPONSE_BYTES);
    doc
}

/// Answers every request with `status` and `body`; counts the requests.
async fn serve(status: u16, body: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let body = Arc::new(body);
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let (counted, body) = (counted.clone(), body.clone());
            tokio::spawn(async move {
                // The request is small: headers and form in one read are enough here.
                let mut buf = vec![0u8; 64 * 1024];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                counted.fetch_add(1, Ordering::SeqCst);
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(head.as_bytes()).await;
                let _ = conn.write_all(body.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    (url, requests)
}

fn client(url: &str) -> StsClient {
    let mut settings = StsSettings::with_endpoint(url, "us-east-1");
    // Retries allowed: the refusal must not use them.
    settings.retry = RetryPolicy {
        max_attempts: 3,
        base: Duration::ZERO,
        cap: Duration::ZERO,
    };
    StsClient::new(settings).unwrap()
}

#[tokio::test]
async fn a_256_kib_answer_of_nested_elements_is_refused_within_a_second_and_not_retried() {
    for status in [200, 400, 503] {
        let (url, requests) = serve(status, nested_document()).await;
        let sts = client(&url);
        let started = Instant::now();
        let err = sts
            .assume_role_with_web_identity(
                &RoleRequest::new("arn:aws:iam::123456789012:role/r"),
                "web-identity-token",
            )
            .await
            .unwrap_err();
        let took = started.elapsed();
        let text = err.full_message();
        assert_eq!(err.kind(), ErrorKind::Parse, "status {status}: {text}");
        assert!(!err.is_retryable(), "{text}");
        assert!(
            text.contains("AssumeRoleWithWebIdentity") && text.contains(&url),
            "{text}"
        );
        assert!(text.contains("nested deeper than"), "{text}");
        assert!(!text.contains("web-identity-token"), "{text}");
        assert!(took < REFUSED_WITHIN, "status {status}: took {took:?}");
        assert_eq!(requests.load(Ordering::SeqCst), 1, "status {status}");
    }
}

#[tokio::test]
async fn an_answer_of_more_elements_than_any_sts_answer_has_is_refused_and_not_retried() {
    // Flat, so within the depth limit: one root with 20 000 empty siblings.
    let doc = format!(
        "<AssumeRoleResponse>{}</AssumeRoleResponse>",
        "<b/>".repeat(20_000)
    );
    assert!(doc.len() < MAX_STS_RESPONSE_BYTES);
    let (url, requests) = serve(200, doc).await;
    let started = Instant::now();
    let err = client(&url)
        .assume_role_with_web_identity(&RoleRequest::new("arn:aws:iam::1:role/r"), "t")
        .await
        .unwrap_err();
    let text = err.full_message();
    assert_eq!(err.kind(), ErrorKind::Parse, "{text}");
    assert!(
        text.contains("more than") && text.contains("XML events"),
        "{text}"
    );
    assert!(text.contains(&url), "{text}");
    assert!(started.elapsed() < REFUSED_WITHIN);
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

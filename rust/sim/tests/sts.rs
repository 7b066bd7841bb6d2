//! STS of the simulator: SigV4 verification, AWS error shapes, expiry on simulator time,
//! AssumeRole and AssumeRoleWithWebIdentity, and the real AWS CLI as a client.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use freshcreds_sim::sigv4::sign_request;
use freshcreds_sim::tools::{available_or_skip, AWS_CLI};
use freshcreds_sim::{
    Endpoint, Fault, SimConfig, Simulator, STATIC_ACCESS_KEY_ID, STATIC_SECRET_ACCESS_KEY,
};

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";
const GCI: &str = "Action=GetCallerIdentity&Version=2011-06-15";
const USER_AGENT: &str = "freshcreds-sim-test/1.0";

#[derive(Clone, Debug)]
struct Keys {
    akid: String,
    secret: String,
    token: Option<String>,
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

async fn imds_keys(sim: &Simulator) -> Keys {
    let body = http()
        .get(format!(
            "{}/latest/meta-data/iam/security-credentials/freshcreds-sim-role",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    Keys {
        akid: v["AccessKeyId"].as_str().unwrap().to_string(),
        secret: v["SecretAccessKey"].as_str().unwrap().to_string(),
        token: Some(v["Token"].as_str().unwrap().to_string()),
    }
}

fn static_keys() -> Keys {
    Keys {
        akid: STATIC_ACCESS_KEY_ID.to_string(),
        secret: STATIC_SECRET_ACCESS_KEY.to_string(),
        token: None,
    }
}

/// Signs `signed_body` at `at` and sends `sent_body` (the same unless a test tampers with it).
async fn call_with(
    sim: &Simulator,
    keys: &Keys,
    signed_body: &str,
    sent_body: &str,
    at: DateTime<Utc>,
    sent_user_agent: &str,
) -> (u16, String) {
    let url = format!("{}/", sim.base_url());
    let added = sign_request(
        "POST",
        &url,
        &[("content-type", FORM), ("user-agent", USER_AGENT)],
        signed_body.as_bytes(),
        &keys.akid,
        &keys.secret,
        keys.token.as_deref(),
        "us-east-1",
        "sts",
        SystemTime::from(at),
    )
    .unwrap();
    let mut req = http()
        .post(url)
        .header("content-type", FORM)
        .header("user-agent", sent_user_agent)
        .body(sent_body.to_string());
    for (name, value) in added {
        req = req.header(name, value);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn call(sim: &Simulator, keys: &Keys, body: &str) -> (u16, String) {
    call_with(sim, keys, body, body, sim.now(), USER_AGENT).await
}

#[tokio::test]
async fn caller_identity_signed_with_imds_credentials_names_the_role() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let keys = imds_keys(&sim).await;
    let (status, body) = call(&sim, &keys, GCI).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    ));
    assert_eq!(
        tag(&body, "Arn"),
        Some("arn:aws:sts::123456789012:assumed-role/freshcreds-sim-role/i-sim")
    );
    assert_eq!(tag(&body, "Account"), Some("123456789012"));
    assert!(tag(&body, "UserId").unwrap().ends_with(":i-sim"));
    assert!(tag(&body, "RequestId").is_some());
    let c = sim.counts();
    assert_eq!((c.sts, c.sts_ok), (1, 1));
}

#[tokio::test]
async fn static_test_key_is_accepted_as_a_user() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (status, body) = call(&sim, &static_keys(), GCI).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        tag(&body, "Arn"),
        Some("arn:aws:iam::123456789012:user/freshcreds-sim-user")
    );
}

#[tokio::test]
async fn tampered_body_or_signed_user_agent_gives_signature_does_not_match() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let keys = imds_keys(&sim).await;
    let now = sim.now();
    let (status, body) = call_with(&sim, &keys, GCI, &format!("{GCI}&X=1"), now, USER_AGENT).await;
    assert_eq!(status, 403);
    assert_eq!(tag(&body, "Code"), Some("SignatureDoesNotMatch"));
    assert_eq!(tag(&body, "Type"), Some("Sender"));
    let (status, body) = call_with(&sim, &keys, GCI, GCI, now, "other-agent/2.0").await;
    assert_eq!(status, 403);
    assert_eq!(tag(&body, "Code"), Some("SignatureDoesNotMatch"));
    let wrong_secret = Keys {
        secret: "not-the-secret".into(),
        ..keys.clone()
    };
    let (status, body) = call(&sim, &wrong_secret, GCI).await;
    assert_eq!(status, 403);
    assert_eq!(tag(&body, "Code"), Some("SignatureDoesNotMatch"));
    assert_eq!(sim.counts().sts_signature_mismatch, 3);
    assert_eq!(sim.counts().sts_ok, 0);
}

#[tokio::test]
async fn unknown_key_or_mismatched_token_is_an_invalid_client_token_id() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let unknown = Keys {
        akid: "ASIAUNKNOWNUNKNOWN00".into(),
        secret: "x".into(),
        token: Some("t".into()),
    };
    let (status, body) = call(&sim, &unknown, GCI).await;
    assert_eq!(status, 403);
    assert_eq!(tag(&body, "Code"), Some("InvalidClientTokenId"));
    assert_eq!(
        tag(&body, "Message"),
        Some("The security token included in the request is invalid.")
    );
    let keys = imds_keys(&sim).await;
    let other_token = Keys {
        token: Some("some-other-token".into()),
        ..keys
    };
    let (status, body) = call(&sim, &other_token, GCI).await;
    assert_eq!(status, 403);
    assert_eq!(tag(&body, "Code"), Some("InvalidClientTokenId"));
}

#[tokio::test]
async fn credentials_past_their_expiration_get_expired_token() {
    let sim = Simulator::start(SimConfig::default().credential_lifetime(Duration::from_secs(900)))
        .await
        .unwrap();
    let keys = imds_keys(&sim).await;
    sim.advance_time(Duration::from_secs(899));
    assert_eq!(call(&sim, &keys, GCI).await.0, 200);
    sim.advance_time(Duration::from_secs(2));
    let (status, body) = call(&sim, &keys, GCI).await;
    assert_eq!(status, 403);
    assert_eq!(tag(&body, "Code"), Some("ExpiredToken"));
    assert_eq!(
        tag(&body, "Message"),
        Some("The security token included in the request is expired")
    );
    assert_eq!(sim.counts().sts_expired_token, 1);
}

#[tokio::test]
async fn requests_signed_far_from_server_time_are_rejected_with_the_aws_wording() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let keys = static_keys();
    let old = sim.now() - chrono::Duration::minutes(10);
    let (status, body) = call_with(&sim, &keys, GCI, GCI, old, USER_AGENT).await;
    assert_eq!(status, 403);
    assert_eq!(tag(&body, "Code"), Some("SignatureDoesNotMatch"));
    let message = tag(&body, "Message").unwrap();
    assert!(message.starts_with("Signature expired: "), "{message}");
    assert!(message.contains(" is now earlier than "), "{message}");
    assert!(message.ends_with(" - 5 min.)"), "{message}");

    let future = sim.now() + chrono::Duration::minutes(10);
    let (status, body) = call_with(&sim, &keys, GCI, GCI, future, USER_AGENT).await;
    assert_eq!(status, 403);
    assert!(tag(&body, "Message")
        .unwrap()
        .starts_with("Signature not yet current: "));

    let slightly_off = sim.now() - chrono::Duration::minutes(4);
    let (status, _) = call_with(&sim, &keys, GCI, GCI, slightly_off, USER_AGENT).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_sigv4_window_is_judged_on_the_simulator_clock_alone() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let keys = imds_keys(&sim).await;
    sim.advance_time(Duration::from_secs(1800));
    let (status, body) = call_with(&sim, &keys, GCI, GCI, Utc::now(), USER_AGENT).await;
    assert_eq!(
        status, 403,
        "a client 30 minutes behind the server is refused: {body}"
    );
    assert!(tag(&body, "Message")
        .unwrap()
        .starts_with("Signature expired: "));
    let (status, body) = call(&sim, &keys, GCI).await;
    assert_eq!(status, 200, "signed on the simulator clock: {body}");
}

#[tokio::test]
async fn a_skewed_simulator_clock_moves_the_date_header_and_the_sigv4_window_together() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let keys = static_keys();
    let before = Utc::now();
    sim.set_clock_skew(chrono::Duration::minutes(10));
    let server_now = sim.now();
    assert!(
        (server_now - before - chrono::Duration::minutes(10))
            .num_seconds()
            .abs()
            <= 2
    );
    let (status, body) = call_with(&sim, &keys, GCI, GCI, Utc::now(), USER_AGENT).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(tag(&body, "Code"), Some("SignatureDoesNotMatch"));
    assert_eq!(sim.counts().sts_signature_mismatch, 1);
    let resp = http()
        .get(format!(
            "{}/latest/meta-data/iam/security-credentials/",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap();
    let date: DateTime<Utc> = httpdate::parse_http_date(resp.headers()["date"].to_str().unwrap())
        .unwrap()
        .into();
    assert!(
        (date - Utc::now() - chrono::Duration::minutes(10))
            .num_seconds()
            .abs()
            <= 2,
        "IMDS shows the skewed clock too: {date}"
    );
    let (status, body) = call(&sim, &keys, GCI).await;
    assert_eq!(status, 200, "signed on the server's clock: {body}");
    sim.set_clock_skew(chrono::Duration::zero());
    let (status, _) = call_with(&sim, &keys, GCI, GCI, Utc::now(), USER_AGENT).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn with_the_switch_on_sts_accepts_expired_credentials_and_counts_them() {
    let sim = Simulator::start(SimConfig::default().credential_lifetime(Duration::from_secs(900)))
        .await
        .unwrap();
    let keys = imds_keys(&sim).await;
    sim.advance_time(Duration::from_secs(901));
    assert_eq!(
        tag(&call(&sim, &keys, GCI).await.1, "Code"),
        Some("ExpiredToken")
    );
    sim.set_settings(freshcreds_sim::SimSettings {
        sts_accepts_expired: true,
        ..Default::default()
    });
    let (status, body) = call(&sim, &keys, GCI).await;
    assert_eq!(status, 200, "{body}");
    let c = sim.counts();
    assert_eq!((c.sts_expired_token, c.sts_accepted_expired), (1, 1));
}

#[tokio::test]
async fn unsigned_request_or_unknown_action_is_refused() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let resp = http()
        .post(format!("{}/", sim.base_url()))
        .header("content-type", FORM)
        .body(GCI)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let body = resp.text().await.unwrap();
    assert_eq!(tag(&body, "Code"), Some("MissingAuthenticationToken"));
    let (status, body) = call(&sim, &static_keys(), "Action=Nope&Version=2011-06-15").await;
    assert_eq!(status, 400);
    assert_eq!(tag(&body, "Code"), Some("InvalidAction"));
}

#[tokio::test]
async fn signed_get_with_query_string_is_verified() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let url = format!("{}/?{GCI}", sim.base_url());
    let keys = static_keys();
    let added = sign_request(
        "GET",
        &url,
        &[],
        b"",
        &keys.akid,
        &keys.secret,
        None,
        "us-east-1",
        "sts",
        SystemTime::from(sim.now()),
    )
    .unwrap();
    let mut req = http().get(&url);
    for (name, value) in added {
        req = req.header(name, value);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn sts_faults_answer_retryable_errors_in_the_sts_shape() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.set_fault(Endpoint::Sts, Fault::default().status(503).times(1));
    let (status, body) = call(&sim, &static_keys(), GCI).await;
    assert_eq!(status, 503);
    assert_eq!(tag(&body, "Code"), Some("ServiceUnavailable"));
    assert_eq!(call(&sim, &static_keys(), GCI).await.0, 200);
}

fn assume_role_body(duration: Option<u32>) -> String {
    let mut body = "Action=AssumeRole&Version=2011-06-15\
                    &RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fapp%2Ftarget-role\
                    &RoleSessionName=sess-1&ExternalId=ext-123"
        .to_string();
    if let Some(d) = duration {
        body.push_str(&format!("&DurationSeconds={d}"));
    }
    body
}

fn keys_from(body: &str) -> Keys {
    Keys {
        akid: tag(body, "AccessKeyId").unwrap().to_string(),
        secret: tag(body, "SecretAccessKey").unwrap().to_string(),
        token: Some(tag(body, "SessionToken").unwrap().to_string()),
    }
}

#[tokio::test]
async fn assume_role_mints_session_credentials_for_the_requested_duration() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let caller = imds_keys(&sim).await;
    let (status, body) = call(&sim, &caller, &assume_role_body(Some(900))).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<AssumeRoleResult>"));
    assert_eq!(
        tag(&body, "Arn"),
        Some("arn:aws:sts::111122223333:assumed-role/target-role/sess-1")
    );
    let exp: DateTime<Utc> = tag(&body, "Expiration").unwrap().parse().unwrap();
    let lifetime = (exp - sim.now()).num_seconds();
    assert!((895..=900).contains(&lifetime), "lifetime {lifetime}");

    let assumed = keys_from(&body);
    let (status, who) = call(&sim, &assumed, GCI).await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(
        tag(&who, "Arn"),
        Some("arn:aws:sts::111122223333:assumed-role/target-role/sess-1")
    );
    let calls = sim.assume_role_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].external_id.as_deref(), Some("ext-123"));
    assert_eq!(calls[0].role_session_name.as_deref(), Some("sess-1"));
    assert_eq!(calls[0].signed_by.as_deref(), Some(caller.akid.as_str()));
    assert_eq!(sim.counts().sts_assume_role, 1);

    sim.advance_time(Duration::from_secs(901));
    let (status, body) = call(&sim, &assumed, GCI).await;
    assert_eq!(status, 403);
    assert_eq!(tag(&body, "Code"), Some("ExpiredToken"));
}

#[tokio::test]
async fn assume_role_duration_outside_900_to_43200_is_a_validation_error() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    for d in [899, 43201] {
        let (status, body) = call(&sim, &static_keys(), &assume_role_body(Some(d))).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(tag(&body, "Code"), Some("ValidationError"));
    }
    let (status, body) = call(&sim, &static_keys(), &assume_role_body(None)).await;
    assert_eq!(status, 200, "{body}");
    let exp: DateTime<Utc> = tag(&body, "Expiration").unwrap().parse().unwrap();
    assert!((exp - sim.now()).num_seconds() > 3500);
}

#[tokio::test]
async fn assume_role_with_web_identity_is_unsigned_and_needs_a_token() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let send = |token: &str| {
        let body = format!(
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15\
             &RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb-role\
             &RoleSessionName=web-sess&WebIdentityToken={token}"
        );
        let url = format!("{}/", sim.base_url());
        async move {
            let resp = http()
                .post(url)
                .header("content-type", FORM)
                .body(body)
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let (status, body) = send("").await;
    assert_eq!(status, 400);
    assert_eq!(tag(&body, "Code"), Some("InvalidIdentityToken"));
    let (status, body) = send("eyJhbGciOi.test.token").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<AssumeRoleWithWebIdentityResult>"));
    let assumed = keys_from(&body);
    let (status, who) = call(&sim, &assumed, GCI).await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(
        tag(&who, "Arn"),
        Some("arn:aws:sts::123456789012:assumed-role/web-role/web-sess")
    );
    assert_eq!(sim.counts().sts_assume_role_web_identity, 1);
    let calls = sim.assume_role_calls();
    assert_eq!(
        calls.last().unwrap().web_identity_token.as_deref(),
        Some("eyJhbGciOi.test.token")
    );
}

/// Runs `aws sts get-caller-identity` against the simulator.
fn aws_cli(sim_url: &str, keys: &Keys) -> std::process::Output {
    let mut cmd = std::process::Command::new("aws");
    cmd.args(["sts", "get-caller-identity", "--output", "json"])
        .args(["--endpoint-url", sim_url, "--region", "us-east-1"])
        .env("AWS_ACCESS_KEY_ID", &keys.akid)
        .env("AWS_SECRET_ACCESS_KEY", &keys.secret)
        .env("AWS_CONFIG_FILE", "/nonexistent/freshcreds-sim/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/freshcreds-sim/credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env_remove("AWS_PROFILE");
    match &keys.token {
        Some(t) => cmd.env("AWS_SESSION_TOKEN", t),
        None => cmd.env_remove("AWS_SESSION_TOKEN"),
    };
    cmd.output().expect("running aws")
}

#[tokio::test]
async fn aws_cli_accepts_issued_credentials_and_reports_expired_token_after_expiry() {
    if !available_or_skip(
        AWS_CLI,
        "aws_cli_accepts_issued_credentials_and_reports_expired_token_after_expiry",
    ) {
        return;
    }
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let keys = imds_keys(&sim).await;
    let url = sim.base_url();
    let k = keys.clone();
    let ok = tokio::task::spawn_blocking(move || aws_cli(&url, &k))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "aws failed: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        stdout.contains("assumed-role/freshcreds-sim-role/i-sim"),
        "{stdout}"
    );

    drop(keys);

    // Credentials whose expiration has passed (the simulator clock is not moved: the CLI signs
    // on the real clock, and the SigV4 window is judged on the simulator's).
    sim.set_fault(
        Endpoint::ImdsCredentials,
        Fault::default().expired_credentials(),
    );
    let keys = imds_keys(&sim).await;
    let url = sim.base_url();
    let k = keys.clone();
    let expired = tokio::task::spawn_blocking(move || aws_cli(&url, &k))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&expired.stderr);
    assert!(!expired.status.success());
    assert!(stderr.contains("ExpiredToken"), "{stderr}");
    assert!(
        stderr.contains("The security token included in the request is expired"),
        "{stderr}"
    );

    sim.set_settings(freshcreds_sim::SimSettings {
        sts_accepts_expired: true,
        ..Default::default()
    });
    let url = sim.base_url();
    let k = keys.clone();
    let accepted = tokio::task::spawn_blocking(move || aws_cli(&url, &k))
        .await
        .unwrap();
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    assert_eq!(sim.counts().sts_accepted_expired, 1);

    // A server clock 10 minutes ahead: the CLI, on the real clock, is refused.
    sim.set_settings(freshcreds_sim::SimSettings {
        clock_skew_secs: 600,
        ..Default::default()
    });
    let url = sim.base_url();
    let k = static_keys();
    let skewed = tokio::task::spawn_blocking(move || aws_cli(&url, &k))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&skewed.stderr);
    assert!(
        !skewed.status.success(),
        "the AWS CLI does not correct for skew"
    );
    assert!(stderr.contains("Signature expired"), "{stderr}");
}

#[tokio::test]
async fn a_revoked_key_gets_expired_token_before_its_expiry_while_imds_already_serves_a_new_one() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let old = imds_keys(&sim).await;
    assert_eq!(call(&sim, &old, GCI).await.0, 200);

    assert_eq!(sim.revoke(None), vec![old.akid.clone()]);
    let (status, body) = call(&sim, &old, GCI).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(tag(&body, "Type"), Some("Sender"));
    assert_eq!(tag(&body, "Code"), Some("ExpiredToken"));
    assert_eq!(
        tag(&body, "Message"),
        Some("The security token included in the request is expired")
    );
    assert!(tag(&body, "RequestId").is_some());

    let new = imds_keys(&sim).await;
    assert_ne!(
        new.akid, old.akid,
        "IMDS serves a new key after the revocation"
    );
    assert_eq!(call(&sim, &new, GCI).await.0, 200);
    let c = sim.counts();
    assert_eq!((c.sts_revoked, c.sts_expired_token, c.sts_ok), (1, 0, 2));
}

#[tokio::test]
async fn the_admin_api_revokes_a_named_key_and_reset_forgets_revocations() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let keys = imds_keys(&sim).await;
    let admin = |path: String| {
        let url = format!("{}/_sim/{path}", sim.base_url());
        async move {
            let r = http().post(url).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.text().await.unwrap())
        }
    };
    let (status, body) = admin(format!("revoke?access_key_id={}", keys.akid)).await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["revoked"], serde_json::json!([keys.akid]));
    assert_eq!(
        tag(&call(&sim, &keys, GCI).await.1, "Code"),
        Some("ExpiredToken")
    );

    assert_eq!(admin("reset".into()).await.0, 200);
    assert_eq!(
        call(&sim, &keys, GCI).await.0,
        200,
        "reset forgets the revocation"
    );
}

#[tokio::test]
async fn an_sts_fault_with_a_code_answers_that_error_code_in_the_sts_shape() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let keys = imds_keys(&sim).await;
    sim.set_fault(
        Endpoint::Sts,
        Fault::default().status(403).code("ExpiredToken").times(1),
    );
    let (status, body) = call(&sim, &keys, GCI).await;
    assert_eq!(status, 403);
    assert_eq!(tag(&body, "Code"), Some("ExpiredToken"));
    assert_eq!(tag(&body, "Type"), Some("Sender"));
    assert_eq!(call(&sim, &keys, GCI).await.0, 200, "only once");
}

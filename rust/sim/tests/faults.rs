//! Fault injection and the admin API, over real HTTP.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use freshcreds_sim::{Counts, Endpoint, Fault, SimConfig, Simulator};

mod common;
use common::{get_json, post};

const CREDS: &str = "/latest/meta-data/iam/security-credentials/freshcreds-sim-role";

fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder().timeout(timeout).build().unwrap()
}

async fn get_creds(sim: &Simulator) -> reqwest::Result<reqwest::Response> {
    client(Duration::from_secs(5))
        .get(format!("{}{CREDS}", sim.base_url()))
        .send()
        .await
}

/// A simulator whose IMDS credentials endpoint has `fault`.
async fn with_creds_fault(fault: Fault) -> Simulator {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.set_fault(Endpoint::ImdsCredentials, fault);
    sim
}

async fn status_of(sim: &Simulator) -> u16 {
    get_creds(sim).await.unwrap().status().as_u16()
}

#[tokio::test]
async fn status_fault_with_times_fails_that_many_requests_then_behaves() {
    let sim = with_creds_fault(Fault::default().status(500).times(2)).await;
    assert_eq!(status_of(&sim).await, 500);
    assert_eq!(status_of(&sim).await, 500);
    assert_eq!(status_of(&sim).await, 200);
    assert_eq!(sim.counts().imds_credentials, 3);
    assert_eq!(sim.issued(), 1);
}

#[tokio::test]
async fn status_fault_without_times_applies_until_cleared() {
    let sim = with_creds_fault(Fault::default().status(503)).await;
    for _ in 0..3 {
        assert_eq!(status_of(&sim).await, 503);
    }
    sim.clear_faults();
    assert_eq!(status_of(&sim).await, 200);
}

#[tokio::test]
async fn fault_on_one_endpoint_leaves_the_others_alone() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.set_fault(Endpoint::ImdsToken, Fault::default().status(500));
    assert_eq!(status_of(&sim).await, 200);
}

#[tokio::test]
async fn dropped_connection_gives_the_client_an_error_and_no_answer() {
    let sim = with_creds_fault(Fault::default().drop_connection().times(1)).await;
    let started = Instant::now();
    let err = get_creds(&sim)
        .await
        .expect_err("connection must be dropped");
    assert!(!err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(status_of(&sim).await, 200);
}

#[tokio::test]
async fn hung_request_is_never_answered_until_the_client_gives_up() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.set_fault(Endpoint::ImdsToken, Fault::default().hang());
    let err = client(Duration::from_millis(300))
        .put(format!("{}/latest/api/token", sim.base_url()))
        .header("X-aws-ec2-metadata-token-ttl-seconds", "60")
        .send()
        .await
        .expect_err("must time out");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(sim.counts().imds_token, 1);
    // Shutdown does not wait for held requests.
    tokio::time::timeout(Duration::from_secs(5), sim.shutdown())
        .await
        .expect("shutdown completes");
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let sim = with_creds_fault(Fault::default().latency_ms(300)).await;
    let started = Instant::now();
    assert_eq!(status_of(&sim).await, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn full_throttle_rate_answers_429_and_zero_rate_never_does() {
    let sim = with_creds_fault(Fault::default().throttle_rate(1.0)).await;
    for _ in 0..5 {
        assert_eq!(status_of(&sim).await, 429);
    }
    sim.set_fault(
        Endpoint::ImdsCredentials,
        Fault::default().throttle_rate(0.0),
    );
    for _ in 0..5 {
        assert_eq!(status_of(&sim).await, 200);
    }
}

#[tokio::test]
async fn malformed_json_fault_returns_an_unparseable_document() {
    let sim = with_creds_fault(Fault::default().malformed_json().times(1)).await;
    let body = get_creds(&sim).await.unwrap().text().await.unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&body).is_err());
    let body = get_creds(&sim).await.unwrap().text().await.unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&body).is_ok());
}

#[tokio::test]
async fn expired_credentials_fault_serves_an_expiration_in_the_past() {
    let sim = with_creds_fault(Fault::default().expired_credentials()).await;
    let body = get_creds(&sim).await.unwrap().text().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let exp: DateTime<Utc> = v["Expiration"].as_str().unwrap().parse().unwrap();
    assert!(exp < sim.now());
}

#[tokio::test]
async fn code_fault_replaces_success() {
    let sim = with_creds_fault(Fault::default().code("Failure")).await;
    let body = get_creds(&sim).await.unwrap().text().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["Code"], "Failure");
}

#[tokio::test]
async fn date_skew_fault_shifts_the_date_header() {
    let sim = with_creds_fault(Fault::default().date_skew_secs(-1800)).await;
    let resp = get_creds(&sim).await.unwrap();
    let date = httpdate::parse_http_date(resp.headers()["date"].to_str().unwrap()).unwrap();
    let date: DateTime<Utc> = date.into();
    let skew = (date - sim.now()).num_seconds();
    assert!((-1802..=-1798).contains(&skew), "skew {skew}");
}

#[tokio::test]
async fn admin_api_drives_faults_counts_time_and_rotation() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let http = client(Duration::from_secs(5));
    let base = sim.base_url();
    let health = http
        .get(format!("{base}/_sim/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    let set = post(
        &http,
        format!("{base}/_sim/faults/imds_credentials"),
        r#"{"status": 500, "times": 1}"#,
    )
    .await;
    assert_eq!(set.status(), 200);
    assert_eq!(status_of(&sim).await, 500);
    assert_eq!(status_of(&sim).await, 200);

    let bad = post(&http, format!("{base}/_sim/faults/nowhere"), "{}").await;
    assert_eq!(bad.status(), 404);

    let counts: Counts = get_json(&http, format!("{base}/_sim/counts")).await;
    assert_eq!(counts.imds_credentials, 2);

    let before = sim.now();
    let adv = http
        .post(format!("{base}/_sim/advance?seconds=600"))
        .send()
        .await
        .unwrap();
    assert_eq!(adv.status(), 200);
    assert!((sim.now() - before).num_seconds() >= 600);

    let issued = sim.issued();
    http.post(format!("{base}/_sim/rotate"))
        .send()
        .await
        .unwrap();
    assert_eq!(status_of(&sim).await, 200);
    assert_eq!(sim.issued(), issued + 1);

    post(
        &http,
        format!("{base}/_sim/faults/imds_credentials"),
        r#"{"status": 503}"#,
    )
    .await;
    let reset = http
        .post(format!("{base}/_sim/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    assert_eq!(sim.counts(), Counts::default());
    assert_eq!(status_of(&sim).await, 200);

    post(
        &http,
        format!("{base}/_sim/faults/imds_credentials"),
        r#"{"status": 503}"#,
    )
    .await;
    http.delete(format!("{base}/_sim/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(status_of(&sim).await, 200);
}

#[tokio::test]
async fn a_fault_with_an_unknown_field_is_refused_with_400_naming_the_field() {
    // A misspelt field used to be ignored: the fault was set and did nothing.
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let http = client(Duration::from_secs(5));
    for path in ["faults/imds_credentials", "sequences/imds_credentials"] {
        let body = if path.starts_with("faults") {
            r#"{"statuss": 503, "times": 2}"#
        } else {
            r#"[{"statuss": 503}]"#
        };
        let refused = http
            .post(format!("{}/_sim/{path}", sim.base_url()))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400, "{path}");
        let text = refused.text().await.unwrap();
        assert!(text.contains("unknown field `statuss`"), "{path}: {text}");
    }
    assert_eq!(status_of(&sim).await, 200, "nothing was set");
    assert_eq!(sim.counts().faults_served, 0);
    assert!(serde_json::from_str::<Fault>(r#"{"latency": 5}"#).is_err());
}

#[tokio::test]
async fn the_counts_say_which_faults_were_served() {
    let sim = with_creds_fault(Fault::default().status(503).times(2).latency_ms(10)).await;
    for _ in 0..3 {
        status_of(&sim).await;
    }
    sim.set_fault(Endpoint::ImdsCredentials, Fault::default().hang().times(1));
    assert!(client(Duration::from_millis(200))
        .get(format!("{}{CREDS}", sim.base_url()))
        .send()
        .await
        .is_err());
    sim.set_fault(
        Endpoint::ImdsCredentials,
        Fault::default().drop_connection().times(1),
    );
    assert!(get_creds(&sim).await.is_err());
    // Set and never served: a fault on an endpoint nobody asks.
    sim.set_fault(Endpoint::Container, Fault::default().status(500));
    let c = sim.counts();
    assert_eq!(
        (
            c.faults_status,
            c.faults_hung,
            c.faults_dropped,
            c.faults_latency
        ),
        (2, 1, 1, 3),
        "{c:?}"
    );
    assert_eq!(c.faults_served, 5, "{c:?}");
    assert_eq!(c.imds_credentials, 5);
    assert_eq!(
        c.imds_credentials_faulted, 4,
        "the latency-only answer is the endpoint's"
    );
    assert_eq!(c.container_faulted, 0);
}

#[test]
fn fault_json_uses_snake_case_fields_and_defaults() {
    let f: Fault = serde_json::from_str(r#"{"drop_connection": true, "times": 3}"#).unwrap();
    assert!(f.drop_connection);
    assert_eq!(f.times, Some(3));
    assert_eq!(f.status, None);
    let e: Endpoint = serde_json::from_str(r#""imds_role_list""#).unwrap();
    assert_eq!(e, Endpoint::ImdsRoleList);
}

#[tokio::test]
async fn a_fault_sequence_applies_one_step_per_request_then_the_standing_fault() {
    let sim = with_creds_fault(Fault::default().status(500).times(1)).await;
    let status = |s: u16| Fault::default().status(s);
    sim.set_fault_sequence(
        Endpoint::ImdsCredentials,
        vec![
            status(503),
            status(503),
            Fault::default().hang(),
            Fault::default(),
        ],
    );
    assert_eq!(sim.fault_sequence_remaining(Endpoint::ImdsCredentials), 4);
    assert_eq!(status_of(&sim).await, 503);
    assert_eq!(status_of(&sim).await, 503);
    let held = client(Duration::from_millis(300))
        .get(format!("{}{CREDS}", sim.base_url()))
        .send()
        .await;
    assert!(held.unwrap_err().is_timeout(), "the third step hangs");
    assert_eq!(
        status_of(&sim).await,
        200,
        "the fourth step is a normal answer"
    );
    assert_eq!(sim.fault_sequence_remaining(Endpoint::ImdsCredentials), 0);
    assert_eq!(status_of(&sim).await, 500, "then the standing fault, once");
    assert_eq!(status_of(&sim).await, 200);
    assert_eq!(sim.counts().imds_credentials, 6);
}

#[tokio::test]
async fn fault_sequences_and_settings_are_set_over_the_admin_api_and_cleared_by_reset() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let http = client(Duration::from_secs(5));
    let base = sim.base_url();
    let set = post(
        &http,
        format!("{base}/_sim/sequences/imds_credentials"),
        r#"[{"status": 503}, {}, {"status": 429}]"#,
    )
    .await;
    assert_eq!(set.status(), 200);
    assert_eq!(status_of(&sim).await, 503);
    assert_eq!(status_of(&sim).await, 200);
    assert_eq!(status_of(&sim).await, 429);
    assert_eq!(status_of(&sim).await, 200);
    let bad = post(
        &http,
        format!("{base}/_sim/sequences/imds_credentials"),
        r#"{"status": 503}"#,
    )
    .await;
    assert_eq!(bad.status(), 400, "a sequence is an array");

    let set = post(
        &http,
        format!("{base}/_sim/settings"),
        r#"{"clock_skew_secs": -600, "sts_accepts_expired": true}"#,
    )
    .await;
    assert_eq!(set.status(), 200);
    let settings = sim.settings();
    assert_eq!(settings.clock_skew_secs, -600);
    assert!(settings.sts_accepts_expired);
    let shown: serde_json::Value = get_json(&http, format!("{base}/_sim/settings")).await;
    assert_eq!(shown["clock_skew_secs"], -600);
    let typo = post(
        &http,
        format!("{base}/_sim/settings"),
        r#"{"clock_skew": 1}"#,
    )
    .await;
    assert_eq!(typo.status(), 400, "unknown settings are refused");
    post(
        &http,
        format!("{base}/_sim/sequences/sts"),
        r#"[{"status": 503}]"#,
    )
    .await;
    http.post(format!("{base}/_sim/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(sim.settings(), freshcreds_sim::SimSettings::default());
    assert_eq!(sim.fault_sequence_remaining(Endpoint::Sts), 0);
}

#[tokio::test]
async fn a_pinned_date_fault_sets_the_date_header_to_that_time() {
    let sim = with_creds_fault(Fault::default().date_unix_secs(0)).await;
    let resp = get_creds(&sim).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["date"].to_str().unwrap(),
        "Thu, 01 Jan 1970 00:00:00 GMT"
    );
    let body: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    let exp: DateTime<Utc> = body["Expiration"].as_str().unwrap().parse().unwrap();
    assert!(exp > Utc::now(), "only the header is pinned");
}

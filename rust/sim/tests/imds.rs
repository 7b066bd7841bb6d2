//! IMDS behaviour of the simulator, over real HTTP.

use std::time::Duration;

use chrono::{DateTime, Utc};
use freshcreds_sim::{Counts, SimConfig, Simulator};

const TOKEN_PATH: &str = "/latest/api/token";
const CREDS_PATH: &str = "/latest/meta-data/iam/security-credentials/";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

async fn token(sim: &Simulator, ttl: &str) -> reqwest::Response {
    client()
        .put(format!("{}{TOKEN_PATH}", sim.base_url()))
        .header("X-aws-ec2-metadata-token-ttl-seconds", ttl)
        .send()
        .await
        .unwrap()
}

async fn get(sim: &Simulator, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = client().get(format!("{}{path}", sim.base_url()));
    if let Some(t) = token {
        req = req.header("X-aws-ec2-metadata-token", t);
    }
    req.send().await.unwrap()
}

async fn creds(sim: &Simulator, token: &str) -> serde_json::Value {
    let resp = get(
        sim,
        &format!("{CREDS_PATH}freshcreds-sim-role"),
        Some(token),
    )
    .await;
    assert_eq!(resp.status(), 200);
    serde_json::from_str(&resp.text().await.unwrap()).unwrap()
}

fn time(v: &serde_json::Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn token_role_list_and_credentials_follow_the_ec2_shapes() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let resp = token(&sim, "21600").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["x-aws-ec2-metadata-token-ttl-seconds"],
        "21600"
    );
    let tok = resp.text().await.unwrap();
    assert!(!tok.is_empty());

    let list = get(&sim, CREDS_PATH, Some(&tok)).await;
    assert_eq!(list.status(), 200);
    assert_eq!(list.text().await.unwrap(), "freshcreds-sim-role");

    let c = creds(&sim, &tok).await;
    assert_eq!(c["Code"], "Success");
    assert_eq!(c["Type"], "AWS-HMAC");
    let akid = c["AccessKeyId"].as_str().unwrap();
    assert!(akid.starts_with("ASIA") && akid.len() == 20, "{akid}");
    assert!(!c["SecretAccessKey"].as_str().unwrap().is_empty());
    assert!(!c["Token"].as_str().unwrap().is_empty());
    let exp_text = c["Expiration"].as_str().unwrap();
    assert!(
        exp_text.ends_with('Z') && !exp_text.contains('.'),
        "{exp_text}"
    );
    let lifetime = time(&c["Expiration"]) - time(&c["LastUpdated"]);
    assert_eq!(lifetime, chrono::Duration::seconds(3600));
    assert_eq!(sim.issued(), 1);
    assert_eq!(
        sim.counts(),
        Counts {
            imds_token: 1,
            imds_role_list: 1,
            imds_credentials: 1,
            ..Counts::default()
        }
    );
}

#[tokio::test]
async fn same_credentials_are_served_until_the_rotation_lead_then_fresh_ones() {
    let sim = Simulator::start(
        SimConfig::default()
            .credential_lifetime(Duration::from_secs(3600))
            .imds_rotation_lead(Duration::from_secs(300)),
    )
    .await
    .unwrap();
    let tok = token(&sim, "21600").await.text().await.unwrap();
    let first = creds(&sim, &tok).await;
    sim.advance_time(Duration::from_secs(3600 - 300 - 60));
    let still = creds(&sim, &tok).await;
    assert_eq!(first["AccessKeyId"], still["AccessKeyId"]);
    assert_eq!(first["Expiration"], still["Expiration"]);
    sim.advance_time(Duration::from_secs(61));
    let next = creds(&sim, &tok).await;
    assert_ne!(first["AccessKeyId"], next["AccessKeyId"]);
    assert!(time(&next["Expiration"]) > time(&first["Expiration"]));
    assert_eq!(sim.issued(), 2);
}

#[tokio::test]
async fn rotate_now_makes_the_next_request_mint_fresh_credentials() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let tok = token(&sim, "60").await.text().await.unwrap();
    let first = creds(&sim, &tok).await;
    sim.rotate_now();
    let second = creds(&sim, &tok).await;
    let third = creds(&sim, &tok).await;
    assert_ne!(first["AccessKeyId"], second["AccessKeyId"]);
    assert_eq!(second["AccessKeyId"], third["AccessKeyId"]);
}

#[tokio::test]
async fn token_requests_with_x_forwarded_for_or_bad_ttl_are_refused() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let forwarded = client()
        .put(format!("{}{TOKEN_PATH}", sim.base_url()))
        .header("X-aws-ec2-metadata-token-ttl-seconds", "60")
        .header("X-Forwarded-For", "10.0.0.1")
        .send()
        .await
        .unwrap();
    assert_eq!(forwarded.status(), 403);
    for ttl in ["0", "21601", "abc", ""] {
        assert_eq!(token(&sim, ttl).await.status(), 400, "ttl {ttl:?}");
    }
    let no_ttl = client()
        .put(format!("{}{TOKEN_PATH}", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(no_ttl.status(), 400);
    let get_token = get(&sim, TOKEN_PATH, None).await;
    assert_eq!(get_token.status(), 405);
}

#[tokio::test]
async fn invalid_and_expired_tokens_are_unauthorized() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    assert_eq!(
        get(&sim, CREDS_PATH, Some("not-a-token")).await.status(),
        401
    );
    let tok = token(&sim, "60").await.text().await.unwrap();
    assert_eq!(get(&sim, CREDS_PATH, Some(&tok)).await.status(), 200);
    sim.advance_time(Duration::from_secs(61));
    assert_eq!(get(&sim, CREDS_PATH, Some(&tok)).await.status(), 401);
}

#[tokio::test]
async fn imdsv1_is_accepted_by_default_and_refused_when_disabled() {
    let open = Simulator::start(SimConfig::default()).await.unwrap();
    assert_eq!(get(&open, CREDS_PATH, None).await.status(), 200);
    let locked = Simulator::start(SimConfig {
        imds_v1_disabled: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    assert_eq!(get(&locked, CREDS_PATH, None).await.status(), 401);
    let tok = token(&locked, "60").await.text().await.unwrap();
    assert_eq!(get(&locked, CREDS_PATH, Some(&tok)).await.status(), 200);
}

#[tokio::test]
async fn unknown_role_is_not_found() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let resp = get(&sim, &format!("{CREDS_PATH}other-role"), None).await;
    assert_eq!(resp.status(), 404);
    assert_eq!(sim.issued(), 0);
}

#[tokio::test]
async fn date_header_follows_simulator_time() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.advance_time(Duration::from_secs(7200));
    let resp = token(&sim, "60").await;
    let date = httpdate::parse_http_date(resp.headers()["date"].to_str().unwrap()).unwrap();
    let date: DateTime<Utc> = date.into();
    let diff = (date - sim.now()).num_seconds().abs();
    assert!(diff <= 2, "Date header {date} vs simulator {}", sim.now());
    assert!((date - Utc::now()).num_seconds() > 7000);
}

#[tokio::test]
async fn simulator_answers_while_the_calling_thread_blocks() {
    let sim = Simulator::start_blocking(SimConfig::default()).unwrap();
    let url = format!("{}{CREDS_PATH}", sim.base_url());
    // A blocking client on a plain thread: no async runtime drives the simulator but its own.
    let status = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async { client().get(url).send().await.unwrap().status() })
    })
    .join()
    .unwrap();
    assert_eq!(status, 200);
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let url = format!("{}{CREDS_PATH}", sim.base_url());
    sim.shutdown().await;
    assert!(client().get(url).send().await.is_err());
}

//! The simulator's IAM Identity Center: the portal, OIDC CreateToken and their admin calls.

use std::time::Duration;

use freshcreds_sim::{SimConfig, Simulator};
use serde_json::{json, Value};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

async fn role_credentials(sim: &Simulator, token: &str) -> (u16, Value) {
    let resp = client()
        .get(format!(
            "{}/federation/credentials?account_id=123456789012&role_name=Dev",
            sim.base_url()
        ))
        .header("x-amz-sso_bearer_token", token)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn create_token(sim: &Simulator, body: Value) -> (u16, Value) {
    let resp = client()
        .post(format!("{}/token", sim.base_url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn admin(
    sim: &Simulator,
    method: reqwest::Method,
    path: &str,
    body: Option<&str>,
) -> (u16, String) {
    let mut req = client().request(method, format!("{}{path}", sim.base_url()));
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn the_portal_mints_role_credentials_for_a_live_token_only_with_the_expiry_in_milliseconds() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let login = sim.sso_login(Duration::from_secs(60));
    let (status, doc) = role_credentials(&sim, &login.access_token).await;
    assert_eq!(status, 200, "{doc}");
    let creds = &doc["roleCredentials"];
    assert!(creds["accessKeyId"].as_str().unwrap().starts_with("ASIA"));
    let ms = creds["expiration"].as_i64().unwrap();
    let left = ms / 1000 - sim.now().timestamp();
    assert!((3590..=3600).contains(&left), "{left}");

    assert_eq!(role_credentials(&sim, "not-a-token").await.0, 401);
    sim.advance_time(Duration::from_secs(61));
    let (status, doc) = role_credentials(&sim, &login.access_token).await;
    assert_eq!(status, 401, "an expired token is refused: {doc}");
    assert_eq!(sim.sso_counts().get_role_credentials, 3);
}

#[tokio::test]
async fn create_token_rotates_the_refresh_token_and_refuses_a_used_or_revoked_one() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let login = sim.sso_login(Duration::from_secs(60));
    let request = |refresh: &str| {
        json!({
            "clientId": login.client_id,
            "clientSecret": login.client_secret,
            "grantType": "refresh_token",
            "refreshToken": refresh,
        })
    };
    let (status, fresh) = create_token(&sim, request(&login.refresh_token)).await;
    assert_eq!(status, 200, "{fresh}");
    assert_eq!(fresh["expiresIn"], 3600);
    let new_refresh = fresh["refreshToken"].as_str().unwrap().to_string();
    assert_ne!(new_refresh, login.refresh_token);
    assert_eq!(
        role_credentials(&sim, fresh["accessToken"].as_str().unwrap())
            .await
            .0,
        200
    );

    let (status, err) = create_token(&sim, request(&login.refresh_token)).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("invalid_grant")),
        "a used refresh token"
    );

    let (status, _) = admin(
        &sim,
        reqwest::Method::POST,
        "/_sim/sso/settings",
        Some(r#"{"refresh_revoked":true}"#),
    )
    .await;
    assert_eq!(status, 200);
    let (status, err) = create_token(&sim, request(&new_refresh)).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("invalid_grant")),
        "revoked"
    );

    let (_, counts) = admin(&sim, reqwest::Method::GET, "/_sim/sso/counts", None).await;
    let counts: Value = serde_json::from_str(&counts).unwrap();
    assert_eq!(
        (
            counts["create_token"].as_u64(),
            counts["create_token_refused"].as_u64()
        ),
        (Some(3), Some(2))
    );
}

#[tokio::test]
async fn the_admin_api_logs_in_and_refuses_unknown_settings() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (status, text) = admin(
        &sim,
        reqwest::Method::POST,
        "/_sim/sso/login?seconds=120",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let login: Value = serde_json::from_str(&text).unwrap();
    for field in [
        "accessToken",
        "expiresAt",
        "refreshToken",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
    ] {
        assert!(login[field].is_string(), "{field} in {text}");
    }
    assert_eq!(
        role_credentials(&sim, login["accessToken"].as_str().unwrap())
            .await
            .0,
        200
    );
    let (status, text) = admin(
        &sim,
        reqwest::Method::POST,
        "/_sim/sso/settings",
        Some(r#"{"refresh_revokd":true}"#),
    )
    .await;
    assert_eq!(status, 400, "{text}");
}

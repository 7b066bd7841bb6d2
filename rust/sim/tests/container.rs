//! The container credentials endpoint of the simulator.

use std::time::Duration;

use freshcreds_sim::{Endpoint, Fault, SimConfig, Simulator};

async fn get(sim: &Simulator, auth: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
        .get(format!("{}/container/credentials", sim.base_url()));
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn container_credentials_have_the_ecs_shape_and_rotate_like_imds() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let first: serde_json::Value = get(&sim, None).await.json().await.unwrap();
    for field in ["AccessKeyId", "SecretAccessKey", "Token", "Expiration"] {
        assert!(
            first[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}"
        );
    }
    assert_eq!(
        first["RoleArn"],
        "arn:aws:iam::123456789012:role/freshcreds-sim-role"
    );
    let again: serde_json::Value = get(&sim, None).await.json().await.unwrap();
    assert_eq!(first["AccessKeyId"], again["AccessKeyId"]);
    sim.advance_time(Duration::from_secs(3600 - 299));
    let rotated: serde_json::Value = get(&sim, None).await.json().await.unwrap();
    assert_ne!(first["AccessKeyId"], rotated["AccessKeyId"]);
    assert_eq!(sim.counts().container, 3);
}

#[tokio::test]
async fn configured_authorization_token_is_required() {
    let sim = Simulator::start(SimConfig {
        container_auth_token: Some("Bearer sim-token".into()),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    assert_eq!(get(&sim, None).await.status(), 401);
    assert_eq!(get(&sim, Some("Bearer other")).await.status(), 403);
    assert_eq!(get(&sim, Some("Bearer sim-token")).await.status(), 200);
}

#[tokio::test]
async fn container_faults_apply() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.set_fault(Endpoint::Container, Fault::default().status(500).times(1));
    assert_eq!(get(&sim, None).await.status(), 500);
    sim.set_fault(Endpoint::Container, Fault::default().malformed_json());
    let body = get(&sim, None).await.text().await.unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&body).is_err());
}

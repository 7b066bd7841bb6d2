//! What the simulator's HTTP tests share: reading and writing its admin API over real HTTP.
#![allow(dead_code)]

/// `GET url` and its JSON answer.
pub async fn get_json<T: serde::de::DeserializeOwned>(http: &reqwest::Client, url: String) -> T {
    let answer = http.get(&url).send().await.unwrap();
    answer
        .json()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

/// `POST url` with `body`; the answer.
pub async fn post(http: &reqwest::Client, url: String, body: &str) -> reqwest::Response {
    http.post(url).body(body.to_string()).send().await.unwrap()
}

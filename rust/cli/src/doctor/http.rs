//! What the checks that make their own HTTP requests share: the `Date` header and the innermost
//! cause of a failed request.

use chrono::{DateTime, Utc};

/// The `Date` header of a response, when it has a valid one.
pub(super) fn http_date(resp: &reqwest::Response) -> Option<DateTime<Utc>> {
    resp.headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .map(DateTime::<Utc>::from)
}

/// The innermost cause of an error (e.g. `Connection refused (os error 111)`).
pub(super) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

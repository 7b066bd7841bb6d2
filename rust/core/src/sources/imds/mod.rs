//! The EC2 Instance Metadata Service (IMDS) source: instance-profile credentials.
//!
//! - [`ImdsConfig`] holds the settings; [`ImdsConfig::builder`] is the one way to resolve them
//!   (host settings, then the AWS SDK variables, then the profile, with the SDKs' endpoint rules).
//! - The IMDSv2 session (tokens cached across fetches, renewed shortly before they expire,
//!   fetched again on a 401, the IMDSv1 fallback when the token call is refused or times out)
//!   lives in its own module (`token`).
//! - [`ImdsClient`] speaks IMDS with that session: retries with backoff, never through a proxy,
//!   and a short "not on EC2" memory after a refused connection.
//! - [`ImdsCredentialsSource`] discovers the role and reads its credentials.

mod client;
mod config;
mod source;
mod token;

pub use client::{ImdsClient, ImdsResponse, ImdsStats, PROXY_ENV_VARS};
pub use config::{EndpointMode, EndpointOrigin, ImdsConfig, ImdsConfigBuilder, SettingLayer};
#[doc(hidden)]
pub use source::fuzz_parse_credentials_document;
pub use source::{ImdsCredentialsSource, ROLE_LIST_PATH, SOURCE_NAME};
pub use token::{
    HOP_LIMIT_FIX, TOKEN_HEADER, TOKEN_PATH, TOKEN_REFRESH_MARGIN, TOKEN_TTL_HEADER,
    V1_FALLBACK_RECHECK,
};

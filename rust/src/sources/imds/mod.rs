//! The EC2 Instance Metadata Service (IMDS) source: instance-profile credentials.
//!
//! - [`ImdsConfig`] holds the settings; [`ImdsConfig::from_env`] reads the AWS SDK variables and
//!   [`resolve_endpoint`] applies the SDKs' endpoint rules.
//! - [`ImdsClient`] speaks IMDS: IMDSv2 session tokens (cached across fetches, renewed shortly
//!   before they expire, fetched again on a 401), the IMDSv1 fallback when the token call is
//!   refused or times out, retries with backoff, never through a proxy, and a short "not on EC2"
//!   memory after a refused connection.
//! - [`ImdsCredentialsSource`] discovers the role and reads its credentials.

mod client;
mod config;
mod source;

pub use client::{
    ImdsClient, ImdsResponse, ImdsStats, HOP_LIMIT_FIX, TOKEN_HEADER, TOKEN_PATH,
    TOKEN_REFRESH_MARGIN, TOKEN_TTL_HEADER, V1_FALLBACK_RECHECK,
};
pub use config::{
    resolve_endpoint, EndpointMode, EndpointOverrides, ImdsConfig, DEFAULT_NOT_ON_EC2_TTL,
    DEFAULT_TIMEOUT, DEFAULT_TOKEN_TTL, ENV_DISABLED, ENV_ENDPOINT, ENV_ENDPOINT_MODE,
    ENV_NUM_ATTEMPTS, ENV_TIMEOUT, ENV_V1_DISABLED, IPV4_ENDPOINT, IPV6_ENDPOINT, PROFILE_ENDPOINT,
    PROFILE_ENDPOINT_MODE,
};
#[doc(hidden)]
pub use source::fuzz_parse_credentials_document;
pub use source::{ImdsCredentialsSource, ROLE_LIST_PATH, SOURCE_NAME};

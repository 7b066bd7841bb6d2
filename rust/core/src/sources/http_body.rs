//! Reading an HTTP response body with a size limit, into a buffer that is zeroized when dropped.
//!
//! Every body freshcreds reads (IMDS, the container endpoint, STS) comes from a peer that is not
//! always trustworthy (a container endpoint reached over https, a local sidecar, a proxy in front
//! of STS). The body is read as it streams in and reading stops at the limit: a peer that answers
//! with more than the limit (or with a body that never ends) gets an error naming the endpoint and
//! the limit at once, not after the request timeout, and memory stays bounded. A `Content-Length`
//! above the limit is refused before any of the body is read.

use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind};

/// The largest IMDS answer read (token, role list, credentials document: all well under 4 KiB).
pub const MAX_IMDS_RESPONSE_BYTES: usize = 64 * 1024;
/// The largest container credentials answer read (a credentials document, or an error document).
pub const MAX_CONTAINER_RESPONSE_BYTES: usize = 64 * 1024;
/// The largest STS answer read (an `AssumeRoleResponse` with a long session token and packed
/// policy is under 8 KiB; error documents are smaller).
pub const MAX_STS_RESPONSE_BYTES: usize = 256 * 1024;

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// The connection failed or timed out while the body was read.
    Transport(reqwest::Error),
    /// The body is larger than the limit: an [`ErrorKind::Parse`] error naming the endpoint and
    /// the limit.
    TooLarge(Error),
}

/// Reads `response`'s body, up to `limit` bytes. `what` names the request in the error
/// (e.g. `GET http://169.254.170.2/v2/credentials/… (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)`).
pub(crate) async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
    what: &str,
) -> Result<Zeroizing<Vec<u8>>, BodyError> {
    let too_large = || {
        BodyError::TooLarge(Error::new(
            ErrorKind::Parse,
            format!(
                "{what}: the answer is larger than {limit} bytes, the most read from this endpoint"
            ),
        ))
    };
    let declared = response.content_length();
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut body = SecretBuffer::with_capacity(declared.map_or(1024, |n| n as usize).min(limit));
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend(&chunk);
    }
    Ok(body.into_inner())
}

/// A growing byte buffer that zeroizes every allocation it leaves behind (a `Vec` that grows by
/// itself frees its old allocation without clearing it).
struct SecretBuffer(Zeroizing<Vec<u8>>);

impl SecretBuffer {
    fn with_capacity(capacity: usize) -> Self {
        SecretBuffer(Zeroizing::new(Vec::with_capacity(capacity)))
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn extend(&mut self, bytes: &[u8]) {
        let needed = self.0.len() + bytes.len();
        if needed > self.0.capacity() {
            let mut grown = Zeroizing::new(Vec::with_capacity(needed.max(2 * self.0.capacity())));
            grown.extend_from_slice(&self.0);
            // The old buffer is zeroized as it is dropped here.
            self.0 = grown;
        }
        self.0.extend_from_slice(bytes);
    }

    fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
}

/// The error for a request that got no answer ([`crate::http::transport_error`]: an untrusted
/// certificate, a timeout, or a connection failure); `shown` names the request (method and
/// endpoint), and the URL is left out of the source error.
pub(crate) fn transport_error(shown: &str, e: reqwest::Error) -> Error {
    crate::http::transport_error(shown, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_grows_by_copying_into_a_new_allocation() {
        let mut b = SecretBuffer::with_capacity(2);
        b.extend(b"ab");
        let first = b.0.as_ptr();
        b.extend(b"cde");
        assert_eq!(&b.0[..], b"abcde");
        assert_ne!(first, b.0.as_ptr());
        assert!(b.0.capacity() >= 5);
    }
}

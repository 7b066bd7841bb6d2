//! The token cache files freshcreds shares with the AWS CLI and the SDKs (`aws login` sessions,
//! IAM Identity Center tokens): one JSON document a file, read with a size bound, and written
//! back atomically ([`write_atomically`]) with every field, known or not, kept. What the fields
//! mean is the business of each cache ([`crate::sources::login::cache`],
//! [`crate::sources::sso::cache`]).
//!
//! Errors name the file, never a value: a JSON error gives only its line and column (serde's
//! message could quote part of the text).

use std::fmt;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use zeroize::Zeroizing;

use crate::credentials::SecretJson;
use crate::error::{Error, ErrorKind, Result};
use crate::sources::atomic_file::write_atomically;

/// Cache files larger than this are refused (the AWS CLI writes a few kilobytes).
pub(crate) const MAX_TOKEN_CACHE_BYTES: u64 = 256 * 1024;

/// `2026-01-01T00:00:00Z`: how the AWS CLI writes times, and how they are written back.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// One cache file: where it is and what errors call it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CacheFile<'a> {
    /// What the file is, e.g. ``"`aws login` cache file"``.
    pub(crate) what: &'static str,
    /// Where it is.
    pub(crate) path: &'a Path,
}

impl CacheFile<'_> {
    /// An error of `kind` about the file: `{what} {path}: {detail}`.
    pub(crate) fn error(&self, kind: ErrorKind, detail: impl fmt::Display) -> Error {
        Error::new(
            kind,
            format!("{} {}: {detail}", self.what, self.path.display()),
        )
    }

    /// Reads the file's JSON document (zeroized when dropped). A missing or unreadable file is an
    /// [`ErrorKind::InvalidConfig`] error; one larger than [`MAX_TOKEN_CACHE_BYTES`] or not JSON
    /// is an [`ErrorKind::Parse`] error.
    pub(crate) fn read(&self) -> Result<SecretJson> {
        let unreadable = |e: std::io::Error| {
            if e.kind() == std::io::ErrorKind::NotFound {
                self.error(ErrorKind::InvalidConfig, "does not exist")
            } else {
                self.error(ErrorKind::InvalidConfig, "cannot be read")
                    .with_source(e)
            }
        };
        let size = std::fs::metadata(self.path).map_err(unreadable)?.len();
        if size > MAX_TOKEN_CACHE_BYTES {
            return Err(self.error(
                ErrorKind::Parse,
                format_args!(
                    "is {size} bytes, more than the {MAX_TOKEN_CACHE_BYTES} a token cache file may have"
                ),
            ));
        }
        let bytes = Zeroizing::new(std::fs::read(self.path).map_err(unreadable)?);
        self.parse(&bytes)
    }

    /// Parses `bytes` as the file's JSON document.
    pub(crate) fn parse(&self, bytes: &[u8]) -> Result<SecretJson> {
        SecretJson::parse(bytes).map_err(|e| {
            self.error(
                ErrorKind::Parse,
                format_args!(
                    "is not valid JSON (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        })
    }

    /// Replaces the file with `document`, atomically.
    pub(crate) fn write(&self, document: &SecretJson) -> Result<()> {
        let text = Zeroizing::new(
            serde_json::to_vec(&document.0)
                .map_err(|_| self.error(ErrorKind::Internal, "could not be serialised"))?,
        );
        write_atomically(self.path, &text).map_err(|e| {
            self.error(ErrorKind::InvalidConfig, "could not be rewritten")
                .with_source(e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::{assert_mentions, assert_omits};

    const WHAT: &str = "test cache file";

    /// Runs `test` on the cache file `t.json` of a new temporary directory (no file there yet).
    fn with_file(test: impl FnOnce(CacheFile<'_>)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        test(CacheFile {
            what: WHAT,
            path: &path,
        });
    }

    #[test]
    fn a_missing_file_an_oversized_one_and_bad_json_are_named_without_their_text() {
        with_file(|file| {
            let e = file.read().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig);
            assert_mentions(
                e.message(),
                &[WHAT, &file.path.display().to_string(), "does not exist"],
            );

            let at_bound = format!("\"{}\"", "x".repeat(MAX_TOKEN_CACHE_BYTES as usize - 2));
            std::fs::write(file.path, &at_bound).unwrap();
            assert_eq!(
                file.read().unwrap().0.as_str().map(str::len),
                Some(at_bound.len() - 2)
            );
            std::fs::write(file.path, format!("{at_bound} ")).unwrap();
            let e = file.read().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Parse);
            assert_mentions(
                e.message(),
                &[&format!("more than the {MAX_TOKEN_CACHE_BYTES}")],
            );

            std::fs::write(file.path, "{\"accessToken\": \"sekrit").unwrap();
            let e = file.read().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Parse);
            assert_mentions(e.message(), &["not valid JSON", "line 1"]);
            assert_omits(&e.full_message(), &["sekrit"]);
        });
    }

    #[test]
    fn a_written_document_reads_back_as_it_was() {
        with_file(|file| {
            let doc = SecretJson(serde_json::json!({"a": "b", "n": [1, 2], "o": {"k": null}}));
            file.write(&doc).unwrap();
            assert_eq!(file.read().unwrap().0, doc.0);
        });
    }

    #[test]
    fn times_are_written_to_the_second_in_utc() {
        let t = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678+00:00").unwrap();
        assert_eq!(format_time(t.with_timezone(&Utc)), "2026-01-02T03:04:05Z");
    }
}

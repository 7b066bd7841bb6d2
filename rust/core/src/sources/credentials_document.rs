//! The JSON credentials document, parsed once for every source that reads one: IMDS
//! (`…/security-credentials/<role>`), the container endpoint (ECS, EKS Pod Identity) and
//! `credential_process` output. They differ only in small ways, listed in [`Format`]; errors
//! name the field and never quote a value, and the parsed JSON is zeroized when dropped.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::credentials::{Credentials, Secret, SecretJson};
use crate::error::{Error, ErrorKind};

/// Which document is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// IMDS: `Code` must be `Success` when present; the session token is `Token`.
    Imds,
    /// The container endpoint: the session token is `Token`.
    Container,
    /// `credential_process` output: `Version` must be 1; the session token is `SessionToken`.
    Process,
}

impl Format {
    fn token_field(self) -> &'static str {
        match self {
            Format::Imds | Format::Container => "Token",
            Format::Process => "SessionToken",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Format::Imds => "credentials document",
            Format::Container => "answer",
            Format::Process => "output",
        }
    }
}

/// What is wrong with a document. Holds no value from it, except the server's own `Code` and
/// `Message` (IMDS status words, not secrets; the message is cut at 200 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentError {
    /// Not UTF-8.
    NotUtf8(Format),
    /// Not JSON; where it broke.
    NotJson {
        /// The document.
        format: Format,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// JSON, but not an object.
    NotObject(Format),
    /// A required field is absent, null or empty.
    Missing(Format, &'static str),
    /// A field is not a string.
    NotString(&'static str),
    /// `Expiration` is not an RFC 3339 time.
    BadExpiration,
    /// `credential_process` output without `Version` 1.
    Version(String),
    /// IMDS answered a `Code` other than `Success`.
    Code {
        /// The code.
        code: String,
        /// Its message, if any (at most 200 characters).
        message: Option<String>,
    },
}

impl DocumentError {
    /// The error kind: `Refused` for a `Code` other than `Success`, else `Parse`.
    pub fn kind(&self) -> ErrorKind {
        match self {
            DocumentError::Code { .. } => ErrorKind::Refused,
            _ => ErrorKind::Parse,
        }
    }

    /// The crate error, its message prefixed with `origin` (what was read, e.g.
    /// `GET http://169.254.170.2/v2/credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)`).
    pub(crate) fn into_error(self, origin: &str) -> Error {
        Error::new(self.kind(), format!("{origin}: {self}"))
    }
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocumentError::NotUtf8(format) => write!(f, "the {} is not UTF-8 text", format.noun()),
            DocumentError::NotJson {
                format,
                line,
                column,
            } => write!(
                f,
                "the {} is not JSON (line {line}, column {column})",
                format.noun()
            ),
            DocumentError::NotObject(format) => {
                write!(f, "the {} is not a JSON object", format.noun())
            }
            DocumentError::Missing(format, field) => {
                write!(f, "the {} has no {field}", format.noun())
            }
            DocumentError::NotString(field) => write!(f, "{field} is not a string"),
            DocumentError::BadExpiration => f.write_str("Expiration is not an RFC 3339 time"),
            DocumentError::Version(detail) => f.write_str(detail),
            DocumentError::Code { code, message } => {
                write!(f, "Code `{code}` (not `Success`)")?;
                if let Some(m) = message {
                    write!(f, ": {m}")?;
                }
                Ok(())
            }
        }
    }
}

/// A parsed document; the secrets are zeroized when dropped.
#[derive(Debug)]
pub struct Document {
    /// `AccessKeyId`.
    pub access_key_id: String,
    /// `SecretAccessKey`.
    pub secret_access_key: Secret,
    /// `Token` / `SessionToken`, if present and not empty.
    pub session_token: Option<Secret>,
    /// `Expiration`, if present and not empty.
    pub expiration: Option<DateTime<Utc>>,
}

impl Document {
    /// The credentials, attributed to `source`.
    pub(crate) fn into_credentials(self, source: &str) -> Credentials {
        Credentials::new(
            self.access_key_id,
            self.secret_access_key.expose(),
            self.session_token.as_ref().map(|t| t.expose().to_string()),
            self.expiration,
            source,
        )
    }
}

/// Parses `body` as a `format` document into credentials attributed to `source`; an error names
/// `origin` (the request or the command the document came from).
pub(crate) fn parse_credentials(
    body: &[u8],
    format: Format,
    source: &str,
    origin: &str,
) -> crate::Result<Credentials> {
    parse(body, format)
        .map(|d| d.into_credentials(source))
        .map_err(|e| e.into_error(origin))
}

/// Parses `body` as a `format` document.
pub fn parse(body: &[u8], format: Format) -> Result<Document, DocumentError> {
    std::str::from_utf8(body).map_err(|_| DocumentError::NotUtf8(format))?;
    let value = SecretJson::parse(body).map_err(|e| DocumentError::NotJson {
        format,
        line: e.line(),
        column: e.column(),
    })?;
    let Some(object) = value.0.as_object() else {
        return Err(DocumentError::NotObject(format));
    };
    if format == Format::Process {
        check_version(object.get("Version"))?;
    }
    // Absent, null and empty are the same: not there.
    let string = |name: &'static str| -> Result<Option<String>, DocumentError> {
        match object.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(DocumentError::NotString(name)),
        }
    };
    if format == Format::Imds {
        if let Some(code) = string("Code")?.filter(|c| c != "Success") {
            let message = string("Message")?.map(|m| m.chars().take(200).collect());
            return Err(DocumentError::Code { code, message });
        }
    }
    let required = |name: &'static str| string(name)?.ok_or(DocumentError::Missing(format, name));
    let access_key_id = required("AccessKeyId")?;
    let secret_access_key = Secret::from(required("SecretAccessKey")?);
    let session_token = string(format.token_field())?.map(Secret::from);
    let expiration = match string("Expiration")? {
        None => None,
        Some(text) => Some(
            DateTime::parse_from_rfc3339(text.trim())
                .map_err(|_| DocumentError::BadExpiration)?
                .with_timezone(&Utc),
        ),
    };
    Ok(Document {
        access_key_id,
        secret_access_key,
        session_token,
        expiration,
    })
}

fn check_version(version: Option<&serde_json::Value>) -> Result<(), DocumentError> {
    match version {
        Some(v) if v.as_u64() == Some(1) => Ok(()),
        Some(v) if v.is_number() => Err(DocumentError::Version(format!(
            "unsupported Version {v} (only 1 is supported)"
        ))),
        Some(_) => Err(DocumentError::Version(
            "Version is not the number 1".to_string(),
        )),
        None => Err(DocumentError::Version(
            "the output has no Version (must be 1)".to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::{assert_mentions, assert_omits};

    const SECRET: &str = "hunter2-secret";

    #[test]
    fn the_three_formats_differ_only_in_the_token_field_version_and_code() {
        let imds = format!(
            r#"{{"Code":"Success","AccessKeyId":"ASIA1","SecretAccessKey":"{SECRET}","Token":"t","Expiration":"2030-01-01T00:00:00Z"}}"#
        );
        let d = parse(imds.as_bytes(), Format::Imds).unwrap();
        assert_eq!(d.session_token.as_ref().map(Secret::expose), Some("t"));
        assert!(d.expiration.is_some());
        let d = parse(imds.as_bytes(), Format::Container).unwrap();
        assert_eq!(d.session_token.as_ref().map(Secret::expose), Some("t"));
        assert_eq!(
            parse(imds.as_bytes(), Format::Process).unwrap_err(),
            DocumentError::Version("the output has no Version (must be 1)".into())
        );
        let process = format!(
            r#"{{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"{SECRET}","SessionToken":"s"}}"#
        );
        let d = parse(process.as_bytes(), Format::Process).unwrap();
        assert_eq!(d.session_token.as_ref().map(Secret::expose), Some("s"));
        assert_eq!(d.expiration, None);
        let shown = format!("{d:?}");
        assert!(shown.contains("AKID") && !shown.contains(SECRET), "{shown}");
        let c = d.into_credentials("CredentialProcess");
        assert_eq!(c.source(), "CredentialProcess");
    }

    #[test]
    fn errors_name_the_field_and_never_the_value() {
        let cases: Vec<(String, Format, &str, ErrorKind)> = vec![
            (
                format!(r#"{{"SecretAccessKey":"{SECRET}"}}"#),
                Format::Container,
                "has no AccessKeyId",
                ErrorKind::Parse,
            ),
            (
                r#"{"AccessKeyId":"A","SecretAccessKey":""}"#.to_string(),
                Format::Imds,
                "has no SecretAccessKey",
                ErrorKind::Parse,
            ),
            (
                format!(r#"{{"AccessKeyId":5,"SecretAccessKey":"{SECRET}"}}"#),
                Format::Container,
                "AccessKeyId is not a string",
                ErrorKind::Parse,
            ),
            (
                format!(
                    r#"{{"AccessKeyId":"A","SecretAccessKey":"{SECRET}","Expiration":"{SECRET}"}}"#
                ),
                Format::Container,
                "Expiration is not an RFC 3339 time",
                ErrorKind::Parse,
            ),
            (
                format!(
                    r#"{{"Code":"Failure","Message":"no role","AccessKeyId":"A","SecretAccessKey":"{SECRET}"}}"#
                ),
                Format::Imds,
                "Code `Failure` (not `Success`): no role",
                ErrorKind::Refused,
            ),
            (
                format!(r#"{{"Version":2,"AccessKeyId":"A","SecretAccessKey":"{SECRET}"}}"#),
                Format::Process,
                "Version 2",
                ErrorKind::Parse,
            ),
            (
                format!(r#"["{SECRET}"]"#),
                Format::Process,
                "not a JSON object",
                ErrorKind::Parse,
            ),
            (
                format!("{SECRET} not json"),
                Format::Imds,
                "not JSON (line 1, column",
                ErrorKind::Parse,
            ),
        ];
        for (input, format, expected, kind) in cases {
            let e = parse(input.as_bytes(), format).unwrap_err();
            assert_eq!(e.kind(), kind, "{input}");
            let error = e.into_error("GET http://x/");
            assert_mentions(error.message(), &[expected]);
            assert!(error.message().starts_with("GET http://x/: "));
            assert_omits(error.message(), &[SECRET]);
        }
        assert_eq!(
            parse(b"\xff\xfe", Format::Process).unwrap_err(),
            DocumentError::NotUtf8(Format::Process)
        );
    }

    #[test]
    fn a_code_other_than_success_matters_only_to_imds() {
        let doc = br#"{"Code":"Failure","AccessKeyId":"A","SecretAccessKey":"s"}"#;
        assert!(parse(doc, Format::Imds).is_err());
        assert!(parse(doc, Format::Container).is_ok());
    }
}

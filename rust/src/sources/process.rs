//! `credential_process`: run a command that prints credentials as JSON on its standard output.
//!
//! Like the AWS SDK for Java v2 (and the CLI), the command line is handed to the platform shell
//! (`sh -c` on Unix, `cmd.exe /C` on Windows). The output must be a JSON object with
//! `"Version": 1`, `AccessKeyId`, `SecretAccessKey`, and optionally `SessionToken` and
//! `Expiration` (RFC 3339). The command's standard error goes to this process's standard error.
//! Error messages name the profile and the command's first word, never its output (which may
//! hold secrets) nor its arguments.

use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::io::AsyncReadExt;
use tokio::process::Command;

use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use crate::sources::{BoxFuture, CredentialSource, Fetched};

/// How long the command may run before it is killed.
pub const DEFAULT_PROCESS_TIMEOUT: Duration = Duration::from_secs(60);
/// The most standard output read from the command (the SDK for Java v2 limit).
pub const MAX_PROCESS_OUTPUT_BYTES: usize = 64_000;

/// Credentials printed by an external command.
#[derive(Clone)]
pub struct CredentialProcessSource {
    command: String,
    origin: String,
    timeout: Duration,
    name: String,
}

impl std::fmt::Debug for CredentialProcessSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only the program: the arguments may carry secrets.
        f.debug_struct("CredentialProcessSource")
            .field("program", &self.program())
            .field("origin", &self.origin)
            .field("timeout", &self.timeout)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl CredentialProcessSource {
    /// Runs `command` (a shell command line). `origin` says where it was configured, for error
    /// messages (e.g. `profile dev`).
    pub fn new(command: impl Into<String>, origin: impl Into<String>) -> Self {
        let origin = origin.into();
        CredentialProcessSource {
            command: command.into(),
            name: format!("CredentialProcess({origin})"),
            origin,
            timeout: DEFAULT_PROCESS_TIMEOUT,
        }
    }

    /// Sets how long the command may run.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the name used in reports and in the credentials' source.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The program the command line starts (its first word, quotes removed): what error
    /// messages show instead of the whole line, whose arguments may be sensitive.
    pub fn program(&self) -> String {
        first_word(&self.command)
    }

    fn describe(&self) -> String {
        format!("credential_process `{}` of {}", self.program(), self.origin)
    }

    fn shell_command(&self) -> Command {
        #[cfg(windows)]
        {
            let mut c = Command::new("cmd.exe");
            c.arg("/C").arg(&self.command);
            c
        }
        #[cfg(not(windows))]
        {
            let mut c = Command::new("sh");
            c.arg("-c").arg(&self.command);
            c
        }
    }

    async fn fetch_inner(&self) -> Result<Fetched> {
        if self.command.trim().is_empty() {
            return Err(Error::invalid_config(format!(
                "credential_process of {} is empty",
                self.origin
            )));
        }
        let mut child = self
            .shell_command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Internal,
                    format!("{}: the shell could not be started", self.describe()),
                )
                .with_source(e)
            })?;
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let run = async {
            let mut out = Vec::new();
            (&mut stdout)
                .take(MAX_PROCESS_OUTPUT_BYTES as u64 + 1)
                .read_to_end(&mut out)
                .await?;
            let status = child.wait().await?;
            Ok::<_, std::io::Error>((out, status))
        };
        let finished = tokio::time::timeout(self.timeout, run).await;
        let (out, status) = match finished {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => {
                return Err(Error::new(
                    ErrorKind::Internal,
                    format!("{}: reading its output failed", self.describe()),
                )
                .with_source(e))
            }
            Err(_) => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "{} did not finish within {:?} and was killed",
                        self.describe(),
                        self.timeout
                    ),
                ));
            }
        };
        if !status.success() {
            let how = match status.code() {
                Some(code) => format!("exited with code {code}"),
                None => "was killed by a signal".to_string(),
            };
            return Err(Error::new(
                ErrorKind::Refused,
                format!(
                    "{} {how} (its standard error, if any, was passed through)",
                    self.describe()
                ),
            ));
        }
        if out.len() > MAX_PROCESS_OUTPUT_BYTES {
            return Err(Error::new(
                ErrorKind::Parse,
                format!(
                    "{} printed more than {MAX_PROCESS_OUTPUT_BYTES} bytes",
                    self.describe()
                ),
            ));
        }
        let credentials = parse_output(&out, &self.describe())?;
        Ok(Fetched::local(credentials.with_source(self.name.clone())))
    }
}

impl CredentialSource for CredentialProcessSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Fetched>> {
        Box::pin(self.fetch_inner())
    }
}

/// The first word of a command line, without surrounding quotes.
fn first_word(command: &str) -> String {
    let trimmed = command.trim_start();
    let word = match trimmed.chars().next() {
        Some(q @ ('"' | '\'')) => trimmed[1..].split(q).next().unwrap_or_default(),
        _ => trimmed.split_whitespace().next().unwrap_or_default(),
    };
    word.to_string()
}

/// Parses the command's output. Errors say which field is wrong, never what it holds.
fn parse_output(out: &[u8], what: &str) -> Result<Credentials> {
    let parse_error = |detail: String| Error::new(ErrorKind::Parse, format!("{what}: {detail}"));
    let text = std::str::from_utf8(out)
        .map_err(|_| parse_error("the output is not UTF-8 text".to_string()))?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        // serde_json syntax errors carry a position, not the input.
        parse_error(format!(
            "the output is not JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let Some(object) = value.as_object() else {
        return Err(parse_error("the output is not a JSON object".to_string()));
    };
    match object.get("Version") {
        Some(v) if v.as_u64() == Some(1) => {}
        Some(v) if v.is_number() => {
            return Err(parse_error(format!(
                "unsupported Version {v} (only 1 is supported)"
            )))
        }
        Some(_) => return Err(parse_error("Version is not the number 1".to_string())),
        None => {
            return Err(parse_error(
                "the output has no Version (must be 1)".to_string(),
            ))
        }
    }
    let string = |name: &str, required: bool| -> Result<Option<String>> {
        match object.get(name) {
            None | Some(serde_json::Value::Null) if !required => Ok(None),
            None | Some(serde_json::Value::Null) => {
                Err(parse_error(format!("the output has no {name}")))
            }
            Some(serde_json::Value::String(s)) if s.is_empty() && required => {
                Err(parse_error(format!("{name} is empty")))
            }
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(parse_error(format!("{name} is not a string"))),
        }
    };
    let access_key_id = string("AccessKeyId", true)?.unwrap_or_default();
    let secret = string("SecretAccessKey", true)?.unwrap_or_default();
    let token = string("SessionToken", false)?.filter(|t| !t.is_empty());
    let expiration = match string("Expiration", false)? {
        None => None,
        Some(text) => Some(
            DateTime::parse_from_rfc3339(text.trim())
                .map_err(|_| parse_error(format!("Expiration {text:?} is not an RFC 3339 time")))?
                .with_timezone(&Utc),
        ),
    };
    Ok(Credentials::new(
        access_key_id,
        secret,
        token,
        expiration,
        "CredentialProcess",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_word_drops_quotes_and_arguments() {
        assert_eq!(
            first_word("  /usr/bin/helper --secret x"),
            "/usr/bin/helper"
        );
        assert_eq!(
            first_word("\"/opt/my tools/helper\" arg"),
            "/opt/my tools/helper"
        );
        assert_eq!(first_word("'h' a"), "h");
    }

    #[test]
    fn output_fields_are_validated_without_echoing_values() {
        let what = "credential_process `h` of profile p";
        let ok = br#"{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"sek","SessionToken":"tok","Expiration":"2030-01-01T00:00:00Z"}"#;
        let c = parse_output(ok, what).unwrap();
        assert_eq!(c.access_key_id(), "AKID");
        assert_eq!(c.session_token(), Some("tok"));
        assert!(c.expiration().is_some());
        let long_term = br#"{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"sek"}"#;
        let c = parse_output(long_term, what).unwrap();
        assert_eq!(c.session_token(), None);
        assert_eq!(c.expiration(), None);

        let cases: [(&[u8], &str); 5] = [
            (br#"{"Version":2,"AccessKeyId":"A","SecretAccessKey":"hunter2"}"#, "Version 2"),
            (br#"{"Version":"1","AccessKeyId":"A","SecretAccessKey":"hunter2"}"#, "Version"),
            (br#"{"Version":1,"SecretAccessKey":"hunter2"}"#, "no AccessKeyId"),
            (br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"hunter2","Expiration":"soon"}"#, "Expiration"),
            (b"hunter2 not json", "not JSON"),
        ];
        for (input, expected) in cases {
            let err = parse_output(input, what).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Parse);
            assert!(err.message().contains(expected), "{}", err.message());
            assert!(err.message().contains("profile p"), "{}", err.message());
            assert!(!err.message().contains("hunter2"), "{}", err.message());
        }
    }
}

//! `credential_process`: run a command that prints credentials as JSON on its standard output.
//!
//! Like the AWS SDK for Java v2 (and the CLI), the command line is handed to the platform shell
//! (`sh -c` on Unix, `cmd.exe /C` on Windows). The output must be a JSON object with
//! `"Version": 1`, `AccessKeyId`, `SecretAccessKey`, and optionally `SessionToken` and
//! `Expiration` (RFC 3339). The command's standard error goes to this process's standard error.
//! Error messages name the profile and the command's first word, never its output (which may
//! hold secrets) nor its arguments.
//!
//! On Unix the command runs in a process group of its own. Its standard output is read while it
//! runs, up to [`MAX_PROCESS_OUTPUT_BYTES`]: a command that prints more is killed at once, whole
//! group included. When the command exits, whatever it left running in its group (a backgrounded
//! helper that still holds standard output) is killed too, so it can neither turn a success into a
//! timeout nor outlive the fetch; a helper meant to outlive it must leave the group (`setsid`). A
//! timeout, an error or a fetch dropped while in flight kills the whole group. The output buffer is
//! zeroized after parsing.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::Command;
use zeroize::Zeroizing;

use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use crate::sources::credentials_document::{self, Format};
use crate::sources::{credential_source, Fetched};

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
        let mut command = self.shell_command();
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        // Its own process group, so that everything it starts can be killed with it.
        #[cfg(unix)]
        command.process_group(0);
        let mut child = command.spawn().map_err(|e| {
            Error::new(
                ErrorKind::Internal,
                format!("{}: the shell could not be started", self.describe()),
            )
            .with_source(e)
        })?;
        // Declared after `child`, so dropped (and the group killed) first when the fetch is
        // cancelled.
        let mut tree = ProcessTree::of(&child);
        let mut stdout = child.stdout.take().expect("stdout is piped");
        // One allocation of the limit plus one byte: reading never reallocates (which would leave
        // copies of the output behind), and a full buffer means the command printed too much.
        let mut out = Zeroizing::new(vec![0u8; MAX_PROCESS_OUTPUT_BYTES + 1]);
        let mut filled = 0;
        let run = async {
            let mut status = None;
            let mut eof = false;
            while !(eof && status.is_some()) {
                tokio::select! {
                    read = stdout.read(&mut out[filled..]), if !eof => match read? {
                        0 => eof = true,
                        n => {
                            filled += n;
                            if filled > MAX_PROCESS_OUTPUT_BYTES {
                                return Ok(Run::TooMuchOutput);
                            }
                        }
                    },
                    exited = child.wait(), if status.is_none() => {
                        status = Some(exited?);
                        // What it left running in its group (a backgrounded helper holding
                        // standard output) goes with it: its output so far stays readable.
                        tree.kill();
                    }
                }
            }
            Ok::<_, std::io::Error>(Run::Exited(status.expect("the loop ends after exit")))
        };
        let finished = tokio::time::timeout(self.timeout, run).await;
        let outcome = match finished {
            Ok(Ok(Run::Exited(status))) => Ok(status),
            Ok(Ok(Run::TooMuchOutput)) => Err(Error::new(
                ErrorKind::Parse,
                format!(
                    "{} printed more than {MAX_PROCESS_OUTPUT_BYTES} bytes on its standard \
                     output and was killed",
                    self.describe()
                ),
            )),
            Ok(Err(e)) => Err(Error::new(
                ErrorKind::Internal,
                format!("{}: reading its output failed", self.describe()),
            )
            .with_source(e)),
            Err(_) => Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "{} did not finish within {:?} and was killed",
                    self.describe(),
                    self.timeout
                ),
            )),
        };
        let status = match outcome {
            Ok(status) => status,
            Err(e) => {
                tree.kill();
                // The direct child too (all Windows can do; on Unix it died with its group).
                let _ = child.start_kill();
                let _ = child.wait().await;
                return Err(e);
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
        let credentials = parse_output(&out[..filled], &self.describe())?;
        Ok(Fetched::local(credentials.with_source(self.name.clone())))
    }
}

/// How reading a command's output ended.
enum Run {
    /// The command exited and its output was read to the end.
    Exited(std::process::ExitStatus),
    /// It printed more than [`MAX_PROCESS_OUTPUT_BYTES`].
    TooMuchOutput,
}

/// The process group of a running command: killed (`SIGKILL` to the whole group) on timeout,
/// on too much output, when the command exits (what it left behind), and when a fetch in flight
/// is dropped. On Windows only the direct child is killed (by `kill_on_drop`).
struct ProcessTree {
    #[cfg(unix)]
    group: Option<libc::pid_t>,
}

impl ProcessTree {
    fn of(child: &tokio::process::Child) -> ProcessTree {
        #[cfg(unix)]
        {
            // The child leads its group (`process_group(0)`): the group id is its pid.
            ProcessTree {
                group: child.id().and_then(|id| libc::pid_t::try_from(id).ok()),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = child;
            ProcessTree {}
        }
    }

    /// Kills every process left in the group, once: later calls do nothing, so a group id is
    /// never signalled after its processes are gone (it could be reused).
    fn kill(&mut self) {
        #[cfg(unix)]
        if let Some(group) = self.group.take() {
            // SAFETY: killpg has no memory-safety preconditions; an already empty group is ESRCH.
            unsafe {
                libc::killpg(group, libc::SIGKILL);
            }
        }
    }
}

impl Drop for ProcessTree {
    fn drop(&mut self) {
        self.kill();
    }
}

credential_source!(CredentialProcessSource);

/// Fuzzing entry point: parses `output` as a `credential_process` printed it. Not an API.
#[doc(hidden)]
pub fn fuzz_parse_output(output: &[u8]) {
    if let Ok(c) = parse_output(output, "credential_process `fuzz` of profile fuzz") {
        assert!(!c.access_key_id().is_empty() && !c.secret_access_key().is_empty());
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
    credentials_document::parse_credentials(out, Format::Process, "CredentialProcess", what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::testing::{assert_mentions, assert_omits};

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
            assert_mentions(err.message(), &[expected, "profile p"]);
            assert_omits(err.message(), &["hunter2"]);
        }
    }
}

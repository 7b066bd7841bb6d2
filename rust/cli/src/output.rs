//! Terminal output: check lines with a level, colour only on a terminal, durations for humans.

use std::io::IsTerminal;

use serde::Serialize;

/// How bad a check's finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub(crate) enum Level {
    /// Fine.
    Ok,
    /// Works now, but is a problem waiting to happen (exit code 1).
    Warn,
    /// Broken (exit code 2).
    Fail,
}

impl Level {
    /// `OK`, `WARN` or `FAIL`.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
        }
    }

    fn color(self) -> &'static str {
        match self {
            Level::Ok => "\x1b[32m",
            Level::Warn => "\x1b[33m",
            Level::Fail => "\x1b[31m",
        }
    }
}

/// One finding of `freshcreds doctor`. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Check {
    /// What was checked (`chain`, `expiry`, `identity`, `clock-skew`, `imds`, `proxy`, `files`,
    /// `sso`).
    pub check: String,
    /// The verdict.
    pub level: Level,
    /// What was found, naming its source (variable, file, endpoint).
    pub message: String,
    /// What to do about it, in words (for WARN and FAIL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    /// A finding without a fix.
    pub(crate) fn new(check: &str, level: Level, message: impl Into<String>) -> Check {
        Check {
            check: check.to_string(),
            level,
            message: message.into(),
            fix: None,
        }
    }

    /// An OK finding.
    pub(crate) fn ok(check: &str, message: impl Into<String>) -> Check {
        Check::new(check, Level::Ok, message)
    }

    /// A WARN finding with its fix.
    pub(crate) fn warn(check: &str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check::new(check, Level::Warn, message).with_fix(fix)
    }

    /// A FAIL finding with its fix.
    pub(crate) fn fail(check: &str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check::new(check, Level::Fail, message).with_fix(fix)
    }

    /// Adds the fix.
    pub(crate) fn with_fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }
}

/// Whether to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorMode {
    /// Colour when standard output is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always colour.
    On,
    /// Never colour.
    Off,
}

impl ColorMode {
    /// Resolves `auto` against standard output and `NO_COLOR`.
    pub fn enabled(self, env: &freshcreds::env::Env) -> bool {
        match self {
            ColorMode::On => true,
            ColorMode::Off => false,
            ColorMode::Auto => {
                env.get_non_blank("NO_COLOR").is_none() && std::io::stdout().is_terminal()
            }
        }
    }
}

/// Renders one check as one line: level, check, message, and the fix.
pub(crate) fn render_line(check: &Check, color: bool) -> String {
    let label = format!("{:<4}", check.level.label());
    let label = if color {
        format!("{}\x1b[1m{label}\x1b[0m", check.level.color())
    } else {
        label
    };
    let mut line = format!("{label}  {:<10} {}", check.check, check.message);
    if let Some(fix) = &check.fix {
        if color {
            line.push_str(&format!(" \x1b[2m— fix:\x1b[0m {fix}"));
        } else {
            line.push_str(&format!(" — fix: {fix}"));
        }
    }
    line
}

/// The exit code for a set of checks: 0 all OK, 1 warnings, 2 failures.
pub(crate) fn exit_code(checks: &[Check]) -> i32 {
    match checks.iter().map(|c| c.level).max() {
        Some(Level::Fail) => 2,
        Some(Level::Warn) => 1,
        _ => 0,
    }
}

/// A duration in words, e.g. `2h 5m`, `4m 10s`, `12s`.
pub(crate) fn human_duration(d: chrono::Duration) -> String {
    let secs = d.num_seconds().unsigned_abs();
    let (days, hours, mins, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {mins}m")
    } else if mins > 0 {
        format!("{mins}m {s}s")
    } else {
        format!("{s}s")
    }
}

/// `in 2h 5m` for a future instant, `2h 5m ago` for a past one.
pub(crate) fn countdown(d: chrono::Duration) -> String {
    if d >= chrono::Duration::zero() {
        format!("in {}", human_duration(d))
    } else {
        format!("{} ago", human_duration(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_carry_level_check_message_and_fix_without_escape_codes() {
        let c = Check::warn("proxy", "HTTP_PROXY captures IMDS", "set NO_PROXY");
        let line = render_line(&c, false);
        assert!(line.starts_with("WARN  proxy"), "{line}");
        assert!(line.ends_with("— fix: set NO_PROXY"), "{line}");
        assert!(!line.contains('\x1b'));
        assert!(render_line(&c, true).contains("\x1b[33m"));
    }

    #[test]
    fn exit_code_is_the_worst_level() {
        let ok = Check::ok("a", "fine");
        let warn = Check::warn("b", "meh", "x");
        let fail = Check::fail("c", "bad", "y");
        assert_eq!(exit_code(std::slice::from_ref(&ok)), 0);
        assert_eq!(exit_code(&[ok.clone(), warn.clone()]), 1);
        assert_eq!(exit_code(&[warn, fail, ok]), 2);
    }

    #[test]
    fn durations_read_like_a_countdown() {
        assert_eq!(countdown(chrono::Duration::seconds(3725)), "in 1h 2m");
        assert_eq!(countdown(chrono::Duration::seconds(-70)), "1m 10s ago");
        assert_eq!(human_duration(chrono::Duration::seconds(9)), "9s");
    }
}

//! The `freshcreds` command line: `doctor`, `credential-process`, `export` and `serve`.
//!
//! The library itself never prints; this crate (and the thin binary over it) is the only part of
//! freshcreds that writes to standard output and standard error.
#![warn(missing_docs, unreachable_pub)]

mod chain;
mod creds;
mod doctor;
mod output;
mod serve;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use freshcreds::clock::{Clock, SystemClock};
use freshcreds::env::Env;
use freshcreds::error::{Error, Result};
use freshcreds::host::options::{self, Group};
use freshcreds::host::SourceOptions;
use freshcreds::refresh::RefreshEngine;
use freshcreds::sources::assume_role::{AssumeRoleSource, RefreshedBase};

use output::ColorMode;

const ABOUT: &str = "Source, check and share AWS credentials the way the AWS SDKs do";

const LONG_ABOUT: &str = "\
DESCRIPTION
    freshcreds finds AWS credentials like the AWS SDK default chain (environment variables, web
    identity, the selected profile, the container endpoint, the EC2 instance metadata service),
    caches them and refreshes them before they expire.

    Use `doctor` when requests fail with ExpiredToken, InvalidClientTokenId or \"Unable to locate
    credentials\": it walks the usual troubleshooting steps and says what is wrong and how to fix
    it. Use `credential-process` or `export` to hand the credentials to other tools, and `serve` to
    share one refreshing provider among every process of a host instead of each one asking IMDS.";

const AFTER_HELP: &str = "\
EXAMPLES
    Check why credentials do not work, for a given profile:

        freshcreds doctor --profile dev

    Put credentials into the current shell:

        eval \"$(freshcreds export)\"

    Share one refresh among all processes of a host:

        freshcreds serve --port 9911 --token-file /run/freshcreds/token --print-env

ENVIRONMENT
    Endpoints follow the AWS SDK variables: AWS_EC2_METADATA_SERVICE_ENDPOINT,
    AWS_EC2_METADATA_DISABLED, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, AWS_REGION,
    AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE. TLS and proxies follow them too:
    AWS_CA_BUNDLE (or the profile's ca_bundle) replaces the trusted roots; HTTPS_PROXY,
    HTTP_PROXY, ALL_PROXY and NO_PROXY (either case) apply to STS, IAM Identity Center and AWS
    Sign-In, never to IMDS, the container endpoint or loopback. FRESHCREDS_LOG sets the log
    filter (e.g. `debug`); logs go to standard error.";

const DOCTOR_ABOUT: &str = "Check the credential setup and say what is wrong";
const DOCTOR_LONG: &str = "\
DESCRIPTION
    Walks the AWS credentials troubleshooting steps and prints one line per finding: OK, WARN or
    FAIL, and for every WARN and FAIL the fix in words.

    - the chain, source by source: which one supplies the credentials, which failed, and which
      working source is shadowed by static keys above it;
    - the expiry of the credentials, with a countdown, and whether they refresh themselves
      (session tokens copied into environment variables or files never do);
    - who they are, per STS GetCallerIdentity (skipped with --offline); ExpiredToken and
      InvalidClientTokenId name the source that supplied the dead credentials;
    - clock skew against the Date header of STS and of IMDS (WARN beyond 1 minute, FAIL beyond 5);
    - IMDS: the IMDSv2 token PUT, the IMDSv1 GET, the attached role, and the hop-limit diagnosis
      when the PUT fails while the GET works;
    - `aws login` profiles: the session, its cache file, when the credentials expire, whether
      the session refreshes itself, and `aws login --profile P` when it cannot;
    - proxy variables (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, any case) that capture 169.254.169.254
      without a NO_PROXY entry for it;
    - the network path to AWS: the trusted roots (the platform's store, or AWS_CA_BUNDLE / the
      profile's ca_bundle instead), how STS and IAM Identity Center are reached (direct or through
      which proxy, and why), and a TLS handshake with STS (skipped with --offline) whose failure
      names the certificate's issuer and the fix;
    - expired session tokens in AWS_CREDENTIAL_EXPIRATION and the profile files, and expired
      entries in ~/.aws/cli/cache and ~/.aws/sso/cache;
    - IAM Identity Center profiles: the session or start URL, the token cache file, when the token
      expires, whether it refreshes itself, and the `aws sso login` command when it cannot.

EXIT STATUS
    0 when every check is OK, 1 when there are warnings, 2 when a check failed.";

const PROCESS_ABOUT: &str = "Print credentials in the credential_process format";
const PROCESS_LONG: &str = "\
DESCRIPTION
    Prints the chain's credentials as the JSON document of the credential_process protocol
    (Version 1, AccessKeyId, SecretAccessKey, SessionToken, Expiration), for the AWS CLI and the
    AWS SDKs. Errors go to standard error with a non-zero exit status.

    In ~/.aws/config:

        [profile fresh]
        credential_process = freshcreds credential-process

    then `aws --profile fresh ...` or AWS_PROFILE=fresh. A profile whose credential_process is
    freshcreds itself is skipped when freshcreds resolves the chain, so the sources below it
    (container endpoint, IMDS) supply the credentials. With --profile, name a profile that gets
    its credentials another way (static keys, a role, SSO-exported keys).

    With --min-validity DURATION (e.g. 20m), only credentials valid for at least that long are
    printed; when the source cannot give that much (a role session of --duration 900 lasts 15
    minutes; an IMDS that has not rotated yet), the command fails and says the longest validity
    available and when more may be.";

const EXPORT_ABOUT: &str = "Print credentials as shell variables or JSON";
const EXPORT_LONG: &str = "\
DESCRIPTION
    Prints the chain's credentials as `export AWS_...=...` lines for a POSIX shell, with the source
    and the expiry as a `#` comment, or as JSON (--format json, the credential_process document).
    Exported credentials do not refresh themselves: export again before they expire.

        eval \"$(freshcreds export --profile dev)\"";

const SERVE_ABOUT: &str = "Serve credentials to the processes of this host";
const SERVE_LONG: &str = "\
DESCRIPTION
    Runs one early-refreshing provider for the whole host and serves it on 127.0.0.1 with the
    container credentials protocol, so every process (AWS CLI, SDKs) shares one refresh instead of
    each one asking IMDS, which throttles under parallel load. Requests must carry the token
    (random, written to a file readable by its owner only) in the Authorization header; clients
    find both through two variables:

        AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:<port>/credentials
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=<token file>

    Requests are answered from the cache and never wait for a refresh in flight. A request
    without the token gets a 401 and its connection is closed; at most 64 connections are
    served, and when all are taken the oldest one that has sent no authorised request makes
    room; a connection is closed after 100 requests or a minute. The token file is written anew
    at every start (a stale one is replaced). Stops on SIGINT or SIGTERM and removes the token
    file.";

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "freshcreds",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_long_help = AFTER_HELP,
    propagate_version = true
)]
pub struct Cli {
    /// Use this profile from the AWS config and credentials files (default: AWS_PROFILE, else
    /// `default`); with it, the AWS_ACCESS_KEY_ID variables are not used
    #[arg(long, global = true, value_name = "PROFILE")]
    pub profile: Option<String>,

    /// Colour the output: `auto` (on a terminal, unless NO_COLOR is set), `on` or `off`
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub color: ColorMode,

    /// Log what freshcreds does to standard error
    #[arg(long, global = true)]
    pub debug: bool,

    /// A refresh option (repeatable): refreshLeadMillis, jitterMillis, firstFetchTimeoutMillis,
    /// staleExtensionMillis, refreshBackoffBaseMillis, refreshBackoffCapMillis, skewWarnMillis;
    /// e.g. `--option refreshLeadMillis=600000`
    #[arg(long = "option", global = true, value_name = "KEY=VALUE")]
    pub options: Vec<String>,

    /// The role to assume over the chain's credentials (credential-process, export, serve)
    #[command(flatten)]
    pub role: RoleArgs,

    /// What to do
    #[command(subcommand)]
    pub command: Command,
}

/// A role to assume with the chain's credentials, refreshed early like them (`credential-process`,
/// `export` and `serve`; the chain keeps a refresh engine of its own as the role's base).
#[derive(Debug, Clone, Args)]
pub struct RoleArgs {
    /// Assume this role (STS AssumeRole) with the chain's credentials
    #[arg(long, global = true, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// The role session name (default: freshcreds-MILLIS, MILLIS the Unix time in milliseconds)
    #[arg(long, global = true, value_name = "NAME", requires = "role_arn")]
    pub role_session_name: Option<String>,
    /// The external id the role's trust policy asks for
    #[arg(long, global = true, value_name = "ID", requires = "role_arn")]
    pub external_id: Option<String>,
    /// The role session's duration in seconds (900 to 43200; default: STS's one hour)
    #[arg(long, global = true, value_name = "SECONDS", requires = "role_arn")]
    pub duration: Option<String>,
}

impl RoleArgs {
    /// Each flag with the fresh source option it sets.
    fn flags(&self) -> [(&'static str, &'static str, &Option<String>); 4] {
        [
            ("--role-arn", options::ROLE_ARN.key, &self.role_arn),
            (
                "--role-session-name",
                options::ROLE_SESSION_NAME.key,
                &self.role_session_name,
            ),
            ("--external-id", options::EXTERNAL_ID.key, &self.external_id),
            ("--duration", options::DURATION_SECONDS.key, &self.duration),
        ]
    }

    /// The role, checked like the Java and C hosts' options; an error names the flag.
    fn role(&self) -> Result<Option<freshcreds::host::RoleOptions>> {
        let pairs = self
            .flags()
            .into_iter()
            .filter_map(|(_, k, v)| v.as_ref().map(|v| (k, v.as_str())));
        SourceOptions::from_pairs(pairs)
            .and_then(|o| o.role())
            .map_err(|e| {
                let flag = self
                    .flags()
                    .into_iter()
                    .find(|(_, key, _)| e.message().contains(&format!("`{key}`")))
                    .map_or("--role-arn", |(flag, ..)| flag);
                Error::new(e.kind(), format!("{flag}: {}", e.message()))
            })
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the credential setup and say what is wrong
    #[command(about = DOCTOR_ABOUT, long_about = DOCTOR_LONG)]
    Doctor(DoctorArgs),
    /// Print credentials in the credential_process format
    #[command(about = PROCESS_ABOUT, long_about = PROCESS_LONG)]
    CredentialProcess(ProcessArgs),
    /// Print credentials as shell variables or JSON
    #[command(about = EXPORT_ABOUT, long_about = EXPORT_LONG)]
    Export(ExportArgs),
    /// Serve credentials to the processes of this host
    #[command(about = SERVE_ABOUT, long_about = SERVE_LONG)]
    Serve(ServeArgs),
}

/// `doctor` options.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print the findings as JSON
    #[arg(long)]
    pub json: bool,
    /// Do not call STS (no identity check, no STS clock comparison)
    #[arg(long)]
    pub offline: bool,
}

/// `export` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// `export AWS_...=...` lines for a POSIX shell
    Env,
    /// The credential_process JSON document
    Json,
}

/// `credential-process` options.
#[derive(Debug, Args)]
pub struct ProcessArgs {
    #[command(flatten)]
    /// How long the credentials must stay valid.
    pub validity: ValidityArgs,
}

/// `export` options.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format
    #[arg(long, value_enum, default_value = "env")]
    pub format: ExportFormat,
    #[command(flatten)]
    /// How long the credentials must stay valid.
    pub validity: ValidityArgs,
}

/// `--min-validity` of `credential-process` and `export`.
#[derive(Debug, Clone, Args)]
pub struct ValidityArgs {
    /// Hand out only credentials valid for at least this long (e.g. `20m`, `900s`, `1h30m`);
    /// when the source cannot give that much (a role session capped at its duration, an IMDS
    /// that has not rotated yet), fail with a message saying the longest validity available
    /// and when more may be
    #[arg(long, value_name = "DURATION", value_parser = parse_min_validity)]
    pub min_validity: Option<std::time::Duration>,
}

/// Parses a duration of whole hours, minutes and seconds: `20m`, `900s`, `1h`, `1h30m`.
pub fn parse_min_validity(text: &str) -> std::result::Result<std::time::Duration, String> {
    let usage = || {
        format!("{text:?} is not a duration: give a number with a unit, h, m or s (e.g. 20m, 900s, 1h30m)")
    };
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut units = 0;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let scale = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(usage()),
        };
        let n: u64 = digits.parse().map_err(|_| usage())?;
        total = n
            .checked_mul(scale)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(usage)?;
        digits.clear();
        units += 1;
    }
    if !digits.is_empty() || units == 0 {
        return Err(usage());
    }
    if total == 0 {
        return Err(format!(
            "{text:?}: the minimum validity must be more than zero"
        ));
    }
    Ok(std::time::Duration::from_secs(total))
}

/// `serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0: any free port, printed at start)
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Where to write the authorization token (default: a new file in $XDG_RUNTIME_DIR or the
    /// temporary directory)
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Print the variables clients need, as `export` lines, on standard output
    #[arg(long)]
    pub print_env: bool,
}

fn init_logging(cli: &Cli, env: &Env) {
    let default = if cli.debug {
        "freshcreds=debug"
    } else {
        match cli.command {
            // Findings are the output; log lines would repeat them.
            Command::Doctor(_) => "off",
            Command::Serve(_) => "freshcreds=info",
            _ => "freshcreds=warn",
        }
    };
    let filter = env
        .get_non_blank("FRESHCREDS_LOG")
        .unwrap_or_else(|| default.to_string());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&filter)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

fn provider_options(cli: &Cli) -> Result<SourceOptions> {
    let pairs = cli
        .options
        .iter()
        .map(|o| {
            o.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| Error::invalid_config(format!("--option {o:?} is not KEY=VALUE")))
        })
        .collect::<Result<Vec<_>>>()?;
    let refresh = |k: &str| options::find(k).is_some_and(|o| o.group == Group::Refresh);
    if let Some((k, _)) = pairs.iter().find(|(k, _)| !refresh(k)) {
        return Err(Error::invalid_config(format!(
            "--option {k}: the command line takes only the refresh options ({}); IMDS and source settings come from the AWS_* variables and the profile",
            options::keys_in(Group::Refresh).collect::<Vec<_>>().join(", ")
        )));
    }
    SourceOptions::from_pairs(pairs)
}

/// Builds the early-refreshing provider over the chain on the shared runtime; with `--role-arn`,
/// over a role whose base is the chain behind an engine of its own.
fn provider(cli: &Cli, env: &Env) -> Result<RefreshEngine> {
    let options = provider_options(cli)?;
    let role = cli.role.role()?;
    let runtime = freshcreds::runtime::shared()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    let built = runtime.block_on(chain::build(env, cli.profile.as_deref(), clock.clone()))?;
    let source: Arc<dyn freshcreds::sources::CredentialSource> = match role {
        None => built.chain,
        Some(role) => {
            let _guard = runtime.enter();
            let base = RefreshEngine::spawn_on(
                built.chain.clone(),
                options.refresh_config()?,
                clock.clone(),
                runtime.handle(),
            );
            let sts = freshcreds::sources::sts::StsClient::with_clock(
                chain::sts_settings(env, built.profiles.as_ref())?,
                clock.clone(),
            )?
            .with_server_clock(built.server_clock.clone());
            let name = format!("AssumeRole({})", role.request.role_arn);
            Arc::new(
                AssumeRoleSource::new(
                    Arc::new(RefreshedBase::new(built.chain, base)),
                    role.request,
                    Arc::new(sts),
                )
                .with_name(name),
            )
        }
    };
    Ok(RefreshEngine::spawn_on(
        source,
        options.refresh_config()?,
        clock,
        runtime.handle(),
    ))
}

fn first_credentials(
    cli: &Cli,
    env: &Env,
    validity: &ValidityArgs,
) -> Result<freshcreds::Credentials> {
    let provider = provider(cli, env)?;
    let served = freshcreds::runtime::shared()?.block_on(async {
        match validity.min_validity {
            Some(min) => provider.credentials_valid_for(min).await,
            None => provider.credentials().await,
        }
    });
    provider.close();
    // While stale, the expiry handed out is the end of the static-stability extension.
    let served = served?;
    Ok(served.credentials.with_expiration(served.expiration))
}

fn print(out: &mut dyn Write, text: &str) -> i32 {
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// Runs the command line with `args` (program name first) in `env`, writing to `out` and `err`;
/// returns the exit status.
pub fn run(
    args: impl IntoIterator<Item = OsString>,
    env: Env,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let text = if !e.use_stderr() && ColorMode::Auto.enabled(&env) {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            if e.use_stderr() {
                let _ = err.write_all(text.as_bytes());
            } else {
                let _ = out.write_all(text.as_bytes());
            }
            return code;
        }
    };
    init_logging(&cli, &env);
    let color = cli.color.enabled(&env);
    let result = match &cli.command {
        Command::Doctor(_) if cli.role.role_arn.is_some() => Err(Error::invalid_config(
            "--role-arn applies to credential-process, export and serve; doctor checks the chain itself",
        )),
        Command::Doctor(args) => return doctor(&cli, args, &env, out, err, color),
        Command::CredentialProcess(args) => {
            if env
                .get_non_blank(creds::ENV_IN_CREDENTIAL_PROCESS)
                .is_some()
            {
                Err(Error::invalid_config(format!(
                    "freshcreds credential-process was started by freshcreds credential-process ({} is set): the profile's credential_process runs freshcreds again; give `--profile` a profile that gets its credentials another way",
                    creds::ENV_IN_CREDENTIAL_PROCESS
                )))
            } else {
                // Children (a profile's own credential_process) inherit this: see above.
                std::env::set_var(creds::ENV_IN_CREDENTIAL_PROCESS, "1");
                first_credentials(&cli, &env, &args.validity)
                    .map(|c| print(out, &(creds::process_json(&c) + "\n")))
            }
        }
        Command::Export(args) => first_credentials(&cli, &env, &args.validity).map(|c| match args.format {
            ExportFormat::Env => print(out, &creds::env_lines(&c, chrono::Utc::now())),
            ExportFormat::Json => print(out, &(creds::process_json(&c) + "\n")),
        }),
        Command::Serve(args) => serve(&cli, args, &env, out, err),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "freshcreds: {}", e.full_message());
            1
        }
    }
}

fn doctor(
    cli: &Cli,
    args: &DoctorArgs,
    env: &Env,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> i32 {
    let runtime = match freshcreds::runtime::shared() {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "freshcreds: {}", e.full_message());
            return 2;
        }
    };
    let options = doctor::DoctorOptions {
        profile: cli.profile.clone(),
        offline: args.offline,
    };
    let checks = runtime.block_on(doctor::run(env, &options));
    let code = output::exit_code(&checks);
    if args.json {
        let doc = serde_json::json!({
            "checks": checks,
            "summary": {
                "ok": checks.iter().filter(|c| c.level == output::Level::Ok).count(),
                "warn": checks.iter().filter(|c| c.level == output::Level::Warn).count(),
                "fail": checks.iter().filter(|c| c.level == output::Level::Fail).count(),
            },
            "exitCode": code,
        });
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        );
    } else {
        for c in &checks {
            let _ = writeln!(out, "{}", output::render_line(c, color));
        }
        let warns = checks
            .iter()
            .filter(|c| c.level == output::Level::Warn)
            .count();
        let fails = checks
            .iter()
            .filter(|c| c.level == output::Level::Fail)
            .count();
        let _ = writeln!(
            out,
            "\n{} checks: {fails} failed, {warns} warnings",
            checks.len()
        );
    }
    let _ = out.flush();
    code
}

fn serve(
    cli: &Cli,
    args: &ServeArgs,
    env: &Env,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32> {
    let runtime = freshcreds::runtime::shared()?;
    let provider = provider(cli, env)?;
    let (listener, addr) = runtime.block_on(serve::bind(args.port))?;
    let token = serve::new_token();
    let token_path = args
        .token_file
        .clone()
        .unwrap_or_else(|| serve::default_token_path(env, addr.port()));
    serve::write_token_file(&token_path, &token)?;
    let url = format!("http://{addr}{}", serve::CREDENTIALS_PATH);
    let _ = writeln!(
        err,
        "freshcreds serve: credentials on {url}, token in {} (stop with Ctrl-C)",
        token_path.display()
    );
    if args.print_env {
        let _ = write!(out, "{}", serve::env_lines(&url, &token_path));
    }
    let _ = out.flush();
    let _ = err.flush();
    runtime.block_on(serve::run(
        listener,
        provider.clone(),
        token,
        shutdown_signal(),
    ));
    provider.close();
    let _ = std::fs::remove_file(&token_path);
    let _ = writeln!(err, "freshcreds serve: stopped");
    Ok(0)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The binary's entry point: the process's arguments, environment and standard streams.
pub fn main() -> i32 {
    // Unlocked handles: log lines from worker threads write to standard error meanwhile.
    run(
        std::env::args_os(),
        Env::process(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    )
}

//! The option spec: one row per option a host may pass to a fresh source ([`OPTIONS`]), with its key,
//! group, kind and range, default, how it is shown, and doc line (the shape of AWS SDK v2's
//! `SdkSystemSetting`: one row, and every reader goes through it).
//!
//! Everything else is read from these rows: the core's validation and redaction
//! ([`super::SourceOptions`]), the keys the command line accepts ([`Group::Refresh`]), which
//! options a fetcher or a token supplier takes ([`SourceKind::groups`]), and, through the build,
//! the Java side (`dev.freshcreds.OptionSpec`: key constants, ranges, groups, secret keys), which
//! the Spring Boot starter's properties check against.
//!
//! Adding an option is one row below (plus, where wanted, a typed setter on the Java builder).
//!
//! This file uses nothing but the standard library: the Java build's generator (`rust/codegen`) includes it as it
//! is, so that the Java side is generated from these very rows.

/// What an option is about. A source written in code takes only some groups
/// ([`SourceKind::groups`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Which source of the chain to use (`source`, `profile`).
    Selection,
    /// The refresh engine's timing.
    Refresh,
    /// The IMDS client.
    Imds,
    /// The role session to ask STS for, in `AssumeRole` and `AssumeRoleWithWebIdentity` alike.
    Role,
    /// The parameters of `AssumeRole` alone (not of `AssumeRoleWithWebIdentity`).
    AssumeRole,
    /// The web identity token file: `AssumeRoleWithWebIdentity` instead of a base.
    WebIdentity,
    /// The STS endpoint of the role.
    Sts,
    /// The proxy and the trust roots: one set for every hop of a role chain (no `base.` form).
    Network,
}

impl Group {
    /// Every group.
    pub const ALL: [Group; 8] = [
        Group::Selection,
        Group::Refresh,
        Group::Imds,
        Group::Role,
        Group::AssumeRole,
        Group::WebIdentity,
        Group::Sts,
        Group::Network,
    ];

    /// The group's name in generated code (`selection`, `refresh`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Group::Selection => "selection",
            Group::Refresh => "refresh",
            Group::Imds => "imds",
            Group::Role => "role",
            Group::AssumeRole => "assumeRole",
            Group::WebIdentity => "webIdentity",
            Group::Sts => "sts",
            Group::Network => "network",
        }
    }

    /// Whether the group describes a role to assume (its options need `roleArn`).
    pub const fn is_role(self) -> bool {
        matches!(
            self,
            Group::Role | Group::AssumeRole | Group::WebIdentity | Group::Sts
        )
    }

    /// Whether the group says where a hop's base credentials come from (when `base.*` options
    /// say it, these may not be set on the role's own hop).
    pub const fn selects_base(self) -> bool {
        matches!(self, Group::Selection | Group::Imds)
    }
}

/// The unit of a whole-number option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds.
    Millis,
    /// Seconds.
    Seconds,
    /// A count.
    Count,
}

impl Unit {
    /// What follows a number in messages (` ms`, ` s`, nothing).
    pub const fn suffix(self) -> &'static str {
        match self {
            Unit::Millis => " ms",
            Unit::Seconds => " s",
            Unit::Count => "",
        }
    }
}

/// The values an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text: a name, a URL, JSON, PEM (the reader of the group checks it).
    Text,
    /// `true` or `false`.
    Bool,
    /// A whole number from `min` to `max` (both included).
    Whole {
        /// The least value.
        min: u64,
        /// The largest value.
        max: u64,
        /// What the number counts.
        unit: Unit,
    },
    /// Items separated by commas.
    List,
    /// `key=value` pairs separated by commas.
    Pairs,
    /// Refused whatever its value, for this reason.
    Refused(&'static str),
}

impl Kind {
    /// The kind's name in generated code (`text`, `bool`, `millis`, `seconds`, `count`, `list`,
    /// `pairs`, `refused`).
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Bool => "bool",
            Kind::Whole {
                unit: Unit::Millis, ..
            } => "millis",
            Kind::Whole {
                unit: Unit::Seconds,
                ..
            } => "seconds",
            Kind::Whole {
                unit: Unit::Count, ..
            } => "count",
            Kind::List => "list",
            Kind::Pairs => "pairs",
            Kind::Refused(_) => "refused",
        }
    }
}

/// How an option's value is shown (`Debug`, Java's `toString()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// As it is.
    Plain,
    /// A secret: `** redacted **`.
    Redacted,
    /// A URL without its user and password.
    WithoutPassword,
    /// PEM text as its number of certificates.
    CertificateCount,
}

/// One option: everything every reader needs to know about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    /// The key hosts pass (`refreshLeadMillis`; `-Dfreshcreds.<key>` in a JVM).
    pub key: &'static str,
    /// What the option is about.
    pub group: Group,
    /// The values it takes, with the range of a number.
    pub kind: Kind,
    /// The default: a value in the option's own notation when one fixed value applies (`60000`),
    /// else what decides it; empty when the option is off unless set.
    pub default: &'static str,
    /// How its value is shown.
    pub shown: Shown,
    /// What it means, in one line.
    pub doc: &'static str,
}

impl OptionSpec {
    /// Whether the value is a secret.
    pub const fn is_secret(&self) -> bool {
        matches!(self.shown, Shown::Redacted)
    }

    /// The range of a whole-number option: least, largest, unit.
    pub const fn range(&self) -> Option<(u64, u64, Unit)> {
        match self.kind {
            Kind::Whole { min, max, unit } => Some((min, max, unit)),
            _ => None,
        }
    }
}

/// The prefix of the options of a role's base hop: `base.roleArn`, `base.profile`, … describe the
/// credentials `roleArn` is assumed with (role chaining: `base.base.…` for a third hop).
pub const BASE_PREFIX: &str = "base.";

/// The prefix of the AWS SDK settings a JVM host passes under their own names (`aws.profile`,
/// …: the rows of `crate::sdk_settings::SDK_SETTINGS`, not of this spec).
pub const SDK_PREFIX: &str = "aws.";

/// The values of `source`: `chain`, then the sources it may be pinned to, each with the other
/// names it also answers to (any case).
pub const SOURCE_VALUES: [(&str, &[&str]); 7] = [
    ("chain", &["default"]),
    ("systemProperties", &[]),
    ("environment", &["env"]),
    ("webIdentity", &[]),
    ("profile", &[]),
    ("container", &[]),
    ("imds", &["Ec2InstanceMetadata"]),
];

/// Why `mfaSerial` is refused.
pub const MFA_REFUSED: &str = "a role that needs MFA cannot be refreshed in the background (nobody is there to type the token code); assume it from credentials that need no MFA, or use a session from `aws sts get-session-token` as the base";

/// The row of `key` (without `base.` prefixes), if it is an option.
pub fn find(key: &str) -> Option<&'static OptionSpec> {
    OPTIONS.iter().find(|o| o.key == key)
}

/// The keys of the options in `group`, in the spec's order.
pub fn keys_in(group: Group) -> impl Iterator<Item = &'static str> {
    OPTIONS
        .iter()
        .filter(move |o| o.group == group)
        .map(|o| o.key)
}

/// `key` without its `base.` prefixes.
pub fn bare_key(mut key: &str) -> &str {
    while let Some(rest) = key.strip_prefix(BASE_PREFIX) {
        key = rest;
    }
    key
}

/// What builds a fresh source, and so which groups of options apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// The source the options describe: the chain, a pinned source, a role over them.
    Options,
    /// A credential fetcher written by the host: the code says where credentials come from.
    Fetcher,
    /// A web identity token supplier written by the host: it assumes the options' role.
    TokenSupplier,
}

impl SourceKind {
    /// Every kind.
    pub const ALL: [SourceKind; 3] = [
        SourceKind::Options,
        SourceKind::Fetcher,
        SourceKind::TokenSupplier,
    ];

    /// The groups of options that apply to this kind of source (the AWS SDK settings apply to
    /// every kind). An option of another group set in code is refused; one read from a JVM
    /// system property (`-Dfreshcreds.<key>`) is left out for this source.
    pub const fn groups(self) -> &'static [Group] {
        match self {
            SourceKind::Options => &Group::ALL,
            SourceKind::Fetcher => &[Group::Refresh, Group::Network],
            SourceKind::TokenSupplier => &[Group::Refresh, Group::Network, Group::Role, Group::Sts],
        }
    }

    /// The kind's name in generated code (`options`, `fetcher`, `tokenSupplier`).
    pub const fn name(self) -> &'static str {
        match self {
            SourceKind::Options => "options",
            SourceKind::Fetcher => "fetcher",
            SourceKind::TokenSupplier => "tokenSupplier",
        }
    }

    /// Whether an option of `group` applies to this kind of source.
    pub fn takes(self, group: Group) -> bool {
        self.groups().contains(&group)
    }
}

/// Declares the rows: each becomes a constant named on the left (for the code that reads that
/// option) and an entry of [`OPTIONS`], in order; the doc comment is the row's doc line.
macro_rules! option_spec {
    ($(
        #[doc = $doc:literal]
        $name:ident = $key:literal, $group:ident, $kind:expr, $shown:ident, default $default:literal;
    )*) => {
        $(
            #[doc = concat!("`", $key, "`:", $doc)]
            pub const $name: OptionSpec = OptionSpec {
                key: $key,
                group: Group::$group,
                kind: $kind,
                default: $default,
                shown: Shown::$shown,
                doc: $doc.trim_ascii(),
            };
        )*

        /// Every option, one row each, in the order hosts list them.
        pub const OPTIONS: &[OptionSpec] = &[$($name),*];
    };
}

const fn ms(min: u64, max: u64) -> Kind {
    Kind::Whole {
        min,
        max,
        unit: Unit::Millis,
    }
}

const HOUR_MS: u64 = 3_600_000;

option_spec! {
    /// `chain`, or pin one source: `systemProperties`, `environment`, `webIdentity`, `profile`, `container`, `imds`
    SOURCE = "source", Selection, Kind::Text, Plain, default "chain";
    /// the profile to use instead of aws.profile / AWS_PROFILE / `default`
    PROFILE = "profile", Selection, Kind::Text, Plain, default "AWS_PROFILE, else default";
    /// refresh this long before expiry (capped at half the lifetime)
    REFRESH_LEAD = "refreshLeadMillis", Refresh, ms(1_000, 12 * HOUR_MS), Plain, default "5, 15 or 60 min by lifetime";
    /// random extra lead, up to this (capped at half the lead)
    JITTER = "jitterMillis", Refresh, ms(0, HOUR_MS), Plain, default "60000";
    /// how long a first caller waits for credentials when nothing is cached yet
    FIRST_FETCH_TIMEOUT = "firstFetchTimeoutMillis", Refresh, ms(100, 600_000), Plain, default "10000";
    /// length of one static-stability extension
    STALE_EXTENSION = "staleExtensionMillis", Refresh, ms(1_000, HOUR_MS), Plain, default "300000";
    /// first backoff after a failed refresh round (doubling, jittered)
    REFRESH_BACKOFF_BASE = "refreshBackoffBaseMillis", Refresh, ms(100, 600_000), Plain, default "5000";
    /// longest backoff between failed refresh rounds
    REFRESH_BACKOFF_CAP = "refreshBackoffCapMillis", Refresh, ms(1_000, HOUR_MS), Plain, default "300000";
    /// warn when local time is this far from the server's
    SKEW_WARN = "skewWarnMillis", Refresh, ms(1_000, HOUR_MS), Plain, default "60000";
    /// IMDS base URL
    IMDS_ENDPOINT = "imdsEndpoint", Imds, Kind::Text, Plain, default "AWS_EC2_METADATA_SERVICE_ENDPOINT, else by mode";
    /// `IPv4` or `IPv6`
    IMDS_ENDPOINT_MODE = "imdsEndpointMode", Imds, Kind::Text, Plain, default "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE, else IPv4";
    /// per-request IMDS timeout
    IMDS_TIMEOUT = "imdsTimeoutMillis", Imds, ms(10, 60_000), Plain, default "1000";
    /// IMDS attempts per request
    IMDS_ATTEMPTS = "imdsAttempts", Imds, Kind::Whole { min: 1, max: 10, unit: Unit::Count }, Plain, default "3";
    /// `true` to fall back to IMDSv1 when the token call fails
    IMDS_V1_FALLBACK = "imdsV1Fallback", Imds, Kind::Bool, Plain, default "true";
    /// assume this role (STS AssumeRole) with the base credentials: the source the other options select, or the hop the `base.*` options describe
    ROLE_ARN = "roleArn", Role, Kind::Text, Plain, default "";
    /// the role session name
    ROLE_SESSION_NAME = "roleSessionName", Role, Kind::Text, Plain, default "freshcreds-<unix millis>";
    /// the external id the role's trust policy asks for
    EXTERNAL_ID = "externalId", AssumeRole, Kind::Text, Redacted, default "";
    // STS grants 900 s to 43 200 s (`DurationSeconds`, as the SDKs check it); the role's maximum
    // session duration may be lower, and STS limits a chained role session to one hour.
    /// the role session's duration in seconds
    DURATION_SECONDS = "durationSeconds", Role, Kind::Whole { min: 900, max: 43_200, unit: Unit::Seconds }, Plain, default "3600";
    /// an inline session policy (JSON)
    POLICY = "policy", Role, Kind::Text, Plain, default "";
    /// managed session policies: ARNs separated by commas
    POLICY_ARNS = "policyArns", Role, Kind::List, Plain, default "";
    /// the source identity of the role session
    SOURCE_IDENTITY = "sourceIdentity", AssumeRole, Kind::Text, Plain, default "";
    /// session tags: `key=value` pairs separated by commas
    TAGS = "tags", AssumeRole, Kind::Pairs, Plain, default "";
    /// refused: a background refresh cannot ask for an MFA token code
    MFA_SERIAL = "mfaSerial", AssumeRole, Kind::Refused(MFA_REFUSED), Plain, default "";
    /// with `roleArn`: AssumeRoleWithWebIdentity with the token in this file (read at every refresh) instead of AssumeRole over a base
    WEB_IDENTITY_TOKEN_FILE = "webIdentityTokenFile", WebIdentity, Kind::Text, Plain, default "";
    /// the STS endpoint for the role
    STS_ENDPOINT = "stsEndpoint", Sts, Kind::Text, Plain, default "AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the profile's, else regional";
    /// the proxy of requests to AWS services (`http://host:port`), instead of HTTPS_PROXY; never used for IMDS, the container endpoint or loopback (the JVM passes https.proxyHost/https.proxyPort, and https.proxyUser/https.proxyPassword as the URL's user and password)
    HTTPS_PROXY = "httpsProxy", Network, Kind::Text, WithoutPassword, default "HTTPS_PROXY";
    /// hosts that bypass `httpsProxy`: `|`- or comma-separated, `*` wildcards (the JVM passes http.nonProxyHosts)
    NON_PROXY_HOSTS = "nonProxyHosts", Network, Kind::Text, Plain, default "NO_PROXY";
    /// PEM certificates trusted in addition to the platform's store or the CA bundle (the JVM passes its trust store's)
    TRUST_ROOTS_PEM = "trustRootsPem", Network, Kind::Text, CertificateCount, default "";
}

//! The layout of the arrays that cross the JNI boundary (credentials handed to Java, answers of
//! fetchers written in Java) and the numbers of the log levels, said once: the bridge uses these
//! types, and the Java build generates `dev.freshcreds.internal.NativeLayout` from them
//! (`rust/codegen`, which includes this file as it is, so it uses nothing but the standard
//! library).

/// Declares an enum whose variants' doc lines are also the generated Java's, with `ALL`: every
/// variant and its doc line, in declaration order.
macro_rules! documented_enum {
    (
        $(#[doc = $doc:literal])*
        enum $name:ident {
            $($(#[doc = $variant_doc:literal])+ $variant:ident $(= $number:literal)?,)+
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum $name {
            $($(#[doc = $variant_doc])+ $variant $(= $number)?,)+
        }

        impl $name {
            /// Every variant with its doc line, in declaration order.
            pub(crate) const ALL: [($name, &'static str); [$(stringify!($variant)),+].len()] =
                [$(($name::$variant, concat!($($variant_doc),+))),+];
        }
    };
}

documented_enum! {
    /// The longs a credentials call fills, by index.
    enum Number {
        /// The expiration (epoch millis, or `NO_EXPIRATION`).
        Expiration,
        /// How long the credentials may be served without asking again (millis).
        ServeFor,
        /// The stale flag (0 or 1).
        Stale,
    }
}

documented_enum! {
    /// The strings of a credentials array, by index.
    enum Text {
        /// The access key id.
        AccessKeyId,
        /// The secret access key.
        SecretAccessKey,
        /// The session token (or null).
        SessionToken,
        /// The source name.
        Source,
        /// The account id (or null when the source does not know it).
        AccountId,
    }
}

documented_enum! {
    /// The longs `FetcherBridge.call` fills, by index: what a fetcher or a token supplier written
    /// in Java answered.
    enum FetcherNumber {
        /// The expiration of the fetched credentials (epoch millis, or `NO_EXPIRATION`).
        Expiration,
        /// The outcome of the call (`FETCHER_OK`, `FETCHER_RETRYABLE` or `FETCHER_PERMANENT`).
        Outcome,
    }
}

documented_enum! {
    /// The strings `FetcherBridge.call` returns, by index (any of them null).
    enum FetcherText {
        /// The access key id (or a token supplier's web identity token).
        AccessKeyIdOrToken,
        /// The secret access key.
        SecretAccessKey,
        /// The session token.
        SessionToken,
        /// The failure message.
        Message,
    }
}

documented_enum! {
    /// The outcomes of a `FetcherBridge.call`.
    enum FetcherOutcome {
        /// The strings hold the answer.
        Ok = 0,
        /// The code failed; trying again soon may help.
        Retryable = 1,
        /// The code failed; trying again soon will not help.
        Permanent = 2,
    }
}

/// The expiration of credentials that do not expire.
pub(crate) const NO_EXPIRATION: i64 = i64::MIN;

/// A status number that has no value (no credentials yet, no scheduled refresh).
pub(crate) const NO_VALUE: i64 = i64::MIN;

/// Strings per row of `Native.statusFields()`: one row per `freshcreds::refresh::status_fields()`
/// entry, in its order, holding its name, kind, unit, meter, JMX name, JMX view and doc line.
/// `Native.statusValues` then fills one long per number field and returns one string per text
/// field, each in the rows' order.
pub(crate) const STATUS_FIELD_COLUMNS: usize = 7;

documented_enum! {
    /// The levels of native log records, by their number (0 and below: none), most severe first.
    enum LogLevel {
        /// Errors.
        Error = 1,
        /// Warnings.
        Warn = 2,
        /// Information.
        Info = 3,
        /// Debugging detail.
        Debug = 4,
        /// Tracing detail.
        Trace = 5,
    }
}

impl LogLevel {
    /// The level's number.
    pub(crate) const fn number(self) -> i32 {
        self as i32
    }

    /// The level of a number: none for 0 and below, the most verbose one above it.
    pub(crate) fn of(number: i32) -> Option<LogLevel> {
        if number <= 0 {
            return None;
        }
        let known = LogLevel::ALL.iter().map(|(level, _)| *level);
        Some(
            known
                .into_iter()
                .find(|level| level.number() == number)
                .unwrap_or(LogLevel::Trace),
        )
    }
}

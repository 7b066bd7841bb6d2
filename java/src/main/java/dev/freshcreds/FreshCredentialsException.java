package dev.freshcreds;

/**
 * A failure to get credentials, with the kind of failure from the native side.
 *
 * <p>Messages say what was tried (source, endpoint, file, environment variable) and never
 * contain secrets. Bad options are reported as {@link IllegalArgumentException} instead.
 */
public class FreshCredentialsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, coarsely. Names match the native library's error kinds. */
    public enum Kind {
        /** The source was switched off (for example {@code AWS_EC2_METADATA_DISABLED=true}). */
        DISABLED,
        /** The source has nothing configured here (no env vars, no profile, not on EC2). */
        NOT_CONFIGURED,
        /** A request timed out. */
        TIMEOUT,
        /** An endpoint could not be reached (refused, reset, no route). */
        CONNECT,
        /** An endpoint answered with an unexpected HTTP status. */
        HTTP,
        /** An endpoint throttled the requests. */
        THROTTLED,
        /** A response or a file could not be parsed. */
        PARSE,
        /** The configuration is invalid. */
        INVALID_CONFIG,
        /** Credentials expired and nothing could replace them. */
        EXPIRED,
        /** The source answered but refused to give credentials. */
        REFUSED,
        /** A bug in freshcreds. */
        INTERNAL,
        /**
         * An endpoint's TLS certificate was not trusted (a TLS-inspecting proxy, a missing CA
         * bundle); not retried. The message names the endpoint, the issuer and the fix.
         */
        TLS,
        /**
         * Credentials valid for the asked minimum validity could not be had (the source's
         * credentials do not last that long, or it has not issued longer-lived ones yet); thrown
         * as an {@link InsufficientValidityException}, which says what is available.
         */
        INSUFFICIENT_VALIDITY,
        /** A kind this version of the Java API does not know. */
        UNKNOWN;

        static Kind parse(String name) {
            if (name != null) {
                for (Kind k : values()) {
                    if (k.name().equals(name)) {
                        return k;
                    }
                }
            }
            return UNKNOWN;
        }
    }

    /** What kind of failure this is (serialized with the exception). */
    private final Kind kind;

    /**
     * Creates an exception; the native library calls this constructor.
     *
     * @param kind the name of the error kind, for example {@code "CONNECT"}
     * @param message what was tried and what failed
     */
    public FreshCredentialsException(String kind, String message) {
        super(message);
        this.kind = Kind.parse(kind);
    }

    /**
     * The kind of failure.
     *
     * @return the kind, {@link Kind#UNKNOWN} for a kind this version does not know
     */
    public Kind getKind() {
        return kind;
    }
}

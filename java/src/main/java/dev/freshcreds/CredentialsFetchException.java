package dev.freshcreds;

/**
 * Thrown by a {@link CredentialsFetcher} or a {@link WebIdentityTokenSupplier} to say whether
 * trying again soon may help: a retryable failure (a timeout, a 5xx, throttling) is retried
 * after the refresh backoff (5 seconds, doubling); a permanent one (access denied, a bad
 * configuration) after the long backoff for refusals (doubling to 15 minutes). Its message is
 * reported in {@link FreshCredentialsSource#status()} and the logs: it must hold no secret.
 */
public final class CredentialsFetchException extends Exception {
    private static final long serialVersionUID = 1L;

    private final boolean retryable;

    private CredentialsFetchException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    /**
     * A failure that may heal by itself.
     *
     * @param message what failed (no secret)
     * @return the exception
     */
    public static CredentialsFetchException retryable(String message) {
        return new CredentialsFetchException(message, true, null);
    }

    /**
     * A failure that does not heal by trying again soon.
     *
     * @param message what failed (no secret)
     * @return the exception
     */
    public static CredentialsFetchException permanent(String message) {
        return new CredentialsFetchException(message, false, null);
    }

    /**
     * A failure with its cause.
     *
     * @param message what failed (no secret)
     * @param retryable whether trying again soon may help
     * @param cause the cause
     * @return the exception
     */
    public static CredentialsFetchException of(String message, boolean retryable, Throwable cause) {
        return new CredentialsFetchException(message, retryable, cause);
    }

    /**
     * Whether trying again soon may help.
     *
     * @return true for a retryable failure
     */
    public boolean isRetryable() {
        return retryable;
    }
}

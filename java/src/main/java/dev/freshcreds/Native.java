package dev.freshcreds;

/**
 * The native methods of the freshcreds library. Package-private: the raw handle never leaves
 * this package; applications use {@link FreshCredentialsSource}.
 *
 * <p>A handle is owned by exactly one {@link FreshCredentialsSource}, which calls
 * {@link #close(long)} once and never concurrently with another call on the same handle.
 */
final class Native {
    /** Number of longs {@link #credentials} and {@link #refresh} fill. */
    static final int NUMBERS = 3;
    /** Index of the expiration (epoch millis, or {@link #NO_EXPIRATION}) in the numbers. */
    static final int EXPIRATION = 0;
    /** Index of how long the credentials may be served without asking again (millis). */
    static final int SERVE_FOR = 1;
    /** Index of the stale flag (0 or 1). */
    static final int STALE = 2;
    /** The expiration of credentials that do not expire. */
    static final long NO_EXPIRATION = Long.MIN_VALUE;

    /** Index of the access key id in the strings. */
    static final int ACCESS_KEY_ID = 0;
    /** Index of the secret access key in the strings. */
    static final int SECRET_ACCESS_KEY = 1;
    /** Index of the session token (or null) in the strings. */
    static final int SESSION_TOKEN = 2;
    /** Index of the source name in the strings. */
    static final int SOURCE = 3;

    private Native() {
    }

    /**
     * Creates a provider from {@code keys[i]=values[i]} options and starts its first fetch.
     *
     * @param keys option keys
     * @param values option values
     * @return a handle
     */
    static native long create(String[] keys, String[] values);

    /**
     * The current credentials.
     *
     * @param handle an open handle
     * @param numbers receives {@link #NUMBERS} longs
     * @return access key id, secret, session token (or null), source
     */
    static native String[] credentials(long handle, long[] numbers);

    /**
     * Forces a refresh and returns its credentials.
     *
     * @param handle an open handle
     * @param numbers receives {@link #NUMBERS} longs
     * @return access key id, secret, session token (or null), source
     */
    static native String[] refresh(long handle, long[] numbers);

    /**
     * The provider's state as JSON.
     *
     * @param handle an open handle
     * @return a JSON document
     */
    static native String status(long handle);

    /**
     * Stops the provider and frees the handle; 0 is ignored.
     *
     * @param handle an open handle, not used again afterwards
     */
    static native void close(long handle);

    /**
     * Moves queued native log records into the arrays: {@code levels[i]}, {@code texts[2i]} (the
     * native target) and {@code texts[2i+1]} (the message), waiting up to {@code waitMillis}
     * (at most one second) for the first. Called by the {@link LogPump} thread only.
     *
     * @param waitMillis how long to wait for a first record
     * @param levels receives the level numbers
     * @param texts receives target and message per record (twice as long as {@code levels})
     * @return how many records were moved (0 when none arrived in time or when woken)
     */
    static native int takeLogRecords(long waitMillis, int[] levels, String[] texts);

    /** Makes a waiting {@link #takeLogRecords} return at once. */
    static native void wakeLogRecords();

    /**
     * Native log records dropped because the queue to the Java log thread was full.
     *
     * @return the count since the library was loaded
     */
    static native long logRecordsDropped();
}

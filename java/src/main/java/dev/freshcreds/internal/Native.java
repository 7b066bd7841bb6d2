package dev.freshcreds.internal;

/**
 * The native methods of the freshcreds library. Not an API: use
 * {@link dev.freshcreds.FreshCredentialsSource}.
 *
 * <p>A handle is owned by exactly one Java object, which must call {@link #close(long)} once and
 * never concurrently with another call on the same handle.
 */
public final class Native {
    /** Number of longs {@link #credentials} and {@link #refresh} fill. */
    public static final int NUMBERS = 3;
    /** Index of the expiration (epoch millis, or {@link #NO_EXPIRATION}) in the numbers. */
    public static final int EXPIRATION = 0;
    /** Index of how long the credentials may be served without asking again (millis). */
    public static final int SERVE_FOR = 1;
    /** Index of the stale flag (0 or 1). */
    public static final int STALE = 2;
    /** The expiration of credentials that do not expire. */
    public static final long NO_EXPIRATION = Long.MIN_VALUE;

    /** Index of the access key id in the strings. */
    public static final int ACCESS_KEY_ID = 0;
    /** Index of the secret access key in the strings. */
    public static final int SECRET_ACCESS_KEY = 1;
    /** Index of the session token (or null) in the strings. */
    public static final int SESSION_TOKEN = 2;
    /** Index of the source name in the strings. */
    public static final int SOURCE = 3;

    private Native() {
    }

    /**
     * Creates a provider from {@code keys[i]=values[i]} options and starts its first fetch.
     *
     * @param keys option keys
     * @param values option values
     * @return a handle
     */
    public static native long create(String[] keys, String[] values);

    /**
     * The current credentials.
     *
     * @param handle an open handle
     * @param numbers receives {@link #NUMBERS} longs
     * @return access key id, secret, session token (or null), source
     */
    public static native String[] credentials(long handle, long[] numbers);

    /**
     * Forces a refresh and returns its credentials.
     *
     * @param handle an open handle
     * @param numbers receives {@link #NUMBERS} longs
     * @return access key id, secret, session token (or null), source
     */
    public static native String[] refresh(long handle, long[] numbers);

    /**
     * The provider's state as JSON.
     *
     * @param handle an open handle
     * @return a JSON document
     */
    public static native String status(long handle);

    /**
     * Stops the provider and frees the handle; 0 is ignored.
     *
     * @param handle an open handle, not used again afterwards
     */
    public static native void close(long handle);

    /**
     * Panics inside the native guard: lets tests check that a bug in the library surfaces as an
     * exception of kind {@code INTERNAL} instead of taking the JVM down.
     *
     * @param message the panic message
     */
    public static native void panicForTest(String message);
}

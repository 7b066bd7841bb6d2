package dev.freshcreds;

import dev.freshcreds.internal.NativeLayout;

/**
 * The native methods of the freshcreds library. Package-private: the raw handle never leaves
 * this package; applications use {@link FreshCredentialsSource}.
 *
 * <p>A handle is owned by exactly one {@link FreshCredentialsSource}, which calls
 * {@link #close(long)} once and never concurrently with another call on the same handle. The
 * layout of the arrays these methods fill is in the generated {@link NativeLayout}.
 */
final class Native {
    private Native() {
    }

    /**
     * Creates a fresh source from {@code keys[i]=values[i]} options and starts its first fetch.
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
     * @param numbers receives {@link NativeLayout#NUMBERS} longs
     * @return access key id, secret, session token (or null), source, account id (or null)
     */
    static native String[] credentials(long handle, long[] numbers);

    /**
     * Forces a refresh and returns its credentials.
     *
     * @param handle an open handle
     * @param numbers receives {@link NativeLayout#NUMBERS} longs
     * @return access key id, secret, session token (or null), source, account id (or null)
     */
    static native String[] refresh(long handle, long[] numbers);

    /**
     * Credentials valid for at least {@code minMillis}, as {@link #credentials}; waits (bounded,
     * single flight) for one round that may bring longer-lived ones.
     *
     * @param handle an open handle
     * @param minMillis the minimum validity, milliseconds (not negative)
     * @param numbers filled as by {@link #credentials}
     * @return the strings, as {@link #credentials}
     * @throws InsufficientValidityException when the source cannot give that much
     */
    static native String[] credentialsValidFor(long handle, long minMillis, long[] numbers);

    /**
     * Reports that AWS rejected the credentials with this access key id; when they are the
     * cached ones, waits (bounded, single flight) for the round that replaces them.
     *
     * @param handle an open handle
     * @param rejectedAccessKeyId the access key id of the rejected credentials
     * @return true when the key is one this fresh source served and other credentials are cached now
     */
    static native boolean invalidate(long handle, String rejectedAccessKeyId);

    /**
     * The fresh source's state as JSON.
     *
     * @param handle an open handle
     * @return a JSON document
     */
    static native String status(long handle);

    /**
     * The fields of the status, in order: {@link NativeLayout#STATUS_FIELD_COLUMNS} strings per
     * field (see {@link FreshCredentialsStatus.Field}). The same for every handle.
     *
     * @return the rows, flattened
     */
    static native String[] statusFields();

    /**
     * The fresh source's state, field by field of {@link #statusFields}.
     *
     * @param handle an open handle
     * @param numbers receives one long per number field ({@link NativeLayout#NO_VALUE} where none)
     * @return one string (or null) per text field
     */
    static native String[] statusValues(long handle, long[] numbers);

    /**
     * Stops the fresh source and frees the handle; 0 is ignored.
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

    /**
     * Sets the most verbose level the native side forwards.
     *
     * @param level 0 (none), or {@link NativeLayout#LOG_ERROR} to {@link NativeLayout#LOG_TRACE}
     */
    static native void setLogLevel(int level);

    /** Makes a waiting {@link #takeLogRecords} return at once. */
    static native void wakeLogRecords();

    /**
     * Native log records dropped because the queue to the Java log thread was full.
     *
     * @return the count since the library was loaded
     */
    static native long logRecordsDropped();

    /**
     * A fresh source over a fetcher.
     *
     * @param keys option keys (refresh and network options only)
     * @param values option values
     * @param name the fetcher's name (the source is {@code Fetcher(name)})
     * @param bridge the bridge to the fetcher
     * @param callTimeoutMillis how long one call may take
     * @return a handle, used and closed as {@link #create}'s
     */
    static native long createFetcher(String[] keys, String[] values, String name, Object bridge,
            long callTimeoutMillis);

    /**
     * A fresh source that assumes the options' {@code roleArn} with web identity tokens.
     *
     * @param keys option keys (refresh, network and role options)
     * @param values option values
     * @param bridge the bridge to the token supplier
     * @param callTimeoutMillis how long one call may take
     * @return a handle, used and closed as {@link #create}'s
     */
    static native long createTokenSupplier(String[] keys, String[] values, Object bridge,
            long callTimeoutMillis);
}

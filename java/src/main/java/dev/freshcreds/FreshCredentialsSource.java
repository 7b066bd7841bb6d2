package dev.freshcreds;

import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import dev.freshcreds.internal.Native;
import dev.freshcreds.internal.NativeLoader;

/**
 * AWS credentials from the default chain (or one pinned source), cached and refreshed early in
 * the background by the native library. Thread-safe; one instance per application is enough.
 *
 * <p>{@link #credentials()} answers from a Java-side snapshot without calling into native code
 * until the snapshot's serve-by deadline, which the native side sets to its next scheduled
 * refresh. {@link #close()} stops the background refresh and frees the native side; any call
 * afterwards throws {@link IllegalStateException}.
 */
public final class FreshCredentialsSource implements AutoCloseable {
    /** Longest time a snapshot is served without asking the native side again. */
    private static final long MAX_SERVE_FOR_MILLIS = TimeUnit.HOURS.toMillis(1);

    private static final class Cached {
        final FreshCredentials credentials;
        final long deadlineNanos;

        Cached(FreshCredentials credentials, long deadlineNanos) {
            this.credentials = credentials;
            this.deadlineNanos = deadlineNanos;
        }
    }

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final FreshCredentialsOptions options;
    private volatile Cached cached;
    /** Calls that reached native code for credentials (slow path only). */
    private final AtomicLong nativeCalls = new AtomicLong();
    /** Guarded by {@link #lock}: read lock for calls, write lock for close. 0 once closed. */
    private long handle;

    private FreshCredentialsSource(FreshCredentialsOptions options, long handle) {
        this.options = options;
        this.handle = handle;
    }

    /**
     * A source with the default options (system properties only).
     *
     * @return a new source; close it when done
     */
    public static FreshCredentialsSource create() {
        return create(FreshCredentialsOptions.defaults());
    }

    /**
     * A source with these options. The first fetch starts in the background at once.
     *
     * @param options the options
     * @return a new source; close it when done
     * @throws IllegalArgumentException when an option is unknown or its value is bad (the
     *     message names the key)
     * @throws FreshCredentialsException when the source cannot be set up
     * @throws UnsatisfiedLinkError when the native library cannot be loaded
     */
    public static FreshCredentialsSource create(FreshCredentialsOptions options) {
        NativeLoader.load();
        return new FreshCredentialsSource(options, Native.create(options.keys(), options.values()));
    }

    /**
     * The options this source was created with.
     *
     * @return the options
     */
    public FreshCredentialsOptions options() {
        return options;
    }

    /**
     * The current credentials: from the Java-side snapshot while it is fresh, else from the
     * native cache (waiting for the first fetch up to the first-fetch timeout).
     *
     * @return the credentials
     * @throws FreshCredentialsException when no credentials can be had (the message says what
     *     was tried)
     * @throws IllegalStateException after {@link #close()}
     */
    public FreshCredentials credentials() {
        Cached c = cached;
        if (c != null && c.deadlineNanos - System.nanoTime() > 0) {
            return c.credentials;
        }
        return fetch(false);
    }

    /**
     * Forces a refresh now and waits for its result.
     *
     * @return the new credentials
     * @throws FreshCredentialsException when the refresh fails
     * @throws IllegalStateException after {@link #close()}
     */
    public FreshCredentials refresh() {
        return fetch(true);
    }

    /**
     * The native provider's state as JSON: source, expiry, last refresh result, counters, and
     * the chain's resolution report. Contains no secrets.
     *
     * @return a JSON document
     * @throws IllegalStateException after {@link #close()}
     */
    public String status() {
        ReentrantReadWriteLock.ReadLock r = lock.readLock();
        r.lock();
        try {
            return Native.status(openHandle());
        } finally {
            r.unlock();
        }
    }

    /**
     * Stops the background refresh and frees the native side. Waits for calls in progress on
     * other threads. Closing twice is harmless.
     */
    @Override
    public void close() {
        ReentrantReadWriteLock.WriteLock w = lock.writeLock();
        w.lock();
        try {
            cached = null;
            if (handle != 0) {
                long h = handle;
                handle = 0;
                Native.close(h);
            }
        } finally {
            w.unlock();
        }
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        ReentrantReadWriteLock.ReadLock r = lock.readLock();
        r.lock();
        try {
            return handle == 0;
        } finally {
            r.unlock();
        }
    }

    /**
     * How many credential requests reached the native side (the rest were answered from the
     * Java-side snapshot).
     *
     * @return the count since creation
     */
    public long nativeCalls() {
        return nativeCalls.get();
    }

    private long openHandle() {
        if (handle == 0) {
            throw new IllegalStateException("this FreshCredentialsSource is closed");
        }
        return handle;
    }

    private FreshCredentials fetch(boolean force) {
        long[] numbers = new long[Native.NUMBERS];
        ReentrantReadWriteLock.ReadLock r = lock.readLock();
        r.lock();
        try {
            long h = openHandle();
            nativeCalls.incrementAndGet();
            long start = System.nanoTime();
            String[] s = force ? Native.refresh(h, numbers) : Native.credentials(h, numbers);
            Instant expiration = numbers[Native.EXPIRATION] == Native.NO_EXPIRATION
                    ? null
                    : Instant.ofEpochMilli(numbers[Native.EXPIRATION]);
            boolean stale = numbers[Native.STALE] != 0;
            Cached previous = cached;
            FreshCredentials credentials;
            if (previous != null && previous.credentials.sameAs(s[Native.ACCESS_KEY_ID],
                    s[Native.SECRET_ACCESS_KEY], s[Native.SESSION_TOKEN], expiration, s[Native.SOURCE], stale)) {
                // Same credentials: keep the same object, so adapters keep their converted copy.
                credentials = previous.credentials;
            } else {
                credentials = new FreshCredentials(s[Native.ACCESS_KEY_ID], s[Native.SECRET_ACCESS_KEY],
                        s[Native.SESSION_TOKEN], expiration, s[Native.SOURCE], stale);
            }
            long serveFor = Math.max(0, Math.min(numbers[Native.SERVE_FOR], MAX_SERVE_FOR_MILLIS));
            cached = new Cached(credentials, start + TimeUnit.MILLISECONDS.toNanos(serveFor));
            return credentials;
        } finally {
            r.unlock();
        }
    }

    /** Shows the options (secrets hidden) and whether the source is closed. */
    @Override
    public String toString() {
        Cached c = cached;
        return "FreshCredentialsSource{" + (isClosed() ? "closed, " : "")
                + (c == null ? "" : "credentials=" + c.credentials + ", ")
                + options + "}";
    }
}

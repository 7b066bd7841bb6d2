package dev.freshcreds;

import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import dev.freshcreds.internal.NativeLayout;
import dev.freshcreds.internal.NativeLoader;

/**
 * AWS credentials from the default chain (or one pinned source), cached and refreshed early in
 * the background by the native library. Thread-safe; one instance per application is enough.
 *
 * <p>{@link #credentials()} answers from a Java-side snapshot without calling into native code
 * and without reading a clock (a cached read is one volatile read) until the snapshot is dropped:
 * by {@link #refresh()}, by {@link #close()}, or when its serve-by deadline, which the native side
 * sets to its next scheduled refresh, passes. The deadline is kept on two clocks:
 * {@link System#nanoTime()} (immune to wall-clock steps, but stopped while the machine is
 * suspended) and {@link System#currentTimeMillis()} (which counts suspended time), and one
 * library daemon thread ({@code freshcreds-expiry}, running while any snapshot is held) drops
 * the snapshot when either passes it: at the monotonic deadline, and after a suspend, a
 * hibernation or a paused VM within one second of the resume (the thread looks at the wall
 * clock at least once a second of monotonic time, {@code SnapshotExpiry.RESUME_CHECK_MILLIS}).
 * A call in that second may still get the snapshot's credentials, which are normally still
 * valid: the serve-by deadline is the next scheduled refresh, minutes before their expiry.
 * {@link #close()} stops the background refresh and frees the native side; any call
 * afterwards throws {@link IllegalStateException}. A source that is never closed is closed within
 * about half a second of the collector finding it unreachable (a phantom reference drained by
 * the library's cleanup thread, {@code freshcreds-cleanup}: no finalizer).
 */
public final class FreshCredentialsSource implements AutoCloseable {
    /** Longest time a snapshot is served without asking the native side again. */
    private static final long MAX_SERVE_FOR_MILLIS = TimeUnit.HOURS.toMillis(1);

    /** The two clocks a snapshot's deadline is kept on; tests substitute their own. */
    interface Clock {
        /** The system clock. */
        Clock SYSTEM = new Clock() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public long currentTimeMillis() {
                return System.currentTimeMillis();
            }
        };

        /**
         * Monotonic time ({@link System#nanoTime()}): not stepped by NTP or by hand, but stopped
         * while the machine is suspended.
         *
         * @return nanoseconds from an arbitrary origin
         */
        long nanoTime();

        /**
         * Wall-clock time ({@link System#currentTimeMillis()}): counts suspended time.
         *
         * @return milliseconds since the epoch
         */
        long currentTimeMillis();
    }

    /**
     * A snapshot: the credentials served without asking the native side, and when to stop
     * (on both clocks). Refers to its source weakly, for {@link SnapshotExpiry}, which holds the
     * scheduled snapshots and must not keep their sources alive.
     */
    static final class Cached extends WeakReference<FreshCredentialsSource> {
        final FreshCredentials credentials;
        /** {@link Clock#nanoTime()} at which the snapshot is due. */
        final long deadlineNanos;
        /** {@link Clock#currentTimeMillis()} at which the snapshot is due. */
        final long wallDeadlineMillis;

        Cached(FreshCredentialsSource source, FreshCredentials credentials, long startNanos, long wallStartMillis,
                long serveForMillis) {
            super(source);
            this.credentials = credentials;
            this.deadlineNanos = startNanos + TimeUnit.MILLISECONDS.toNanos(serveForMillis);
            this.wallDeadlineMillis = wallStartMillis + serveForMillis;
        }
    }

    /** Swaps {@link #cached} atomically (fetch, drop and expiry race); reads stay plain volatile reads. */
    private static final AtomicReferenceFieldUpdater<FreshCredentialsSource, Cached> CACHED =
            AtomicReferenceFieldUpdater.newUpdater(FreshCredentialsSource.class, Cached.class, "cached");

    /**
     * The native handle and its lock: apart from the source, so that what closes an unreachable
     * source holds them without holding the source.
     */
    static final class NativeHandle {
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        /** Guarded by {@link #lock}: read lock for calls, write lock for close. 0 once closed. */
        long handle;

        /**
         * Guarded by {@code this}: the JMX name this handle is registered under (an
         * {@code ObjectName}), or null. Typed Object, and registered by {@link SourceMXBean}, so
         * that creating a source loads no JMX class.
         */
        Object jmxName;
        /** Guarded by {@code this}: set by close, so that a late registration does not happen. */
        boolean closing;
        /** What closes this handle if its source becomes unreachable unclosed; null for the shared source. */
        volatile Unreachable unreachable;

        NativeHandle(long handle) {
            this.handle = handle;
        }

        long openHandle() {
            long h = handle;
            if (h == 0) {
                throw new IllegalStateException("this FreshCredentialsSource is closed");
            }
            return h;
        }

        FreshCredentialsStatus status() {
            long[] numbers = new long[FreshCredentialsStatus.numberCount()];
            ReentrantReadWriteLock.ReadLock r = lock.readLock();
            r.lock();
            try {
                String[] s = Native.statusValues(openHandle(), numbers);
                return new FreshCredentialsStatus(s, numbers);
            } finally {
                r.unlock();
            }
        }

        private void unregisterMBean() {
            Object name;
            synchronized (this) {
                closing = true;
                name = jmxName;
                jmxName = null;
            }
            if (name != null) {
                SourceMXBean.unregister(name);
            }
        }

        /** Frees the native side once; true when this call did. */
        boolean close() {
            Unreachable u = unreachable;
            if (u != null) {
                // Closed: nothing is left for the cleanup thread to do for this source.
                unreachable = null;
                Unreachable.PENDING.remove(u);
                u.clear();
            }
            unregisterMBean();
            boolean closed = false;
            ReentrantReadWriteLock.WriteLock w = lock.writeLock();
            w.lock();
            try {
                if (handle != 0) {
                    long h = handle;
                    handle = 0;
                    closed = true;
                    Native.close(h);
                }
            } finally {
                w.unlock();
            }
            if (closed) {
                // Outside the lock: this may wait (boundedly) for queued log records to be delivered.
                LogPump.release();
            }
            return closed;
        }
    }

    /**
     * Closes the native side of a source that became unreachable without {@link #close()}: a
     * phantom reference per unclosed source, drained by the daemon thread
     * {@value #CLEANUP_THREAD_NAME}, which runs while any unclosed source exists (the
     * unreachable ones included) and ends after the last is closed.
     */
    static final class Unreachable extends PhantomReference<FreshCredentialsSource> {
        static final ReferenceQueue<FreshCredentialsSource> QUEUE = new ReferenceQueue<FreshCredentialsSource>();
        /** The references themselves must stay reachable until they are enqueued; one per unclosed source. */
        static final Set<Unreachable> PENDING = Collections.newSetFromMap(new ConcurrentHashMap<Unreachable, Boolean>());
        /** Guarded by {@code Unreachable.class}: the running cleanup thread, or null. */
        private static Thread thread;

        final NativeHandle handle;

        Unreachable(FreshCredentialsSource source, NativeHandle handle) {
            super(source, QUEUE);
            this.handle = handle;
        }

        /** Tracks {@code source} until it is closed, and starts the cleanup thread unless it runs. */
        static void track(FreshCredentialsSource source) {
            Unreachable u = new Unreachable(source, source.nativeHandle);
            source.nativeHandle.unreachable = u;
            PENDING.add(u);
            synchronized (Unreachable.class) {
                if (thread == null) {
                    thread = LibraryThreads.start(new Runnable() {
                        @Override
                        public void run() {
                            drain();
                        }
                    }, CLEANUP_THREAD_NAME);
                }
            }
        }

        /**
         * The running thread, for tests.
         *
         * @return the thread, or null when none runs
         */
        static synchronized Thread thread() {
            return thread;
        }

        /** The cleanup thread's loop: ends when no unclosed source is left. */
        private static void drain() {
            try {
                do {
                    Unreachable r = null;
                    try {
                        r = (Unreachable) QUEUE.remove(CLEANUP_WAIT_MILLIS);
                    } catch (InterruptedException e) {
                        // Not ours to stop: go on while unclosed sources are left.
                    }
                    if (r != null) {
                        closeUnreachable(r);
                    }
                } while (stillNeeded());
            } finally {
                // Also after an Error, so that the next tracked source starts a new thread.
                forget(Thread.currentThread());
            }
        }

        /** Whether unclosed sources are left; if not, the thread is forgotten (under the lock {@link #track} takes). */
        private static synchronized boolean stillNeeded() {
            if (PENDING.isEmpty()) {
                thread = null;
            }
            return thread != null;
        }

        private static synchronized void forget(Thread ended) {
            if (thread == ended) {
                thread = null;
            }
        }
    }

    /** The name of the thread that closes sources that became unreachable unclosed. */
    static final String CLEANUP_THREAD_NAME = "freshcreds-cleanup";
    /** How long the cleanup thread waits for an unreachable source before it checks whether any is left. */
    static final long CLEANUP_WAIT_MILLIS = 500;

    /** Closes a source the collector found unreachable; a failing close does not stop the thread. */
    private static void closeUnreachable(Unreachable r) {
        Unreachable.PENDING.remove(r);
        try {
            if (r.handle.close()) {
                CLOSED_UNREACHABLE.incrementAndGet();
            }
        } catch (RuntimeException e) {
            // A failing close must not stop the others.
        }
    }

    /** How many sources were closed because they became unreachable (tests, diagnostics). */
    static final AtomicLong CLOSED_UNREACHABLE = new AtomicLong();

    /** Guarded by {@code FreshCredentialsSource.class}: the JVM's shared source, once created. */
    private static FreshCredentialsSource shared;

    private final FreshCredentialsOptions options;
    private final SnapshotExpiry expiry;
    private final boolean isShared;
    /** The snapshot, or null: the only field a cached {@link #credentials()} reads. */
    private volatile Cached cached;
    /**
     * Counts {@link #invalidate(String)} calls: a fetch stores its snapshot only if no
     * invalidation happened while it was in flight (its native answer may hold the rejected key).
     */
    private final AtomicLong invalidations = new AtomicLong();
    /**
     * The credentials object last served (null once closed): kept across dropped snapshots, so
     * that unchanged credentials stay the same object and adapters keep their converted copy.
     */
    private volatile FreshCredentials lastServed;
    /** Calls that reached native code for credentials (slow path only). */
    private final AtomicLong nativeCalls = new AtomicLong();
    private final NativeHandle nativeHandle;

    private FreshCredentialsSource(FreshCredentialsOptions options, SnapshotExpiry expiry, long handle,
            boolean isShared) {
        this.options = options;
        this.expiry = expiry;
        this.nativeHandle = new NativeHandle(handle);
        this.isShared = isShared;
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
        return create(options, SnapshotExpiry.SYSTEM);
    }

    /**
     * A source whose snapshots {@code expiry} drops, on its clocks (tests).
     *
     * @param options the options
     * @param expiry the expiry and its clocks
     * @return a new source; close it when done
     */
    static FreshCredentialsSource create(FreshCredentialsOptions options, SnapshotExpiry expiry) {
        return create(options, expiry, false);
    }

    private static FreshCredentialsSource create(FreshCredentialsOptions options, SnapshotExpiry expiry,
            boolean isShared) {
        return created(options, expiry, isShared, new NativeFactory() {
            @Override
            public long create(String[] keys, String[] values) {
                return Native.create(keys, values);
            }
        });
    }

    /** Makes a native fresh source from the options' key/value pairs; returns its handle. */
    private interface NativeFactory {
        long create(String[] keys, String[] values);
    }

    /**
     * A factory of native handles over Java code behind {@code bridge}: a credentials fetcher
     * called {@code name}, or a web identity token supplier when {@code name} is {@code null}.
     */
    private static NativeFactory overJava(final String name, final FetcherBridge bridge, Duration callTimeout) {
        final long timeoutMillis = callTimeout.toMillis();
        return new NativeFactory() {
            @Override
            public long create(String[] keys, String[] values) {
                return name == null
                        ? Native.createTokenSupplier(keys, values, bridge, timeoutMillis)
                        : Native.createFetcher(keys, values, name, bridge, timeoutMillis);
            }
        };
    }

    /**
     * Loads the native library, hands the options (with the JVM's proxy and trust store, unless
     * the options set them or turn this off) to {@code factory}, and adopts the handle it makes.
     */
    private static FreshCredentialsSource created(FreshCredentialsOptions options, SnapshotExpiry expiry,
            boolean isShared, NativeFactory factory) {
        NativeLoader.load();
        Map<String, String> pairs = JvmNetwork.pairs(options, System.getProperties(),
                JvmNetwork.DEFAULT_TRUST_MANAGER);
        return adopt(options, expiry, factory.create(pairs.keySet().toArray(new String[0]),
                pairs.values().toArray(new String[0])), isShared);
    }

    /**
     * How long one call into a {@link CredentialsFetcher} or a {@link WebIdentityTokenSupplier}
     * may take by default before the refresh round fails with a timeout.
     */
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);
    /** The longest call timeout: the native engine's round timeout, which bounds every round. */
    public static final Duration MAX_CALL_TIMEOUT = Duration.ofSeconds(90);

    /**
     * A source over credentials fetched by Java code ({@code Fetcher(name)} in reports), with the
     * default options and {@link #DEFAULT_CALL_TIMEOUT}. It gets what every built-in source gets:
     * early background refresh, one fetch at a time whatever the number of callers, backoff,
     * stale serving while the fetcher fails, invalidation, status and metrics.
     *
     * @param name a short name for reports and logs, e.g. {@code polaris}
     * @param fetcher the fetcher
     * @return a new source; close it when done
     */
    public static FreshCredentialsSource fromFetcher(String name, CredentialsFetcher fetcher) {
        return fromFetcher(name, fetcher, FreshCredentialsOptions.builder().build(), DEFAULT_CALL_TIMEOUT);
    }

    /**
     * A source over credentials fetched by Java code.
     *
     * @param name a short name for reports and logs
     * @param fetcher the fetcher
     * @param options refresh and network options only (a source option set in code is refused;
     *     one from a {@code -Dfreshcreds.<key>} system property is left out)
     * @param callTimeout how long one call may take (at most {@link #MAX_CALL_TIMEOUT})
     * @return a new source; close it when done
     * @throws IllegalArgumentException for an option that does not apply or a timeout out of range
     */
    public static FreshCredentialsSource fromFetcher(final String name, CredentialsFetcher fetcher,
            FreshCredentialsOptions options, Duration callTimeout) {
        return created(options.forKind(OptionSpec.SOURCE_KIND_FETCHER), SnapshotExpiry.SYSTEM, false,
                overJava(name, FetcherBridge.of(fetcher), callTimeout));
    }

    /**
     * A source that assumes {@code roleArn} with {@code AssumeRoleWithWebIdentity}, with tokens
     * from Java code (asked at every refresh), and {@link #DEFAULT_CALL_TIMEOUT}.
     *
     * @param roleArn the role
     * @param roleSessionName the session name
     * @param supplier the token supplier
     * @return a new source; close it when done
     */
    public static FreshCredentialsSource webIdentity(String roleArn, String roleSessionName,
            WebIdentityTokenSupplier supplier) {
        return webIdentity(FreshCredentialsOptions.builder().assumeRole(roleArn, roleSessionName).build(),
                supplier, DEFAULT_CALL_TIMEOUT);
    }

    /**
     * A source that assumes the options' role with {@code AssumeRoleWithWebIdentity}, with tokens
     * from Java code. The STS endpoint follows the rules of every role ({@code stsEndpoint},
     * {@code AWS_ENDPOINT_URL_STS}, the region's).
     *
     * @param options the role ({@code roleArn}, session name, duration, policies, STS endpoint)
     *     and refresh and network options (another option set in code is refused; one from a
     *     {@code -Dfreshcreds.<key>} system property is left out)
     * @param supplier the token supplier
     * @param callTimeout how long one call may take (at most {@link #MAX_CALL_TIMEOUT})
     * @return a new source; close it when done
     * @throws IllegalArgumentException without a role, or with an option that does not apply
     */
    public static FreshCredentialsSource webIdentity(FreshCredentialsOptions options,
            WebIdentityTokenSupplier supplier, Duration callTimeout) {
        return created(options.forKind(OptionSpec.SOURCE_KIND_TOKEN_SUPPLIER), SnapshotExpiry.SYSTEM, false,
                overJava(null, FetcherBridge.of(supplier), callTimeout));
    }

    /** A source owning a new native handle. */
    private static FreshCredentialsSource adopt(FreshCredentialsOptions options, SnapshotExpiry expiry,
            long handle, boolean isShared) {
        FreshCredentialsSource source = new FreshCredentialsSource(options, expiry, handle, isShared);
        LogPump.acquire();
        if (!isShared) {
            Unreachable.track(source);
        }
        MBeanRegistrar.registerLater(source.nativeHandle, isShared);
        return source;
    }

    /**
     * The JVM's shared source, created on first use with the default options (system properties
     * {@code -Dfreshcreds.<option>}): one background refresher behind every SDK client that
     * uses it, whichever SDK (the global hooks and the Java agent use it). It lives as long as
     * the JVM: {@link #close()} on it does nothing.
     *
     * @return the shared source
     * @throws IllegalArgumentException when a {@code -Dfreshcreds.} option is bad
     * @throws FreshCredentialsException when the source cannot be set up
     */
    public static synchronized FreshCredentialsSource shared() {
        if (shared == null) {
            shared = create(FreshCredentialsOptions.defaults(), SnapshotExpiry.SYSTEM, true);
        }
        return shared;
    }

    /**
     * How many credential requests reached the native side of the shared source, or -1 when no
     * shared source was created (for diagnostics and tests).
     *
     * @return the count, or -1
     */
    public static synchronized long sharedIfCreated() {
        return shared == null ? -1 : shared.nativeCalls();
    }

    /**
     * How many native log records were dropped, since the library was loaded, because the queue
     * to the Java log thread was full (a Java log handler too slow or blocked). Records are
     * never forwarded from the native refresh threads themselves, so a blocked handler costs log
     * records, never a credential fetch.
     *
     * @return the count (0 when the library is not loaded)
     */
    public static long logRecordsDropped() {
        try {
            NativeLoader.load();
        } catch (UnsatisfiedLinkError e) {
            return 0;
        }
        return Native.logRecordsDropped();
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
        // No clock here: SnapshotExpiry drops the snapshot when it is due.
        Cached c = cached;
        if (c != null) {
            return c.credentials;
        }
        return fetch(false, -1);
    }

    /**
     * The snapshot's credentials, without calling native code and without blocking: for callers
     * that must never wait (an asynchronous client's event loop), which ask
     * {@link #credentials()} on another thread when this returns null.
     *
     * @return the credentials of the current snapshot, or {@code null} when there is none
     *     (nothing fetched yet, the snapshot is due, or the source is closed)
     */
    public FreshCredentials credentialsIfCached() {
        Cached c = cached;
        return c == null ? null : c.credentials;
    }

    /**
     * Credentials valid for at least {@code minimumValidity} from now, for work that outlives a
     * request (a presigned URL, a database token, a long transfer): the snapshot when its
     * expiry is that far away (no native call); otherwise the native side, which runs one
     * refresh round shared by every caller asking at the same time and waits for it (at most
     * 10 seconds). That round waits for the refresh policy's backoff and starts at most once a
     * minute, however often callers ask; meanwhile callers get the exception below at once.
     * Never returns shorter-lived or stale credentials. Long-term keys (no expiry) last long
     * enough for any validity.
     *
     * @param minimumValidity how long the credentials must stay valid, from now
     * @return credentials whose {@link FreshCredentials#getExpiration() expiration} is at least
     *     {@code minimumValidity} away, or long-term keys
     * @throws InsufficientValidityException when the source cannot give that much: its
     *     credentials do not last that long (a role session's duration), or it has not issued
     *     longer-lived ones yet; it says the longest validity available and when more may be
     * @throws FreshCredentialsException when no credentials can be had at all
     * @throws IllegalArgumentException when {@code minimumValidity} is negative
     * @throws IllegalStateException after {@link #close()}
     * @throws NullPointerException when {@code minimumValidity} is null
     */
    public FreshCredentials credentials(Duration minimumValidity) {
        if (minimumValidity == null) {
            throw new NullPointerException("minimumValidity");
        }
        if (minimumValidity.isNegative()) {
            throw new IllegalArgumentException("minimumValidity is negative: " + minimumValidity);
        }
        long minMillis;
        try {
            minMillis = minimumValidity.toMillis();
        } catch (ArithmeticException e) {
            minMillis = Long.MAX_VALUE;
        }
        Cached c = cached;
        if (c != null && lasts(c.credentials, minMillis)) {
            return c.credentials;
        }
        return fetch(false, minMillis);
    }

    /** Whether {@code f} stays valid for {@code minMillis} from now on the source's wall clock. */
    private boolean lasts(FreshCredentials f, long minMillis) {
        if (f.isStale()) {
            return false;
        }
        Instant expiration = f.getExpiration();
        return expiration == null
                || expiration.toEpochMilli() - expiry.clock.currentTimeMillis() >= minMillis;
    }

    /**
     * Forces a refresh now and waits for its result.
     *
     * @return the new credentials
     * @throws FreshCredentialsException when the refresh fails
     * @throws IllegalStateException after {@link #close()}
     */
    public FreshCredentials refresh() {
        return fetch(true, -1);
    }

    /**
     * Reports that AWS rejected the credentials with this access key id before their stated
     * expiry ({@code ExpiredToken} and the other codes of {@code RejectionCodes}: a revoked
     * role session, a replaced instance profile). When they are the credentials this source
     * holds, the snapshot is dropped and the native side replaces them in one refresh round,
     * shared by every caller that reports the same key (single flight); this call waits for that
     * round (at most 10 seconds), so that the next {@link #credentials()} returns the new ones.
     * Other callers are not held up meanwhile. A key this source replaced already (a newer one is
     * cached) is ignored, and so is a key it never served. At most one such round runs per
     * backoff period (5 seconds), however often keys are rejected.
     *
     * <p>The SDK adapters call this on a rejection and retry the rejected call once when it
     * returns true.
     *
     * @param rejectedAccessKeyId the access key id of the rejected request's credentials
     * @return true when the key is one this source served and other credentials are available
     *     now (a retry may succeed); false when the source has nothing newer yet (a retry would
     *     be rejected too) or the key is not one it served
     * @throws FreshCredentialsException when the source cannot be asked
     * @throws IllegalStateException after {@link #close()}
     * @throws NullPointerException when {@code rejectedAccessKeyId} is null
     */
    public boolean invalidate(String rejectedAccessKeyId) {
        if (rejectedAccessKeyId == null) {
            throw new NullPointerException("rejectedAccessKeyId");
        }
        ReentrantReadWriteLock.ReadLock r = nativeHandle.lock.readLock();
        r.lock();
        try {
            boolean replaced = Native.invalidate(openHandle(), rejectedAccessKeyId);
            // After the native side replaced the key and before looking at the snapshot: a fetch
            // in flight either sees the count move and discards its snapshot, or stored it
            // already and the check below drops it.
            invalidations.incrementAndGet();
            Cached c = cached;
            if (c != null && rejectedAccessKeyId.equals(c.credentials.getAccessKeyId())) {
                dropSnapshot();
            }
            return replaced;
        } finally {
            r.unlock();
        }
    }

    /**
     * The native fresh source's state as JSON: source, expiry, last refresh result, counters, and
     * the chain's resolution report. Contains no secrets.
     *
     * @return a JSON document
     * @throws IllegalStateException after {@link #close()}
     */
    public String status() {
        ReentrantReadWriteLock.ReadLock r = nativeHandle.lock.readLock();
        r.lock();
        try {
            return Native.status(openHandle());
        } finally {
            r.unlock();
        }
    }

    /**
     * The native fresh source's state, typed: source, expiry, stale flag, last error and counters
     * (the JSON of {@link #status()} without the chain's resolution report).
     *
     * @return a snapshot of the state
     * @throws IllegalStateException after {@link #close()}
     */
    public FreshCredentialsStatus typedStatus() {
        return nativeHandle.status();
    }

    /**
     * The JMX name of this source's MBean ({@link FreshCredentialsSourceMXBean}), once the
     * {@code freshcreds-jmx} thread has registered it (shortly after {@link #create}); {@code null} before, after
     * {@link #close()}, or with {@code -Dfreshcreds.jmx=false}.
     *
     * @return for example {@code dev.freshcreds:type=FreshCredentialsSource,name=source-1}
     */
    public javax.management.ObjectName jmxName() {
        synchronized (nativeHandle) {
            return (javax.management.ObjectName) nativeHandle.jmxName;
        }
    }

    /**
     * Stops the background refresh and frees the native side. Waits for calls in progress on
     * other threads. Closing twice is harmless. Does nothing on the {@link #shared()} source.
     */
    @Override
    public void close() {
        if (isShared) {
            return;
        }
        nativeHandle.close();
        // After the close: a fetch that was in flight when close began has stored its snapshot
        // by now (close waited for it), and no later fetch can (the handle is 0).
        dropSnapshot();
        lastServed = null;
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        ReentrantReadWriteLock.ReadLock r = nativeHandle.lock.readLock();
        r.lock();
        try {
            return nativeHandle.handle == 0;
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
        return nativeHandle.openHandle();
    }

    /**
     * Drops the snapshot, whatever it is, and cancels its expiry: the next {@link #credentials()}
     * asks the native side. For whatever makes the snapshot wrong before its deadline ({@link
     * #close()}, {@link #invalidate(String)}). A fetch already in flight may store a new snapshot
     * after this returns.
     */
    private void dropSnapshot() {
        replaceSnapshot(null);
    }

    /** Stores {@code next} (or none) as the snapshot, and schedules its expiry. */
    private void replaceSnapshot(Cached next) {
        Cached previous = CACHED.getAndSet(this, next);
        if (previous != null) {
            expiry.cancel(previous);
        }
        if (next != null && !expiry.schedule(next)) {
            CACHED.compareAndSet(this, next, null);
        }
    }

    /** Drops {@code stored} if it is still the snapshot, and cancels its expiry. */
    private void discardSnapshot(Cached stored) {
        if (CACHED.compareAndSet(this, stored, null)) {
            expiry.cancel(stored);
        }
    }

    /**
     * Called by {@link SnapshotExpiry} when {@code due} passed its deadline: drops it unless it
     * was replaced meanwhile.
     *
     * @param due the snapshot that is due
     */
    void expired(Cached due) {
        CACHED.compareAndSet(this, due, null);
    }

    /**
     * The snapshot the next {@link #credentials()} is answered from without the native side, or
     * null (tests).
     *
     * @return the snapshot, or null
     */
    Cached snapshot() {
        return cached;
    }

    /**
     * Asks the native side: a forced refresh, credentials valid for {@code minMillis} (when
     * not negative), or the current credentials; stores the answer as the snapshot.
     */
    private FreshCredentials fetch(boolean force, long minMillis) {
        long[] numbers = new long[NativeLayout.NUMBERS];
        ReentrantReadWriteLock.ReadLock r = nativeHandle.lock.readLock();
        r.lock();
        try {
            long h = openHandle();
            nativeCalls.incrementAndGet();
            long invalidationsBefore = invalidations.get();
            // Both clocks are read before the call, so that both deadlines err early.
            Clock clock = expiry.clock;
            long start = clock.nanoTime();
            long wallStart = clock.currentTimeMillis();
            String[] s = force ? Native.refresh(h, numbers)
                    : minMillis >= 0 ? Native.credentialsValidFor(h, minMillis, numbers)
                    : Native.credentials(h, numbers);
            Instant expiration = numbers[NativeLayout.EXPIRATION] == NativeLayout.NO_EXPIRATION
                    ? null
                    : Instant.ofEpochMilli(numbers[NativeLayout.EXPIRATION]);
            boolean stale = numbers[NativeLayout.STALE] != 0;
            FreshCredentials fetched = new FreshCredentials(s[NativeLayout.ACCESS_KEY_ID],
                    s[NativeLayout.SECRET_ACCESS_KEY], s[NativeLayout.SESSION_TOKEN], expiration,
                    s[NativeLayout.SOURCE], stale, s[NativeLayout.ACCOUNT_ID]);
            FreshCredentials previous = lastServed;
            // Same credentials: keep the same object, so adapters keep their converted copy.
            FreshCredentials credentials = previous != null && previous.sameAs(fetched) ? previous : fetched;
            lastServed = credentials;
            long serveFor = Math.max(0, Math.min(numbers[NativeLayout.SERVE_FOR], MAX_SERVE_FOR_MILLIS));
            Cached next = new Cached(this, credentials, start, wallStart, serveFor);
            // A snapshot already due (no serve-for time, or the call took longer) is not kept.
            boolean due = next.deadlineNanos - clock.nanoTime() <= 0
                    || next.wallDeadlineMillis - clock.currentTimeMillis() <= 0;
            replaceSnapshot(due ? null : next);
            if (!due && invalidations.get() != invalidationsBefore) {
                // An invalidation ran during the native call: the answer may be the rejected key.
                discardSnapshot(next);
            }
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

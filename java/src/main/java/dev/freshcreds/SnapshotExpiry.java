package dev.freshcreds;

import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Drops the Java-side snapshots of {@link FreshCredentialsSource}s when they are due, so that a
 * cached {@link FreshCredentialsSource#credentials()} reads no clock: one volatile read.
 *
 * <p>A snapshot is due when its serve-by deadline passes on either of two clocks: the monotonic
 * one ({@link System#nanoTime()}: immune to wall-clock steps, stopped while the machine is
 * suspended) or the wall clock ({@link System#currentTimeMillis()}: counts suspended time). One
 * daemon thread ({@value #THREAD_NAME}; not the log thread, so that a slow log appender never
 * delays an expiry) sleeps until the earliest deadline of all scheduled snapshots, but never
 * longer than {@value #RESUME_CHECK_MILLIS} ms: its sleep is monotonic and stops during a suspend,
 * so after a resume it looks at the wall clock within that interval, and a snapshot whose
 * deadline passed while the machine slept is dropped at most {@value #RESUME_CHECK_MILLIS} ms
 * (plus scheduling delay) after the resume.
 *
 * <p>The thread runs only while snapshots are scheduled (a source that is closed cancels its
 * own); it holds its snapshots' sources through weak references only, so an unclosed source
 * that becomes unreachable is not kept alive, and its snapshot is forgotten at the next check.
 * Scheduling happens under this object's lock and the thread re-reads the schedule under the
 * same lock before each wait: no wakeup is lost. A test instance without a thread is driven by
 * {@link #dropDue()} on a manual clock.
 */
final class SnapshotExpiry {
    /** The name of the thread. */
    static final String THREAD_NAME = "freshcreds-expiry";
    /**
     * The longest the thread sleeps between two looks at the clocks: after a resume from suspend,
     * a snapshot past its deadline is dropped within this (monotonic) time.
     */
    static final long RESUME_CHECK_MILLIS = 1000;

    /** The expiry of every source on the system clocks. */
    static final SnapshotExpiry SYSTEM = new SnapshotExpiry(FreshCredentialsSource.Clock.SYSTEM, true);

    final FreshCredentialsSource.Clock clock;
    private final boolean threaded;
    /** Guarded by {@code this}: the scheduled snapshots (identity: WeakReference keeps Object's equals). */
    private final Set<FreshCredentialsSource.Cached> scheduled = new HashSet<FreshCredentialsSource.Cached>();
    /** Guarded by {@code this}: the running thread, or null. */
    private Thread thread;

    /**
     * An expiry on these clocks.
     *
     * @param clock the clocks the snapshots' deadlines are kept on
     * @param threaded whether a thread drops due snapshots (false: only {@link #dropDue()} does)
     */
    SnapshotExpiry(FreshCredentialsSource.Clock clock, boolean threaded) {
        this.clock = clock;
        this.threaded = threaded;
    }

    /**
     * Drops {@code snapshot} from its source when it is due (unless cancelled or replaced first).
     *
     * @param snapshot the snapshot
     * @return false when nothing would drop it (the thread could not be started): the source
     *     must not keep it
     */
    synchronized boolean schedule(FreshCredentialsSource.Cached snapshot) {
        scheduled.add(snapshot);
        if (!threaded) {
            return true;
        }
        if (thread != null) {
            // The new deadline may be earlier than the one the thread sleeps until.
            notifyAll();
            return true;
        }
        Thread t = new Thread(new Runnable() {
            @Override
            public void run() {
                runThread();
            }
        }, THREAD_NAME);
        t.setDaemon(true);
        // Neither the creating thread's context class loader nor its priority is inherited.
        t.setContextClassLoader(null);
        t.setPriority(Thread.NORM_PRIORITY);
        try {
            t.start();
        } catch (RuntimeException | Error e) {
            // No thread (out of native threads, a security manager): no snapshot either; every
            // call then asks the native side, which is slower but never stale.
            scheduled.remove(snapshot);
            return false;
        }
        thread = t;
        return true;
    }

    /** Forgets {@code snapshot} (its source dropped or replaced it). */
    synchronized void cancel(FreshCredentialsSource.Cached snapshot) {
        if (scheduled.remove(snapshot) && scheduled.isEmpty() && thread != null) {
            // Nothing left to wait for: let the thread end now rather than at its next check.
            notifyAll();
        }
    }

    /**
     * Drops every due snapshot from its source, and forgets those of collected sources.
     *
     * @return nanoseconds until the next look at the clocks is needed (at most
     *     {@link #RESUME_CHECK_MILLIS})
     */
    synchronized long dropDue() {
        long nanos = clock.nanoTime();
        long millis = clock.currentTimeMillis();
        long next = TimeUnit.MILLISECONDS.toNanos(RESUME_CHECK_MILLIS);
        for (Iterator<FreshCredentialsSource.Cached> it = scheduled.iterator(); it.hasNext();) {
            FreshCredentialsSource.Cached c = it.next();
            FreshCredentialsSource source = c.get();
            if (source == null) {
                it.remove();
                continue;
            }
            long monotonicLeft = c.deadlineNanos - nanos;
            long wallLeft = c.wallDeadlineMillis - millis;
            if (monotonicLeft <= 0 || wallLeft <= 0) {
                it.remove();
                source.expired(c);
            } else {
                next = Math.min(next, Math.min(monotonicLeft, TimeUnit.MILLISECONDS.toNanos(wallLeft)));
            }
        }
        return next;
    }

    /**
     * How many snapshots are scheduled (tests).
     *
     * @return the count
     */
    synchronized int scheduledCount() {
        return scheduled.size();
    }

    /**
     * The running thread, or null (tests).
     *
     * @return the thread
     */
    synchronized Thread thread() {
        return thread;
    }

    private synchronized void runThread() {
        try {
            while (true) {
                long waitNanos = dropDue();
                if (scheduled.isEmpty()) {
                    thread = null;
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, waitNanos);
                } catch (InterruptedException e) {
                    // Not ours to stop: look at the clocks again.
                }
            }
        } catch (Throwable e) {
            // Only a broken clock (or an Error) gets here. Nothing would drop the scheduled
            // snapshots any more: drop them all now (their next calls ask the native side), and
            // the next schedule starts a new thread.
            for (FreshCredentialsSource.Cached c : scheduled) {
                FreshCredentialsSource source = c.get();
                if (source != null) {
                    source.expired(c);
                }
            }
            scheduled.clear();
            if (thread == Thread.currentThread()) {
                thread = null;
            }
        }
    }
}

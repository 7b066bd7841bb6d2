package dev.freshcreds;

import dev.freshcreds.internal.NativeLog;

/**
 * The daemon thread ({@value #THREAD_NAME}) that hands native log records to Java logging, and
 * does nothing else (unreachable sources are closed by {@code freshcreds-cleanup}, MBeans
 * registered by {@link MBeanRegistrar}).
 *
 * <p>The native side never calls Java from the threads that raise log records (its refresh
 * workers): it queues them, boundedly, and this thread takes them in batches and passes them to
 * {@link NativeLog#log}. A log handler that blocks (a synchronized appender waiting for a lock,
 * an appender that itself calls AWS through freshcreds) therefore delays only this thread, never
 * a credential fetch; while it is blocked, the native queue fills and further records are
 * dropped and counted ({@link FreshCredentialsSource#logRecordsDropped()}).
 *
 * <p>The thread runs while at least one {@link FreshCredentialsSource} is open. When the last
 * one closes, it delivers what is queued (the closing thread waits up to
 * {@value #FLUSH_TIMEOUT_MILLIS} ms for that) and ends, so that nothing keeps the class loader of
 * freshcreds alive after an application is undeployed.
 */
final class LogPump implements Runnable {
    /** The name of the thread. */
    static final String THREAD_NAME = "freshcreds-log";
    /** Records taken from the native queue per call. */
    static final int BATCH = 64;
    /** How long one native wait for records lasts while sources are open. */
    static final long WAIT_MILLIS = 500;
    /** How long closing the last source waits for the queued records to be delivered. */
    static final long FLUSH_TIMEOUT_MILLIS = 1000;

    /** Guarded by {@code LogPump.class}: open sources. */
    private static int users;
    /** Guarded by {@code LogPump.class}: the running thread, or null. */
    private static Thread thread;

    private LogPump() {
    }

    /** A source was opened: starts the thread unless it runs. */
    static synchronized void acquire() {
        users++;
        if (thread == null) {
            thread = LibraryThreads.start(new LogPump(), THREAD_NAME);
        }
    }

    /**
     * A source was closed: when it was the last one, the thread delivers what is queued and
     * ends; this waits up to {@link #FLUSH_TIMEOUT_MILLIS} for it.
     */
    static void release() {
        Thread t;
        synchronized (LogPump.class) {
            users = Math.max(0, users - 1);
            if (users > 0 || thread == null) {
                return;
            }
            t = thread;
        }
        Native.wakeLogRecords();
        if (t == Thread.currentThread()) {
            return;
        }
        try {
            t.join(FLUSH_TIMEOUT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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

    @Override
    public void run() {
        int[] levels = new int[BATCH];
        String[] texts = new String[2 * BATCH];
        int nativeLevel = -1;
        try {
            while (true) {
                // The native level follows the logger's (unless -Dfreshcreds.log.level pins it).
                int wanted = NativeLog.enabledLevel();
                if (wanted >= 0 && wanted != nativeLevel) {
                    Native.setLogLevel(wanted);
                    nativeLevel = wanted;
                }
                boolean stopping;
                synchronized (LogPump.class) {
                    stopping = users == 0;
                }
                int n = Native.takeLogRecords(stopping ? 0 : WAIT_MILLIS, levels, texts);
                for (int i = 0; i < n; i++) {
                    NativeLog.log(levels[i], texts[2 * i], texts[2 * i + 1]);
                    texts[2 * i] = null;
                    texts[2 * i + 1] = null;
                }
                if (n == 0 && stopping) {
                    synchronized (LogPump.class) {
                        if (users == 0) {
                            thread = null;
                            return;
                        }
                    }
                }
            }
        } catch (Throwable e) {
            // Only a broken library gets here (NativeLog.log never throws): stop forwarding.
            synchronized (LogPump.class) {
                if (thread == Thread.currentThread()) {
                    thread = null;
                }
            }
        }
    }
}

package dev.freshcreds;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The daemon thread ({@value #THREAD_NAME}) that registers new sources' MBeans
 * ({@link SourceMXBean}), {@link #REGISTER_AFTER_MILLIS} after each source was created: the
 * platform MBean server costs tens of milliseconds of CPU to start, which neither a
 * {@code create()} caller nor its first credentials should compete with. The thread runs only
 * while registrations are queued, then ends. Loads no JMX class on the caller's thread.
 */
final class MBeanRegistrar implements Runnable {
    /** The name of the thread. */
    static final String THREAD_NAME = "freshcreds-jmx";
    /** How long after its creation a source's MBean is registered. */
    static final long REGISTER_AFTER_MILLIS = 1000;

    /** A source waiting for its MBean. */
    private static final class Pending {
        final FreshCredentialsSource.NativeHandle handle;
        final String name;
        final long dueNanos;

        Pending(FreshCredentialsSource.NativeHandle handle, String name, long dueNanos) {
            this.handle = handle;
            this.name = name;
            this.dueNanos = dueNanos;
        }
    }

    /** Guarded by {@code MBeanRegistrar.class}: in order of due time. */
    private static final ArrayDeque<Pending> QUEUE = new ArrayDeque<Pending>();
    /** Guarded by {@code MBeanRegistrar.class}: the running thread, or null. */
    private static Thread thread;
    /** Guarded by {@code MBeanRegistrar.class}: numbers the MBeans of sources that are not the shared one. */
    private static long nextNumber = 1;

    private MBeanRegistrar() {
    }

    /**
     * Queues a new source's MBean for registration {@link #REGISTER_AFTER_MILLIS} from now
     * (nothing with {@code -Dfreshcreds.jmx=false}).
     *
     * @param handle the source's handle
     * @param shared whether it is the JVM's shared source (named {@code shared})
     */
    static synchronized void registerLater(FreshCredentialsSource.NativeHandle handle, boolean shared) {
        if ("false".equalsIgnoreCase(System.getProperty(SourceMXBean.JMX_PROPERTY, "true").trim())) {
            return;
        }
        String name = shared ? "shared" : "source-" + nextNumber++;
        QUEUE.add(new Pending(handle, name, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REGISTER_AFTER_MILLIS)));
        if (thread == null) {
            thread = LibraryThreads.start(new MBeanRegistrar(), THREAD_NAME);
        } else {
            MBeanRegistrar.class.notifyAll();
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

    /** The next due registration, waiting for its time; null (and the thread ends) when none is queued. */
    private static synchronized Pending next() throws InterruptedException {
        while (true) {
            Pending head = QUEUE.peek();
            if (head == null) {
                thread = null;
                return null;
            }
            long wait = head.dueNanos - System.nanoTime();
            if (wait <= 0) {
                return QUEUE.poll();
            }
            TimeUnit.NANOSECONDS.timedWait(MBeanRegistrar.class, wait);
        }
    }

    @Override
    public void run() {
        try {
            for (Pending p = next(); p != null; p = next()) {
                SourceMXBean.register(p.handle, p.name);
            }
        } catch (Throwable e) {
            // Only a broken JMX set-up gets here: the views are lost, the sources work on.
            synchronized (MBeanRegistrar.class) {
                if (thread == Thread.currentThread()) {
                    thread = null;
                }
            }
        }
    }
}

package dev.freshcreds;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import javax.management.MalformedObjectNameException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * The MBean of one source. It holds the source's native handle, not the source, so that a
 * registered MBean does not keep an unclosed source reachable (its cleanup closes the handle,
 * which unregisters the MBean). Registration runs on the log thread ({@link #registerQueued}),
 * {@link #REGISTER_AFTER_MILLIS} after the source was created: the platform MBean server costs
 * tens of milliseconds of CPU to start, which neither a {@code create()} caller nor its first
 * credentials should compete with.
 */
final class SourceMXBean implements FreshCredentialsSourceMXBean {
    /** System property that switches JMX registration off ({@code false}). */
    static final String JMX_PROPERTY = "freshcreds.jmx";
    static final String DOMAIN = "dev.freshcreds";
    /** How long after its creation a source's MBean is registered. */
    static final long REGISTER_AFTER_MILLIS = 1000;

    private static final ConcurrentLinkedQueue<Object[]> QUEUED = new ConcurrentLinkedQueue<Object[]>();
    private static final AtomicLong NEXT = new AtomicLong(1);

    private final FreshCredentialsSource.NativeHandle handle;

    SourceMXBean(FreshCredentialsSource.NativeHandle handle) {
        this.handle = handle;
    }

    /** Queues a new source's handle for registration (nothing when switched off). */
    static void queue(FreshCredentialsSource.NativeHandle handle, boolean shared) {
        if ("false".equalsIgnoreCase(System.getProperty(JMX_PROPERTY, "true").trim())) {
            return;
        }
        String name = shared ? "shared" : "source-" + NEXT.getAndIncrement();
        QUEUED.add(new Object[] {handle, name, System.nanoTime()});
    }

    /** Registers the queued handles; called by the log thread between batches. */
    static void registerQueued() {
        MBeanServer server = null;
        for (Object[] next = QUEUED.peek(); next != null && due(next); next = QUEUED.peek()) {
            QUEUED.poll();
            if (server == null) {
                server = ManagementFactory.getPlatformMBeanServer();
            }
            try {
                ObjectName name = new ObjectName(DOMAIN + ":type=FreshCredentialsSource,name=" + next[1]);
                ((FreshCredentialsSource.NativeHandle) next[0]).registerMBean(server, name);
            } catch (MalformedObjectNameException | RuntimeException e) {
                // a view for operators only
            }
        }
    }

    private static boolean due(Object[] queued) {
        return System.nanoTime() - (Long) queued[2] >= java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(REGISTER_AFTER_MILLIS);
    }

    private FreshCredentialsStatus status() {
        return handle.status();
    }

    private static Long millis(Duration d) {
        return d == null ? null : d.toMillis();
    }

    @Override
    public String getSource() {
        return status().getSource();
    }

    @Override
    public String getAccessKeyId() {
        return status().getAccessKeyId();
    }

    @Override
    public Long getExpiresInMillis() {
        return millis(status().getExpiresIn());
    }

    @Override
    public Long getRefreshInMillis() {
        return millis(status().getRefreshIn());
    }

    @Override
    public boolean isStale() {
        return status().isStale();
    }

    @Override
    public String getLastError() {
        return status().getLastError();
    }

    @Override
    public long getRounds() {
        return status().getRounds();
    }

    @Override
    public long getRefreshes() {
        return status().getRefreshes();
    }

    @Override
    public long getFailures() {
        return status().getFailures();
    }

    @Override
    public long getStaleExtensions() {
        return status().getStaleExtensions();
    }

    @Override
    public long getResumes() {
        return status().getResumes();
    }

    @Override
    public long getClockSkewMillis() {
        return status().getClockSkew().toMillis();
    }
}

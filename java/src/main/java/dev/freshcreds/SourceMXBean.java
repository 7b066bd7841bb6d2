package dev.freshcreds;

import java.lang.management.ManagementFactory;
import java.time.Duration;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * The MBean of one source. It holds the source's native handle, not the source, so that a
 * registered MBean does not keep an unclosed source reachable (its cleanup closes the handle,
 * which unregisters the MBean). Registration runs on the log thread ({@link #register}),
 * {@link #REGISTER_AFTER_MILLIS} after the source was created: the platform MBean server costs
 * tens of milliseconds of CPU to start, which neither a {@code create()} caller nor its first
 * credentials should compete with.
 */
final class SourceMXBean implements FreshCredentialsSourceMXBean {
    /** System property that switches JMX registration off ({@code false}). */
    static final String JMX_PROPERTY = "freshcreds.jmx";
    /** System property that makes the view show full texts ({@code full}) instead of kinds. */
    static final String DETAILS_PROPERTY = "freshcreds.jmx.details";
    static final String DOMAIN = "dev.freshcreds";
    /** How long after its creation a source's MBean is registered. */
    static final long REGISTER_AFTER_MILLIS = 1000;

    private final FreshCredentialsSource.NativeHandle handle;

    SourceMXBean(FreshCredentialsSource.NativeHandle handle) {
        this.handle = handle;
    }

    /**
     * Registers MBeans queued by {@link LogPump#registerMBeanLater}; on the log thread.
     *
     * @param due {@code {handle, name, queued at}} entries
     */
    static void register(java.util.List<Object[]> due) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        for (Object[] entry : due) {
            FreshCredentialsSource.NativeHandle handle = (FreshCredentialsSource.NativeHandle) entry[0];
            synchronized (handle) {
                if (handle.closing || handle.jmxName != null) {
                    continue;
                }
                try {
                    ObjectName name = new ObjectName(DOMAIN + ":type=FreshCredentialsSource,name=" + entry[1]);
                    server.registerMBean(new SourceMXBean(handle), name);
                    handle.jmxName = name;
                } catch (JMException | RuntimeException e) {
                    // A view for operators only: a name clash or a refused registration costs the view.
                }
            }
        }
    }

    /**
     * Unregisters an MBean registered by {@link #register}.
     *
     * @param name its {@code ObjectName}
     */
    static void unregister(Object name) {
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean((ObjectName) name);
        } catch (JMException | RuntimeException e) {
            // already gone
        }
    }

    private FreshCredentialsStatus status() {
        return handle.status();
    }

    private static Long millis(Duration d) {
        return d == null ? null : d.toMillis();
    }

    /** Whether the full texts are shown, read per call so that operators can switch it at run time. */
    private static boolean fullDetails() {
        return "full".equalsIgnoreCase(System.getProperty(DETAILS_PROPERTY, "").trim());
    }

    /**
     * An access key id as {@code aws configure list} shows it: its last four characters.
     *
     * @param accessKeyId an access key id, or null
     * @return the masked id, or null
     */
    static String masked(String accessKeyId) {
        if (accessKeyId == null) {
            return null;
        }
        int keep = Math.min(4, accessKeyId.length());
        return "****************" + accessKeyId.substring(accessKeyId.length() - keep);
    }

    @Override
    public String getSource() {
        FreshCredentialsStatus s = status();
        return fullDetails() ? s.getSource() : s.getSourceKind();
    }

    @Override
    public String getSourceKind() {
        return status().getSourceKind();
    }

    @Override
    public String getAccessKeyId() {
        String id = status().getAccessKeyId();
        return fullDetails() ? id : masked(id);
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
        FreshCredentialsStatus s = status();
        return fullDetails() ? s.getLastError() : s.getLastErrorKind();
    }

    @Override
    public String getLastErrorKind() {
        return status().getLastErrorKind();
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
    public long getInvalidations() {
        return status().getInvalidations();
    }

    @Override
    public long getClockSkewMillis() {
        return status().getClockSkew().toMillis();
    }
}

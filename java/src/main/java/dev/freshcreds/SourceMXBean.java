package dev.freshcreds;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.DynamicMBean;
import javax.management.JMException;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * The MBean of one source ({@link FreshCredentialsSourceMXBean} documents its attributes): one
 * attribute per field of {@link FreshCredentialsStatus#fields()}, so every counter the native
 * status has is one here. It holds the source's native handle, not the source, so that a
 * registered MBean does not keep an unclosed source reachable (its cleanup closes the handle,
 * which unregisters the MBean). {@link MBeanRegistrar} registers it, shortly after the source
 * was created.
 */
final class SourceMXBean implements DynamicMBean {
    /** System property that switches JMX registration off ({@code false}). */
    static final String JMX_PROPERTY = "freshcreds.jmx";
    /** System property that makes the view show full texts ({@code full}) instead of kinds. */
    static final String DETAILS_PROPERTY = "freshcreds.jmx.details";
    static final String DOMAIN = "dev.freshcreds";
    /** How long after its creation a source's MBean is registered. */
    static final long REGISTER_AFTER_MILLIS = MBeanRegistrar.REGISTER_AFTER_MILLIS;

    private final FreshCredentialsSource.NativeHandle handle;

    SourceMXBean(FreshCredentialsSource.NativeHandle handle) {
        this.handle = handle;
    }

    /**
     * Registers the MBean of {@code handle} as {@code name} unless the handle is closing or has
     * one; on the registrar's thread.
     *
     * @param handle the source's handle
     * @param name {@code shared} or {@code source-N}
     */
    static void register(FreshCredentialsSource.NativeHandle handle, String name) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        synchronized (handle) {
            if (handle.closing || handle.jmxName != null) {
                return;
            }
            try {
                ObjectName objectName = new ObjectName(DOMAIN + ":type=FreshCredentialsSource,name=" + name);
                server.registerMBean(new SourceMXBean(handle), objectName);
                handle.jmxName = objectName;
            } catch (JMException | RuntimeException e) {
                // A view for operators only: a name clash or a refused registration costs the view.
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

    /** The Java type of a field's attribute. */
    private static Class<?> type(FreshCredentialsStatus.Field f) {
        switch (f.kind) {
            case TEXT:
                return String.class;
            case FLAG:
                return Boolean.class;
            default:
                return Long.class;
        }
    }

    /** A field's attribute value in {@code status}, as the view shows it. */
    private static Object shown(FreshCredentialsStatus status, FreshCredentialsStatus.Field f) {
        Object v = status.value(f);
        if (f.kind == FreshCredentialsStatus.Kind.FLAG) {
            return v == null ? null : ((Long) v) != 0;
        }
        if (f.kind != FreshCredentialsStatus.Kind.TEXT || fullDetails()) {
            return v;
        }
        String view = f.jmxView;
        if (view.equals("masked")) {
            return masked((String) v);
        }
        if (view.startsWith("kind:")) {
            return v == null ? null : status.text(view.substring("kind:".length()));
        }
        return v;
    }

    private static FreshCredentialsStatus.Field field(String attribute) throws AttributeNotFoundException {
        for (FreshCredentialsStatus.Field f : FreshCredentialsStatus.fields()) {
            if (f.jmxName.equals(attribute)) {
                return f;
            }
        }
        throw new AttributeNotFoundException(attribute);
    }

    @Override
    public Object getAttribute(String attribute) throws AttributeNotFoundException {
        FreshCredentialsStatus.Field f = field(attribute);
        return shown(handle.status(), f);
    }

    @Override
    public AttributeList getAttributes(String[] attributes) {
        AttributeList out = new AttributeList();
        FreshCredentialsStatus status;
        try {
            status = handle.status();
        } catch (RuntimeException closed) {
            return out;
        }
        for (String attribute : attributes) {
            try {
                out.add(new Attribute(attribute, shown(status, field(attribute))));
            } catch (AttributeNotFoundException e) {
                // left out, as the JMX contract says
            }
        }
        return out;
    }

    @Override
    public void setAttribute(Attribute attribute) throws AttributeNotFoundException {
        throw new AttributeNotFoundException(attribute.getName() + " is read-only");
    }

    @Override
    public AttributeList setAttributes(AttributeList attributes) {
        return new AttributeList();
    }

    @Override
    public Object invoke(String actionName, Object[] params, String[] signature) {
        throw new UnsupportedOperationException(actionName);
    }

    @Override
    public MBeanInfo getMBeanInfo() {
        List<MBeanAttributeInfo> attributes = new ArrayList<MBeanAttributeInfo>();
        for (FreshCredentialsStatus.Field f : FreshCredentialsStatus.fields()) {
            String unit = f.unit.isEmpty() ? "" : " (" + f.unit + ")";
            attributes.add(new MBeanAttributeInfo(f.jmxName, type(f).getName(), f.description + unit,
                    true, false, f.kind == FreshCredentialsStatus.Kind.FLAG));
        }
        return new MBeanInfo(SourceMXBean.class.getName(), "freshcreds source: " + FreshCredentialsSourceMXBean.class.getName(),
                attributes.toArray(new MBeanAttributeInfo[0]), null, null, null);
    }
}

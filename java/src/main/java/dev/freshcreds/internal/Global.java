package dev.freshcreds.internal;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Whether the SDKs' global hooks of freshcreds are switched on, and for which clients. Read
 * once, from the system property {@value #PROPERTY}, else the environment variable
 * {@value #ENV}: {@code true} (or {@code default}) for clients that would use the SDK's default
 * credentials chain, {@code all} for every client, anything else or unset for none. Being on
 * the class path alone never switches them on. Not an API.
 */
public final class Global {
    /** The system property that switches the global hooks on. */
    public static final String PROPERTY = "freshcreds.global";
    /** The environment variable read when the property is unset. */
    public static final String ENV = "FRESHCREDS_GLOBAL";

    /** Which clients the hooks give freshcreds' credentials to. */
    public enum Mode {
        /** None: the hooks do nothing (the default). */
        OFF,
        /** Clients that would use the SDK's default credentials chain; explicit providers are kept. */
        DEFAULT_CLIENTS,
        /** Every client, whatever provider it was built with. */
        ALL_CLIENTS
    }

    /** How the warning starts when the SDK v2 hooks cannot link or initialise against the SDK they find. */
    public static final String SDKV2_CANNOT_LINK = "freshcreds: its SDK v2 hooks cannot work here";
    /**
     * How the warning starts when an SDK v2 client resolves its credentials before the hooks can
     * choose them (clients generated before SDK v2 {@value #SDKV2_OLDEST_HOOKED}, which pass no
     * identity providers to the hooks).
     */
    public static final String SDKV2_TOO_OLD = "freshcreds: its SDK v2 hooks cannot choose the credentials of this SDK's clients";
    /** The oldest SDK v2 whose clients the hooks can give freshcreds' credentials to. */
    public static final String SDKV2_OLDEST_HOOKED = "2.24.13";
    /** How the warning starts when the SDK v1 hook cannot link or initialise against the SDK it finds. */
    public static final String SDKV1_CANNOT_LINK = "freshcreds: its SDK v1 hook cannot work here";
    /** How the warning starts when the hooks cannot load the native library. */
    public static final String HOOKS_WITHOUT_NATIVE = "freshcreds: its hooks cannot load the native library";
    /** How the warning starts when the agent cannot define the hooks in an SDK's class loader. */
    public static final String AGENT_CANNOT_DEFINE = "freshcreds: the agent could not define its hooks";
    /** How the warning starts when the agent cannot make its hook declarations visible to the SDKs. */
    public static final String AGENT_CANNOT_DECLARE = "freshcreds: the agent could not declare its hooks to the AWS SDKs";

    /** The logger of the hooks and the agent. */
    public static final Logger LOG = Logger.getLogger("dev.freshcreds.global");

    private static volatile Mode mode;
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private Global() {
    }

    /**
     * The mode, read once.
     *
     * @return the mode
     */
    public static Mode mode() {
        Mode m = mode;
        if (m == null) {
            String value = System.getProperty(PROPERTY);
            String from = "-D" + PROPERTY;
            if (value == null) {
                value = System.getenv(ENV);
                from = ENV;
            }
            m = parse(value);
            if (value != null && m == Mode.OFF && !value.trim().equalsIgnoreCase("false")) {
                LOG.warning(from + "=" + value
                        + " is not one of true, default, all, false: the global hooks stay off");
            }
            mode = m;
        }
        return m;
    }

    /**
     * Logs a warning once per JVM for each {@code key} (the hooks of every class loader share
     * this class, so one warning stands for all of them).
     *
     * @param key what went wrong, e.g. {@code "sdkv2-link"}
     * @param message the warning: the reason and the fix
     * @return true when this call logged it
     */
    public static boolean warnOnce(String key, String message) {
        if (!WARNED.add(key)) {
            return false;
        }
        LOG.warning(message);
        return true;
    }

    /**
     * A hook cannot link or initialise: one warning per JVM naming the reason and the fix. When
     * the native library is what failed, one warning stands for the hooks of both SDKs.
     *
     * @param start how the warning starts ({@link #SDKV2_CANNOT_LINK}, {@link #SDKV1_CANNOT_LINK})
     * @param e what did not link
     * @param consequence what the application gets instead, a sentence
     * @param sdkFix the fix when the SDK lacks what the hook uses, a sentence
     */
    public static void hookCannotLink(String start, LinkageError e, String consequence, String sdkFix) {
        if (e instanceof UnsatisfiedLinkError) {
            warnOnce("native", HOOKS_WITHOUT_NATIVE + " (" + e + "); AWS SDK clients keep their own credentials."
                    + " Fix: the native library's error (in parentheses) says what was tried and how to fix it");
        } else {
            warnOnce(start, start + " (" + e + "); " + consequence + " Fix: " + sdkFix);
        }
    }

    /**
     * The mode a value names.
     *
     * @param value the property or environment value, or null
     * @return the mode ({@link Mode#OFF} for null and unknown values)
     */
    public static Mode parse(String value) {
        if (value == null) {
            return Mode.OFF;
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("true") || v.equals("default")) {
            return Mode.DEFAULT_CLIENTS;
        }
        if (v.equals("all")) {
            return Mode.ALL_CLIENTS;
        }
        return Mode.OFF;
    }

    /**
     * Switches the hooks on unless the property or the environment already decides (used by the
     * Java agent).
     *
     * @param agentArgs the agent's argument ({@code all} for every client), or null
     */
    public static synchronized void enableFromAgent(String agentArgs) {
        if (System.getProperty(PROPERTY) == null && System.getenv(ENV) == null) {
            System.setProperty(PROPERTY, agentArgs != null && agentArgs.trim().equalsIgnoreCase("all") ? "all" : "true");
        }
        mode = null;
    }
}

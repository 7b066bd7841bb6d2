package dev.freshcreds.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Receives log events of the native library and hands them to SLF4J when an SLF4J binding is on
 * the class path, else to {@code java.util.logging}. Logger names are {@code dev.freshcreds.}
 * followed by the native module path ({@code dev.freshcreds.refresh},
 * {@code dev.freshcreds.sources.imds.client}, ...). Not an API.
 */
public final class NativeLog {
    /** Level numbers used by the native side. */
    public static final int ERROR = 1;
    /** Warnings. */
    public static final int WARN = 2;
    /** Information. */
    public static final int INFO = 3;
    /** Debugging detail. */
    public static final int DEBUG = 4;
    /** Tracing detail. */
    public static final int TRACE = 5;

    /** The system property that pins the native level (else the logger's level decides). */
    public static final String LEVEL_PROPERTY = "freshcreds.log.level";
    /** The logger whose level decides what the native side forwards. */
    public static final String ROOT_LOGGER = "dev.freshcreds";

    private static final boolean SLF4J = slf4jBound();
    private static final ConcurrentMap<String, Logger> JUL = new ConcurrentHashMap<String, Logger>();

    private NativeLog() {
    }

    /**
     * Logs one native event. Called by the native library, on any thread; never throws.
     *
     * @param level {@link #ERROR} to {@link #TRACE}
     * @param target the native module path, for example {@code freshcreds::refresh}
     * @param message the message (never contains secrets)
     */
    public static void log(int level, String target, String message) {
        try {
            String name = loggerName(target);
            if (SLF4J) {
                Slf4j.log(name, level, message);
            } else {
                // The native target stands in for the source class (instead of this bridge class).
                julLogger(name).logp(julLevel(level), target, null, message);
            }
        } catch (Throwable ignored) {
            // Logging must never break credentials.
        }
    }

    /**
     * The most verbose level the logger {@value #ROOT_LOGGER} lets through now, as a native level
     * number (0 when it is off), or -1 when {@value #LEVEL_PROPERTY} pins the native level. The
     * log thread passes changes on, so that raising the logger's level (by configuration or at
     * run time) makes the native side produce the events, and lowering it stops them at the
     * source. Never throws.
     *
     * @return 0 to {@link #TRACE}, or -1
     */
    public static int enabledLevel() {
        try {
            String pinned = System.getProperty(LEVEL_PROPERTY);
            if (pinned != null && !pinned.trim().isEmpty()) {
                return -1;
            }
            return SLF4J ? Slf4j.enabledLevel() : julEnabledLevel(julLogger(ROOT_LOGGER));
        } catch (Throwable e) {
            return INFO;
        }
    }

    static int julEnabledLevel(Logger l) {
        if (l.isLoggable(Level.FINER)) {
            return TRACE;
        }
        if (l.isLoggable(Level.FINE)) {
            return DEBUG;
        }
        if (l.isLoggable(Level.INFO)) {
            return INFO;
        }
        if (l.isLoggable(Level.WARNING)) {
            return WARN;
        }
        return l.isLoggable(Level.SEVERE) ? ERROR : 0;
    }

    /**
     * The logger name for a native target.
     *
     * @param target for example {@code freshcreds::sources::imds}
     * @return for example {@code dev.freshcreds.sources.imds}
     */
    public static String loggerName(String target) {
        if (target == null || target.isEmpty()) {
            return "dev.freshcreds";
        }
        String path = target.replace("::", ".");
        if (path.equals("freshcreds")) {
            return "dev.freshcreds";
        }
        if (path.startsWith("freshcreds.")) {
            path = path.substring("freshcreds.".length());
        }
        return "dev.freshcreds." + path;
    }

    /**
     * The {@code java.util.logging} level for a native level.
     *
     * @param level {@link #ERROR} to {@link #TRACE}
     * @return the matching level
     */
    public static Level julLevel(int level) {
        switch (level) {
            case ERROR:
                return Level.SEVERE;
            case WARN:
                return Level.WARNING;
            case INFO:
                return Level.INFO;
            case DEBUG:
                return Level.FINE;
            default:
                return Level.FINER;
        }
    }

    private static Logger julLogger(String name) {
        Logger l = JUL.get(name);
        if (l == null) {
            l = Logger.getLogger(name);
            Logger prev = JUL.putIfAbsent(name, l);
            if (prev != null) {
                l = prev;
            }
        }
        return l;
    }

    /**
     * True when SLF4J is on the class path with a binding (1.x {@code StaticLoggerBinder} or a 2.x
     * service provider). Checked through resources, so that SLF4J is not initialized (and does
     * not print its "no binding" notice) when it would only drop the messages.
     */
    private static boolean slf4jBound() {
        try {
            ClassLoader loader = NativeLog.class.getClassLoader();
            if (loader == null) {
                loader = ClassLoader.getSystemClassLoader();
            }
            Class.forName("org.slf4j.LoggerFactory", false, loader);
            return loader.getResource("org/slf4j/impl/StaticLoggerBinder.class") != null
                    || loader.getResource("META-INF/services/org.slf4j.spi.SLF4JServiceProvider") != null;
        } catch (Throwable e) {
            return false;
        }
    }

    /** Loaded only when SLF4J is on the class path. */
    private static final class Slf4j {
        static int enabledLevel() {
            org.slf4j.Logger l = org.slf4j.LoggerFactory.getLogger(ROOT_LOGGER);
            if (l.isTraceEnabled()) {
                return TRACE;
            }
            if (l.isDebugEnabled()) {
                return DEBUG;
            }
            if (l.isInfoEnabled()) {
                return INFO;
            }
            if (l.isWarnEnabled()) {
                return WARN;
            }
            return l.isErrorEnabled() ? ERROR : 0;
        }

        private static final ConcurrentMap<String, org.slf4j.Logger> LOGGERS =
                new ConcurrentHashMap<String, org.slf4j.Logger>();

        static void log(String name, int level, String message) {
            org.slf4j.Logger l = LOGGERS.get(name);
            if (l == null) {
                l = org.slf4j.LoggerFactory.getLogger(name);
                LOGGERS.putIfAbsent(name, l);
            }
            switch (level) {
                case ERROR:
                    l.error(message);
                    break;
                case WARN:
                    l.warn(message);
                    break;
                case INFO:
                    l.info(message);
                    break;
                case DEBUG:
                    l.debug(message);
                    break;
                default:
                    l.trace(message);
                    break;
            }
        }
    }
}

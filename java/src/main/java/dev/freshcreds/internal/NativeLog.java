package dev.freshcreds.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Receives log events of the native library and hands them to SLF4J when an SLF4J binding is on
 * the class path, else to {@code java.util.logging}. Logger names are {@code dev.freshcreds.}
 * followed by the native module path ({@code dev.freshcreds.refresh},
 * {@code dev.freshcreds.sources.imds.client}, ...). Not an API.
 */
public final class NativeLog {
    /** The system property that pins the native level (else the logger's level decides). */
    public static final String LEVEL_PROPERTY = "freshcreds.log.level";
    /** The logger whose level decides what the native side forwards. */
    public static final String ROOT_LOGGER = "dev.freshcreds";

    /**
     * The {@code java.util.logging} level of each native level, most severe first: index 0 is
     * {@link NativeLayout#LOG_ERROR}, the last one {@link NativeLayout#LOG_TRACE}.
     */
    private static final Level[] JUL_LEVELS = {Level.SEVERE, Level.WARNING, Level.INFO, Level.FINE, Level.FINER};

    private static final boolean SLF4J = slf4jBound();
    private static final ConcurrentMap<String, Logger> JUL = new ConcurrentHashMap<String, Logger>();

    private NativeLog() {
    }

    /**
     * Logs one native event. Called by the native library, on any thread; never throws.
     *
     * @param level {@link NativeLayout#LOG_ERROR} to {@link NativeLayout#LOG_TRACE}
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
     * @return 0 to {@link NativeLayout#LOG_TRACE}, or -1
     */
    public static int enabledLevel() {
        try {
            String pinned = System.getProperty(LEVEL_PROPERTY);
            if (pinned != null && !pinned.trim().isEmpty()) {
                return -1;
            }
            return SLF4J ? Slf4j.enabledLevel() : julEnabledLevel(julLogger(ROOT_LOGGER));
        } catch (Throwable e) {
            return NativeLayout.LOG_INFO;
        }
    }

    static int julEnabledLevel(Logger l) {
        for (int level = NativeLayout.LOG_TRACE; level >= NativeLayout.LOG_ERROR; level--) {
            if (l.isLoggable(julLevel(level))) {
                return level;
            }
        }
        return 0;
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
     * @param level {@link NativeLayout#LOG_ERROR} to {@link NativeLayout#LOG_TRACE}
     * @return the matching level
     */
    public static Level julLevel(int level) {
        return JUL_LEVELS[nativeLevelIndex(level)];
    }

    /**
     * The index of a native level among the levels, most severe first; a number above the most
     * verbose level (or below the most severe) counts as the most verbose.
     */
    static int nativeLevelIndex(int level) {
        boolean known = level >= NativeLayout.LOG_ERROR && level <= NativeLayout.LOG_TRACE;
        return (known ? level : NativeLayout.LOG_TRACE) - NativeLayout.LOG_ERROR;
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
        /** What SLF4J's logger offers for each native level, most severe first (as {@link #JUL_LEVELS}). */
        private enum Slf4jLevel {
            ERROR(org.slf4j.Logger::isErrorEnabled, org.slf4j.Logger::error),
            WARN(org.slf4j.Logger::isWarnEnabled, org.slf4j.Logger::warn),
            INFO(org.slf4j.Logger::isInfoEnabled, org.slf4j.Logger::info),
            DEBUG(org.slf4j.Logger::isDebugEnabled, org.slf4j.Logger::debug),
            TRACE(org.slf4j.Logger::isTraceEnabled, org.slf4j.Logger::trace);

            final Predicate<org.slf4j.Logger> enabled;
            final BiConsumer<org.slf4j.Logger, String> log;

            Slf4jLevel(Predicate<org.slf4j.Logger> enabled, BiConsumer<org.slf4j.Logger, String> log) {
                this.enabled = enabled;
                this.log = log;
            }
        }

        private static final Slf4jLevel[] LEVELS = Slf4jLevel.values();

        static int enabledLevel() {
            org.slf4j.Logger l = org.slf4j.LoggerFactory.getLogger(ROOT_LOGGER);
            for (int level = NativeLayout.LOG_TRACE; level >= NativeLayout.LOG_ERROR; level--) {
                if (LEVELS[nativeLevelIndex(level)].enabled.test(l)) {
                    return level;
                }
            }
            return 0;
        }

        private static final ConcurrentMap<String, org.slf4j.Logger> LOGGERS =
                new ConcurrentHashMap<String, org.slf4j.Logger>();

        static void log(String name, int level, String message) {
            org.slf4j.Logger l = LOGGERS.get(name);
            if (l == null) {
                l = org.slf4j.LoggerFactory.getLogger(name);
                LOGGERS.putIfAbsent(name, l);
            }
            LEVELS[nativeLevelIndex(level)].log.accept(l, message);
        }
    }
}

package dev.freshcreds;

import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.Test;

import dev.freshcreds.internal.NativeLayout;
import dev.freshcreds.internal.NativeLog;

/**
 * The native side forwards what the Java logger {@code dev.freshcreds} lets through, as set at
 * run time: raising its level makes native debug events arrive; lowering it stops them where
 * they are raised (a child logger set more verbose then gets nothing below the root's level).
 */
public class LogLevelFollowsLoggerTest {
    /** How long the log thread gets to pass a level change on (it asks between batches). */
    private static final long FOLLOW_WAIT_MILLIS = TimeUnit.SECONDS.toMillis(10);
    /** The logger of the test hook's events ({@code jni::log::TEST_TARGET}). */
    private static final String HOOK_LOGGER = NativeLog.loggerName("freshcreds::jni::test");

    private final List<String> seen = new ArrayList<String>();

    private boolean seen(String message) {
        synchronized (seen) {
            return seen.contains(message);
        }
    }

    /** Raises {@code DEBUG tag-k} then {@code WARN mark-k} until {@code done} holds for some k. */
    private boolean emitUntil(String tag, boolean debugWanted) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FOLLOW_WAIT_MILLIS);
        for (int k = 0; System.nanoTime() < deadline; k++) {
            NativeTestHooks.log(NativeLayout.LOG_DEBUG, tag + "-debug-" + k, 1);
            NativeTestHooks.log(NativeLayout.LOG_WARN, tag + "-mark-" + k, 1);
            // The WARN record follows the DEBUG one through the same queue: once it is here, so
            // is the DEBUG one if the native side let it through.
            long markDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (!seen(tag + "-mark-" + k + " 0") && System.nanoTime() < markDeadline) {
                Thread.sleep(10);
            }
            if (seen(tag + "-mark-" + k + " 0") && seen(tag + "-debug-" + k + " 0") == debugWanted) {
                return true;
            }
        }
        return false;
    }

    @Test
    public void theNativeLevelFollowsTheLoggersLevelAtRunTime() throws Exception {
        Logger root = Logger.getLogger(NativeLog.ROOT_LOGGER);
        Logger hook = Logger.getLogger(HOOK_LOGGER);
        Level rootBefore = root.getLevel();
        Level hookBefore = hook.getLevel();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                synchronized (seen) {
                    seen.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        handler.setLevel(Level.ALL);
        hook.addHandler(handler);
        // A source keeps the log thread running.
        try (FreshCredentialsSource source = FreshCredentialsSource.create(FreshCredentialsSourceTest.staticKeys(true))) {
            source.credentials();
            root.setLevel(Level.FINE);
            assertTrue("native DEBUG events did not arrive after the logger was set to FINE",
                    emitUntil("raised", true));

            root.setLevel(Level.INFO);
            // Java would take FINE records of this child; only the native filter can drop them.
            hook.setLevel(Level.FINE);
            assertTrue("native DEBUG events still arrived after the logger was set back to INFO",
                    emitUntil("lowered", false));
        } finally {
            hook.removeHandler(handler);
            root.setLevel(rootBefore);
            hook.setLevel(hookBefore);
        }
    }
}

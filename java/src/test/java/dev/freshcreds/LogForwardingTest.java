package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import dev.freshcreds.internal.NativeLayout;

/** Native log records reach java.util.logging through one Java thread, never from the native workers. */
public class LogForwardingTest {
    /** The native queue's capacity ({@code jni::log::LOG_QUEUE_CAPACITY}). */
    static final int NATIVE_QUEUE_CAPACITY = 1024;
    /** How long a test body may take before it counts as deadlocked. */
    static final long DEADLOCK_TIMEOUT_SECONDS = 20;
    /** The first-fetch timeout of the sources here: well below the deadlock timeout. */
    static final Duration FIRST_FETCH_TIMEOUT = Duration.ofSeconds(5);

    private final Logger logger = Logger.getLogger("dev.freshcreds");
    private final List<Handler> added = new ArrayList<Handler>();
    private boolean parentHandlers;

    @Before
    public void quietParents() {
        parentHandlers = logger.getUseParentHandlers();
        logger.setUseParentHandlers(false);
    }

    @After
    public void removeHandlers() {
        for (Handler h : added) {
            logger.removeHandler(h);
        }
        logger.setUseParentHandlers(parentHandlers);
    }

    private void addHandler(Handler h) {
        added.add(h);
        logger.addHandler(h);
    }

    private abstract static class SimpleHandler extends Handler {
        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    static FreshCredentialsOptions staticKeys() {
        return FreshCredentialsOptions.builder()
                .readSystemProperties(false)
                .source("systemProperties")
                .option("aws.accessKeyId", "AKIALOGTEST")
                .option("aws.secretAccessKey", "secret-log-test")
                .firstFetchTimeout(FIRST_FETCH_TIMEOUT)
                .build();
    }

    /** Runs {@code body} on another thread; fails when it does not finish in time. */
    private static void withinDeadlockTimeout(final Runnable body) throws Exception {
        final AtomicReference<Throwable> failure = new AtomicReference<Throwable>();
        Thread t = new Thread(new Runnable() {
            @Override
            public void run() {
                try {
                    body.run();
                } catch (Throwable e) {
                    failure.set(e);
                }
            }
        }, "log-test-body");
        t.setDaemon(true);
        t.start();
        t.join(TimeUnit.SECONDS.toMillis(DEADLOCK_TIMEOUT_SECONDS));
        if (t.isAlive()) {
            StringBuilder stack = new StringBuilder();
            for (StackTraceElement e : t.getStackTrace()) {
                stack.append("\n  at ").append(e);
            }
            fail("deadlocked: the body did not finish in " + DEADLOCK_TIMEOUT_SECONDS + " s" + stack);
        }
        if (failure.get() != null) {
            throw new AssertionError("the body failed", failure.get());
        }
    }

    @Test
    public void aSynchronizedHandlerWaitingForALockTheCallerHoldsDoesNotBlockTheFirstFetch() throws Exception {
        final Object appLock = new Object();
        final List<String> threads = new ArrayList<String>();
        final List<String> messages = new ArrayList<String>();
        addHandler(new SimpleHandler() {
            @Override
            public void publish(LogRecord record) {
                // An application appender that shares a lock with application code.
                synchronized (appLock) {
                    threads.add(Thread.currentThread().getName());
                    messages.add(record.getMessage());
                }
            }
        });
        final AtomicReference<String> key = new AtomicReference<String>();
        withinDeadlockTimeout(new Runnable() {
            @Override
            public void run() {
                // The application holds its lock while it asks for credentials the first time.
                synchronized (appLock) {
                    try (FreshCredentialsSource source = FreshCredentialsSource.create(staticKeys())) {
                        key.set(source.credentials().getAccessKeyId());
                    }
                }
            }
        });
        assertEquals("AKIALOGTEST", key.get());
        // Once the lock is free, the records of that fetch arrive, all on the one log thread.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            synchronized (appLock) {
                if (messages.toString().contains("refreshed credentials: AKIALOGTEST")) {
                    break;
                }
            }
            Thread.sleep(10);
        }
        synchronized (appLock) {
            assertTrue(messages.toString(), messages.toString().contains("refreshed credentials: AKIALOGTEST"));
            for (String name : threads) {
                assertEquals("a record was logged on " + name, LogPump.THREAD_NAME, name);
            }
        }
    }

    @Test
    public void aHandlerThatForcesARefreshOfTheSameSourceGetsCredentialsInsteadOfBlockingTheEngine() throws Exception {
        final AtomicReference<FreshCredentialsSource> shared = new AtomicReference<FreshCredentialsSource>();
        final AtomicInteger attempts = new AtomicInteger();
        final AtomicReference<String> handlerGot = new AtomicReference<String>();
        addHandler(new SimpleHandler() {
            @Override
            public void publish(LogRecord record) {
                // An appender that itself calls AWS through freshcreds (once, not per record).
                FreshCredentialsSource s = shared.get();
                if (s != null && attempts.getAndIncrement() == 0) {
                    try {
                        handlerGot.set(s.refresh().getAccessKeyId());
                    } catch (RuntimeException e) {
                        handlerGot.set(e.toString());
                    }
                }
            }
        });
        final AtomicReference<String> key = new AtomicReference<String>();
        withinDeadlockTimeout(new Runnable() {
            @Override
            public void run() {
                try (FreshCredentialsSource source = FreshCredentialsSource.create(staticKeys())) {
                    shared.set(source);
                    key.set(source.credentials().getAccessKeyId());
                    // Records after this point make the handler call back (the first fetch's may
                    // already be delivered).
                    source.refresh();
                    NativeTestHooks.log(NativeLayout.LOG_INFO, "callback trigger", 1);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (handlerGot.get() == null && System.nanoTime() < deadline) {
                        Thread.yield();
                    }
                    // And the engine still answers afterwards.
                    key.set(source.refresh().getAccessKeyId());
                }
            }
        });
        assertEquals("AKIALOGTEST", key.get());
        assertEquals("AKIALOGTEST", handlerGot.get());
    }

    @Test
    public void recordsBeyondTheQueueCapacityAreDroppedAndCountedWhileTheHandlerIsBlocked() throws Exception {
        final int flood = 3 * NATIVE_QUEUE_CAPACITY;
        final CountDownLatch gate = new CountDownLatch(1);
        final AtomicInteger delivered = new AtomicInteger();
        addHandler(new SimpleHandler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getMessage().startsWith("flood ")) {
                    try {
                        gate.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    delivered.incrementAndGet();
                }
            }
        });
        try (FreshCredentialsSource source = FreshCredentialsSource.create(staticKeys())) {
            source.credentials();
            long droppedBefore = FreshCredentialsSource.logRecordsDropped();
            long started = System.nanoTime();
            // The caller is never held up by the blocked handler.
            NativeTestHooks.log(NativeLayout.LOG_INFO, "flood", flood);
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertTrue("raising " + flood + " records took " + tookMillis + " ms", tookMillis < 5000);
            long dropped = FreshCredentialsSource.logRecordsDropped() - droppedBefore;
            // At most a full queue plus the batch the log thread holds can be kept.
            assertTrue("dropped " + dropped, dropped >= flood - NATIVE_QUEUE_CAPACITY - LogPump.BATCH);
            gate.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (delivered.get() + dropped < flood && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            // Every record is either delivered or counted as dropped.
            assertEquals(flood, delivered.get() + dropped);
            // The queue held (nearly: other native records share it) its capacity.
            assertTrue("delivered " + delivered.get(), delivered.get() >= NATIVE_QUEUE_CAPACITY - LogPump.BATCH);
        } finally {
            gate.countDown();
        }
    }

    @Test
    public void theLogThreadRunsWhileASourceIsOpenAndEndsAfterDeliveringWhenTheLastOneCloses() throws Exception {
        final List<String> messages = new ArrayList<String>();
        addHandler(new SimpleHandler() {
            @Override
            public void publish(LogRecord record) {
                synchronized (messages) {
                    messages.add(record.getMessage());
                }
            }
        });
        FreshCredentialsSource first = FreshCredentialsSource.create(staticKeys());
        FreshCredentialsSource second = FreshCredentialsSource.create(staticKeys());
        Thread pump = LogPump.thread();
        assertNotNull("no log thread while sources are open", pump);
        assertTrue(pump.isDaemon());
        first.close();
        assertTrue("the log thread ended while a source is open", pump.isAlive());
        NativeTestHooks.log(NativeLayout.LOG_INFO, "last words", 1);
        second.close();
        // Closing the last source delivered what was queued before it returned.
        synchronized (messages) {
            assertTrue(messages.toString(), messages.toString().contains("last words 0"));
        }
        pump.join(LogPump.FLUSH_TIMEOUT_MILLIS);
        assertTrue("the log thread still runs", !pump.isAlive());
        assertNull(LogPump.thread());
    }
}

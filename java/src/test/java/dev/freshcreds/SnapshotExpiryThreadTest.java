package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

import dev.freshcreds.simkit.SimulatorProcess;

/** {@link SnapshotExpiry}'s thread, on real time: it drops due snapshots without any call. */
public class SnapshotExpiryThreadTest {
    /**
     * How late after its deadline (or, after a wall-clock jump, after the resume check) the
     * thread may drop a snapshot on this shared, loaded machine: scheduling delay only.
     */
    static final long DROP_LATENESS_MILLIS = 500;
    /**
     * How much earlier than its monotonic deadline a snapshot may be dropped by its wall deadline:
     * the wall clock's millisecond granularity, plus NTP slewing over a few seconds.
     */
    static final long WALL_GRANULARITY_MILLIS = 5;
    /** The simulator's credential lifetime (the refresh lead is capped at half of it). */
    static final int LIFETIME_SECS = 6;
    /** Refresh this long before expiry: the next refresh, and so the snapshot's deadline, is about 3 s away. */
    static final Duration REFRESH_LEAD = Duration.ofSeconds(3);

    /** The system clocks, with a wall clock the test can move ahead (a resume from suspend). */
    static final class JumpingWallClock implements FreshCredentialsSource.Clock {
        volatile long wallShiftMillis;

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long currentTimeMillis() {
            return System.currentTimeMillis() + wallShiftMillis;
        }
    }

    /** Polls until the source holds no snapshot; returns System.nanoTime() then, or fails. */
    private static long awaitDropped(FreshCredentialsSource source, long timeoutMillis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (source.snapshot() != null) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("the snapshot was not dropped within " + timeoutMillis + " ms");
            }
            Thread.sleep(2);
        }
        return System.nanoTime();
    }

    @Test
    public void theExpiryThreadDropsASnapshotAtItsDeadlineWithoutAnyCall() throws Exception {
        SnapshotExpiry expiry = new SnapshotExpiry(FreshCredentialsSource.Clock.SYSTEM, true);
        try (SimulatorProcess sim = SimulatorProcess.start("--lifetime", Integer.toString(LIFETIME_SECS));
                FreshCredentialsSource source = FreshCredentialsSource.create(FreshCredentialsSourceTest.isolated()
                        .source("imds")
                        .imdsEndpoint(sim.baseUrl())
                        .refreshLead(REFRESH_LEAD)
                        .jitter(Duration.ZERO)
                        .build(), expiry)) {
            source.credentials();
            FreshCredentialsSource.Cached c = source.snapshot();
            assertNotNull("the first fetch left a snapshot", c);
            long serveForMillis = TimeUnit.NANOSECONDS.toMillis(c.deadlineNanos - System.nanoTime());
            assertTrue("serve-for " + serveForMillis + " ms", serveForMillis > 0
                    && serveForMillis <= LIFETIME_SECS * 1000L - REFRESH_LEAD.toMillis());
            long droppedAt = awaitDropped(source, serveForMillis + DROP_LATENESS_MILLIS + 5000);
            long lateMillis = TimeUnit.NANOSECONDS.toMillis(droppedAt - c.deadlineNanos);
            assertTrue("dropped " + lateMillis + " ms after its deadline", lateMillis >= -WALL_GRANULARITY_MILLIS);
            assertTrue("dropped " + lateMillis + " ms after its deadline", lateMillis <= DROP_LATENESS_MILLIS);
            assertEquals("no call dropped it", 1, source.nativeCalls());
            source.credentials();
            assertEquals("the next call asks the native side", 2, source.nativeCalls());
        }
    }

    @Test
    public void afterTheWallClockJumpsAheadTheThreadDropsTheSnapshotWithinTheResumeCheck() throws Exception {
        JumpingWallClock clock = new JumpingWallClock();
        SnapshotExpiry expiry = new SnapshotExpiry(clock, true);
        try (FreshCredentialsSource source = FreshCredentialsSource.create(FreshCredentialsSourceTest.staticKeys(true),
                expiry)) {
            source.credentials();
            // Let the thread start its monotonic wait, as it would before a suspend.
            Thread.sleep(100);
            assertNotNull(source.snapshot());
            // A resume after an hour's suspend: the wall clock jumped, System.nanoTime() did not.
            long resumedAt = System.nanoTime();
            clock.wallShiftMillis = TimeUnit.HOURS.toMillis(1);
            long droppedAt = awaitDropped(source, SnapshotExpiry.RESUME_CHECK_MILLIS + DROP_LATENESS_MILLIS + 5000);
            long afterMillis = TimeUnit.NANOSECONDS.toMillis(droppedAt - resumedAt);
            assertTrue("dropped " + afterMillis + " ms after the resume",
                    afterMillis <= SnapshotExpiry.RESUME_CHECK_MILLIS + DROP_LATENESS_MILLIS);
            assertEquals("no call dropped it", 1, source.nativeCalls());
        }
    }

    @Test
    public void aSnapshotScheduledWhileTheThreadWaitsWakesItAtOnce() throws Exception {
        JumpingWallClock clock = new JumpingWallClock();
        SnapshotExpiry expiry = new SnapshotExpiry(clock, true);
        try (FreshCredentialsSource first = FreshCredentialsSource.create(FreshCredentialsSourceTest.staticKeys(true),
                        expiry);
                FreshCredentialsSource second = FreshCredentialsSource.create(
                        FreshCredentialsSourceTest.staticKeys(false), expiry)) {
            first.credentials();
            // The thread is now in a wait of about RESUME_CHECK_MILLIS.
            Thread.sleep(50);
            clock.wallShiftMillis = TimeUnit.HOURS.toMillis(1);
            // Scheduling wakes the thread, which then sees the first snapshot due by the wall
            // clock; a lost wakeup would leave it waiting for the rest of its wait.
            long scheduledAt = System.nanoTime();
            second.credentials();
            long droppedAt = awaitDropped(first, SnapshotExpiry.RESUME_CHECK_MILLIS + 5000);
            long afterMillis = TimeUnit.NANOSECONDS.toMillis(droppedAt - scheduledAt);
            assertTrue("dropped " + afterMillis + " ms after the next schedule",
                    afterMillis < SnapshotExpiry.RESUME_CHECK_MILLIS / 2);
            assertNotNull("the new snapshot stays", second.snapshot());
        }
    }

    @Test
    public void theExpiryThreadRunsOnlyWhileASnapshotIsHeld() throws Exception {
        SnapshotExpiry expiry = new SnapshotExpiry(FreshCredentialsSource.Clock.SYSTEM, true);
        FreshCredentialsSource source = FreshCredentialsSource.create(FreshCredentialsSourceTest.staticKeys(true), expiry);
        try {
            assertNull("no snapshot yet, no thread", expiry.thread());
            source.credentials();
            Thread t = expiry.thread();
            assertNotNull(t);
            assertEquals(SnapshotExpiry.THREAD_NAME, t.getName());
            assertTrue(t.isDaemon());
            assertNull("no class loader kept by the thread", t.getContextClassLoader());
        } finally {
            source.close();
        }
        Thread t = expiry.thread();
        if (t != null) {
            t.join(SnapshotExpiry.RESUME_CHECK_MILLIS + DROP_LATENESS_MILLIS);
            assertFalse("the thread still runs after the last source closed", t.isAlive());
        }
        assertNull(expiry.thread());
    }
}

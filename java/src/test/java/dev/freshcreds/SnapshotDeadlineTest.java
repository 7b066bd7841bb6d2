package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.Test;

/**
 * The Java-side snapshot's deadline holds on both clocks (suspend: the wall clock jumps;
 * wall-clock steps back), and is enforced by {@link SnapshotExpiry} dropping the snapshot, not by
 * {@link FreshCredentialsSource#credentials()} reading a clock. These tests drive the expiry by
 * hand ({@link SnapshotExpiry#dropDue()} on a manual clock); {@link SnapshotExpiryThreadTest}
 * runs its thread.
 */
public class SnapshotDeadlineTest {
    /** How long the native side lets long-term keys be served from the snapshot (one minute). */
    static final long LONG_TERM_SERVE_FOR_MILLIS = TimeUnit.MINUTES.toMillis(1);

    /** Both clocks, moved by hand. */
    static final class ManualClock implements FreshCredentialsSource.Clock {
        volatile long nanos = 1_000_000_000L;
        volatile long millis = 1_700_000_000_000L;
        /** How often the source read a clock. */
        volatile int reads;

        @Override
        public long nanoTime() {
            reads++;
            return nanos;
        }

        @Override
        public long currentTimeMillis() {
            reads++;
            return millis;
        }

        /** Time passes normally: both clocks move. */
        void pass(long ms) {
            nanos += TimeUnit.MILLISECONDS.toNanos(ms);
            millis += ms;
        }

        /** A suspend and resume: wall time moves, monotonic time (CLOCK_MONOTONIC) does not. */
        void suspend(long ms) {
            millis += ms;
        }

        /** The wall clock is stepped (NTP, by hand): monotonic time does not move. */
        void stepWall(long ms) {
            millis += ms;
        }
    }

    private static FreshCredentialsSource source(SnapshotExpiry expiry) {
        return FreshCredentialsSource.create(FreshCredentialsSourceTest.staticKeys(true), expiry);
    }

    @Test
    public void afterAResumeLongerThanTheServeForTimeTheNextCallGoesToTheNativeSide() {
        ManualClock clock = new ManualClock();
        SnapshotExpiry expiry = new SnapshotExpiry(clock, false);
        try (FreshCredentialsSource source = source(expiry)) {
            FreshCredentials c = source.credentials();
            assertEquals(1, source.nativeCalls());
            clock.pass(LONG_TERM_SERVE_FOR_MILLIS / 2);
            expiry.dropDue();
            assertSame(c, source.credentials());
            assertEquals("served from the snapshot before the deadline", 1, source.nativeCalls());
            // The machine sleeps for an hour: System.nanoTime() does not count it.
            clock.suspend(TimeUnit.HOURS.toMillis(1));
            expiry.dropDue();
            source.credentials();
            assertEquals("the snapshot outlived its deadline after a resume", 2, source.nativeCalls());
            // The new snapshot is served again until its own deadline.
            expiry.dropDue();
            source.credentials();
            assertEquals(2, source.nativeCalls());
        }
    }

    @Test
    public void aSuspendEndingJustAfterTheDeadlineIsEnough() {
        ManualClock clock = new ManualClock();
        SnapshotExpiry expiry = new SnapshotExpiry(clock, false);
        try (FreshCredentialsSource source = source(expiry)) {
            source.credentials();
            clock.suspend(LONG_TERM_SERVE_FOR_MILLIS - 1);
            expiry.dropDue();
            source.credentials();
            assertEquals(1, source.nativeCalls());
            clock.suspend(1);
            expiry.dropDue();
            source.credentials();
            assertEquals(2, source.nativeCalls());
        }
    }

    @Test
    public void aWallClockSteppedBackDoesNotExtendTheSnapshotPastItsMonotonicDeadline() {
        ManualClock clock = new ManualClock();
        SnapshotExpiry expiry = new SnapshotExpiry(clock, false);
        try (FreshCredentialsSource source = source(expiry)) {
            source.credentials();
            clock.stepWall(-TimeUnit.HOURS.toMillis(1));
            clock.pass(LONG_TERM_SERVE_FOR_MILLIS - 1);
            expiry.dropDue();
            source.credentials();
            assertEquals(1, source.nativeCalls());
            clock.pass(1);
            expiry.dropDue();
            source.credentials();
            assertEquals(2, source.nativeCalls());
        }
    }

    @Test
    public void aCachedReadReadsNoClock() {
        ManualClock clock = new ManualClock();
        SnapshotExpiry expiry = new SnapshotExpiry(clock, false);
        try (FreshCredentialsSource source = source(expiry)) {
            FreshCredentials c = source.credentials();
            int readsAfterFetch = clock.reads;
            for (int i = 0; i < 1000; i++) {
                assertSame(c, source.credentials());
            }
            assertEquals("clock reads by 1000 cached calls", readsAfterFetch, clock.reads);
            assertEquals(1, source.nativeCalls());
        }
    }

    @Test
    public void theSdkAdaptersCachedReadsReadNoClockEither() {
        ManualClock clock = new ManualClock();
        SnapshotExpiry expiry = new SnapshotExpiry(clock, false);
        FreshCredentialsSource source = source(expiry);
        try (dev.freshcreds.sdkv1.FreshCredentialsProvider v1 = new dev.freshcreds.sdkv1.FreshCredentialsProvider(source);
                dev.freshcreds.sdkv2.FreshAwsCredentialsProvider v2 =
                        dev.freshcreds.sdkv2.FreshAwsCredentialsProvider.builder().source(source).build()) {
            Object c1 = v1.getCredentials();
            Object c2 = v2.resolveCredentials();
            int readsAfterFetch = clock.reads;
            for (int i = 0; i < 1000; i++) {
                assertSame(c1, v1.getCredentials());
                assertSame(c2, v2.resolveCredentials());
            }
            assertEquals("clock reads by 2000 cached adapter calls", readsAfterFetch, clock.reads);
            assertEquals(1, source.nativeCalls());
        }
    }

    @Test
    public void theNextWakeUpIsTheEarlierDeadlineAndNeverLaterThanTheResumeCheck() {
        ManualClock clock = new ManualClock();
        SnapshotExpiry expiry = new SnapshotExpiry(clock, false);
        try (FreshCredentialsSource source = source(expiry)) {
            assertEquals("nothing scheduled: the resume check",
                    TimeUnit.MILLISECONDS.toNanos(SnapshotExpiry.RESUME_CHECK_MILLIS), expiry.dropDue());
            source.credentials();
            clock.pass(LONG_TERM_SERVE_FOR_MILLIS - 300);
            assertEquals("300 ms to the deadline", TimeUnit.MILLISECONDS.toNanos(300), expiry.dropDue());
            clock.stepWall(-100);
            assertEquals("the wall clock stepped back: the monotonic deadline is earlier",
                    TimeUnit.MILLISECONDS.toNanos(300), expiry.dropDue());
            clock.stepWall(200);
            assertEquals("the wall clock jumped ahead: the wall deadline is earlier",
                    TimeUnit.MILLISECONDS.toNanos(200), expiry.dropDue());
        }
    }

    @Test
    public void aRefreshReplacesTheSnapshotAndItsScheduledExpiry() {
        ManualClock clock = new ManualClock();
        SnapshotExpiry expiry = new SnapshotExpiry(clock, false);
        try (FreshCredentialsSource source = source(expiry)) {
            source.credentials();
            FreshCredentialsSource.Cached first = source.snapshot();
            assertNotNull(first);
            assertEquals(1, expiry.scheduledCount());
            clock.pass(LONG_TERM_SERVE_FOR_MILLIS / 2);
            source.refresh();
            FreshCredentialsSource.Cached second = source.snapshot();
            assertTrue("a new snapshot with a later deadline", second.deadlineNanos > first.deadlineNanos);
            assertEquals("the replaced snapshot is no longer scheduled", 1, expiry.scheduledCount());
            // The first one's deadline passes: the second one stays.
            clock.pass(LONG_TERM_SERVE_FOR_MILLIS / 2);
            expiry.dropDue();
            assertSame(second, source.snapshot());
            source.credentials();
            assertEquals(2, source.nativeCalls());
        }
    }

    @Test
    public void aDueSnapshotReplacedMeanwhileIsNotDroppedByItsExpiry() {
        ManualClock clock = new ManualClock();
        SnapshotExpiry expiry = new SnapshotExpiry(clock, false);
        try (FreshCredentialsSource source = source(expiry)) {
            source.credentials();
            FreshCredentialsSource.Cached first = source.snapshot();
            source.refresh();
            FreshCredentialsSource.Cached second = source.snapshot();
            // The expiry of the first one races with the refresh and loses.
            source.expired(first);
            assertSame(second, source.snapshot());
        }
    }

    @Test
    public void closingTheSourceDropsTheSnapshotAndCancelsItsExpiry() {
        ManualClock clock = new ManualClock();
        SnapshotExpiry expiry = new SnapshotExpiry(clock, false);
        FreshCredentialsSource source = source(expiry);
        source.credentials();
        assertEquals(1, expiry.scheduledCount());
        source.close();
        assertNull(source.snapshot());
        assertEquals(0, expiry.scheduledCount());
    }

    @Test
    public void theSnapshotOfASourceNobodyClosedIsForgottenOnceTheSourceIsCollected() throws InterruptedException {
        ManualClock clock = new ManualClock();
        SnapshotExpiry expiry = new SnapshotExpiry(clock, false);
        java.lang.ref.WeakReference<FreshCredentialsSource> ref = openAndForget(expiry);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((ref.get() != null || expiry.scheduledCount() > 0) && System.nanoTime() < end) {
            System.gc();
            Thread.sleep(20);
            expiry.dropDue();
        }
        assertNull("the expiry kept an unreachable source alive", ref.get());
        assertEquals(0, expiry.scheduledCount());
    }

    private static java.lang.ref.WeakReference<FreshCredentialsSource> openAndForget(SnapshotExpiry expiry) {
        FreshCredentialsSource source = source(expiry);
        source.credentials();
        assertEquals(1, expiry.scheduledCount());
        return new java.lang.ref.WeakReference<FreshCredentialsSource>(source);
    }
}

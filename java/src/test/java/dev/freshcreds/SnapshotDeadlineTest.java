package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;

import java.util.concurrent.TimeUnit;

import org.junit.Test;

/** The Java-side snapshot's deadline holds on both clocks: suspend (wall jumps) and wall-clock steps back. */
public class SnapshotDeadlineTest {
    /** How long the native side lets long-term keys be served from the snapshot (one minute). */
    static final long LONG_TERM_SERVE_FOR_MILLIS = TimeUnit.MINUTES.toMillis(1);

    /** Both clocks, moved by hand. */
    static final class ManualClock implements FreshCredentialsSource.Clock {
        volatile long nanos = 1_000_000_000L;
        volatile long millis = 1_700_000_000_000L;

        @Override
        public long nanoTime() {
            return nanos;
        }

        @Override
        public long currentTimeMillis() {
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

    private static FreshCredentialsSource source(ManualClock clock) {
        return FreshCredentialsSource.create(FreshCredentialsSourceTest.staticKeys(true), clock);
    }

    @Test
    public void afterAResumeLongerThanTheServeForTimeTheNextCallGoesToTheNativeSide() {
        ManualClock clock = new ManualClock();
        try (FreshCredentialsSource source = source(clock)) {
            FreshCredentials c = source.credentials();
            assertEquals(1, source.nativeCalls());
            clock.pass(LONG_TERM_SERVE_FOR_MILLIS / 2);
            assertSame(c, source.credentials());
            assertEquals("served from the snapshot before the deadline", 1, source.nativeCalls());
            // The machine sleeps for an hour: System.nanoTime() does not count it.
            clock.suspend(TimeUnit.HOURS.toMillis(1));
            source.credentials();
            assertEquals("the snapshot outlived its deadline after a resume", 2, source.nativeCalls());
            // The new snapshot is served again until its own deadline.
            source.credentials();
            assertEquals(2, source.nativeCalls());
        }
    }

    @Test
    public void aSuspendEndingJustAfterTheDeadlineIsEnough() {
        ManualClock clock = new ManualClock();
        try (FreshCredentialsSource source = source(clock)) {
            source.credentials();
            clock.suspend(LONG_TERM_SERVE_FOR_MILLIS - 1);
            source.credentials();
            assertEquals(1, source.nativeCalls());
            clock.suspend(1);
            source.credentials();
            assertEquals(2, source.nativeCalls());
        }
    }

    @Test
    public void aWallClockSteppedBackDoesNotExtendTheSnapshotPastItsMonotonicDeadline() {
        ManualClock clock = new ManualClock();
        try (FreshCredentialsSource source = source(clock)) {
            source.credentials();
            clock.stepWall(-TimeUnit.HOURS.toMillis(1));
            clock.pass(LONG_TERM_SERVE_FOR_MILLIS - 1);
            source.credentials();
            assertEquals(1, source.nativeCalls());
            clock.pass(1);
            source.credentials();
            assertEquals(2, source.nativeCalls());
        }
    }
}

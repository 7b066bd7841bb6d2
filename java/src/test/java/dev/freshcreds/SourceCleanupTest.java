package dev.freshcreds;

import static org.junit.Assert.assertEquals;

import java.util.concurrent.TimeUnit;

import org.junit.Test;

/** A source that is never closed is closed once unreachable; a closed one is not closed again. */
public class SourceCleanupTest {
    /** How long the collector gets to find an unreachable source. */
    private static final long GC_WAIT_MILLIS = TimeUnit.SECONDS.toMillis(30);

    /** Creates a source, uses it, and drops it: nothing refers to it after this returns. */
    private static void createUseAndDrop(boolean close) {
        FreshCredentialsSource source = FreshCredentialsSource.create(FreshCredentialsSourceTest.staticKeys(true));
        assertEquals("ASIAPROPS", source.credentials().getAccessKeyId());
        if (close) {
            source.close();
        }
    }

    /** Collects until {@code CLOSED_UNREACHABLE} exceeds {@code before} or the wait is over. */
    private static long collectUntilAbove(long before) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GC_WAIT_MILLIS);
        while (FreshCredentialsSource.CLOSED_UNREACHABLE.get() <= before && System.nanoTime() < deadline) {
            System.gc();
            // The log thread closes it, between batches, once the collector has enqueued it.
            Thread.sleep(10);
        }
        return FreshCredentialsSource.CLOSED_UNREACHABLE.get();
    }

    @Test
    public void aSourceNobodyClosedIsClosedAfterItBecomesUnreachable() throws Exception {
        long before = FreshCredentialsSource.CLOSED_UNREACHABLE.get();
        createUseAndDrop(false);
        long after = collectUntilAbove(before);
        assertEquals("the unreachable source's native side was not freed within " + GC_WAIT_MILLIS + " ms",
                before + 1, after);
    }

    @Test
    public void aSourceClosedByItsOwnerIsNotClosedAgainWhenItBecomesUnreachable() throws Exception {
        // One unclosed source as a witness that the collector ran and the queue was drained.
        long before = FreshCredentialsSource.CLOSED_UNREACHABLE.get();
        createUseAndDrop(true);
        createUseAndDrop(false);
        long after = collectUntilAbove(before);
        // Give the closed one's reference the same chance, then count again.
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertEquals("only the unclosed source is counted", before + 1,
                Math.max(after, FreshCredentialsSource.CLOSED_UNREACHABLE.get()));
    }
}

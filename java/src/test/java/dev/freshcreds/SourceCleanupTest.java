package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

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
            // The cleanup thread closes it once the collector has enqueued it.
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

    /** Waits (collecting, so that sources other tests dropped are closed) until {@code thread} ends. */
    private static void awaitEnd(Thread thread, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GC_WAIT_MILLIS);
        while (thread.isAlive() && System.nanoTime() < deadline) {
            System.gc();
            thread.join(50);
        }
        assertTrue(what + " still runs", !thread.isAlive());
    }

    @Test
    public void eachLibraryThreadHasOneJobANameThatSaysItAndEndsWhenTheJobIsDone() throws Exception {
        FreshCredentialsSource source = FreshCredentialsSource.create(FreshCredentialsSourceTest.staticKeys(true));
        Thread cleanup = FreshCredentialsSource.Unreachable.thread();
        Thread registrar = MBeanRegistrar.thread();
        Thread log = LogPump.thread();
        try {
            assertNotNull("no cleanup thread while an unclosed source exists", cleanup);
            assertNotNull("no registrar while an MBean is due", registrar);
            assertNotNull("no log thread while a source is open", log);
            assertEquals(FreshCredentialsSource.CLEANUP_THREAD_NAME, cleanup.getName());
            assertEquals(MBeanRegistrar.THREAD_NAME, registrar.getName());
            assertEquals(LogPump.THREAD_NAME, log.getName());
            for (Thread t : new Thread[] {cleanup, registrar, log}) {
                assertTrue(t.getName(), t.isDaemon());
                assertNull(t.getName(), t.getContextClassLoader());
            }
            // The registrar ends once the MBean it was started for is registered.
            awaitEnd(registrar, "the registrar, with nothing queued,");
            assertNotNull("the registrar ended without registering", source.jmxName());
            assertTrue("the cleanup thread ended while an unclosed source exists", cleanup.isAlive());
        } finally {
            source.close();
        }
        awaitEnd(cleanup, "the cleanup thread, with every source closed,");
        assertNull(FreshCredentialsSource.Unreachable.thread());
    }
}

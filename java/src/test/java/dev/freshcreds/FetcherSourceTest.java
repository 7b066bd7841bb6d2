package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.Test;

import dev.freshcreds.simkit.SimulatorProcess;

/**
 * Sources written in Java, driven by the native engine in a real JVM: refreshed early, served
 * stale through a failing fetcher, and never stalled or killed by a fetcher that blocks, throws
 * or returns garbage; a web identity token supplier assumes a role at the simulator.
 */
public class FetcherSourceTest {
    private static final String SECRET = "fetched-secret-never-shown";
    /** Credentials that live this long are refreshed half-way (the engine's rule for short lives). */
    private static final Duration SHORT_LIFE = Duration.ofSeconds(3);
    /** How long a test waits for the background refresh it expects (far above SHORT_LIFE). */
    private static final long WAIT_MILLIS = 15_000;
    /** A call timeout short enough for a test, long enough for a loaded machine's good calls. */
    private static final Duration SHORT_CALL_TIMEOUT = Duration.ofMillis(500);

    private static FreshCredentialsOptions options() {
        return FreshCredentialsOptions.builder().readSystemProperties(false).jvmNetworkSettings(false)
                .jitter(Duration.ZERO).option("firstFetchTimeoutMillis", "1500").build();
    }

    private static FetchedCredentials creds(int n, Duration life) {
        return FetchedCredentials.of("ASIAJAVA" + n, SECRET, "token" + n, Instant.now().plus(life));
    }

    private static void await(String what, java.util.function.BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("timed out waiting: " + what);
            }
            Thread.sleep(20);
        }
    }

    /** A healthy source on the same engine still works: the engine is not stalled. */
    private static void engineStillServes() {
        try (FreshCredentialsSource other = FreshCredentialsSource.fromFetcher("healthy",
                () -> creds(7, Duration.ofHours(1)), options(), SHORT_CALL_TIMEOUT)) {
            assertEquals("ASIAJAVA7", other.credentials().getAccessKeyId());
        }
    }

    private static FreshCredentialsException firstFetchFails(FreshCredentialsSource source) {
        try {
            source.credentials();
            throw new AssertionError("expected the first fetch to fail");
        } catch (FreshCredentialsException e) {
            return e;
        }
    }

    @Test
    public void aJavaFetcherIsRefreshedEarlyInTheBackgroundWithoutACaller() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (FreshCredentialsSource source = FreshCredentialsSource.fromFetcher("catalog",
                () -> creds(calls.incrementAndGet(), SHORT_LIFE), options(), SHORT_CALL_TIMEOUT)) {
            FreshCredentials first = source.credentials();
            assertEquals("ASIAJAVA1", first.getAccessKeyId());
            assertEquals("Fetcher(catalog)", first.getSource());
            await("a second fetch before expiry", () -> calls.get() >= 2);
            assertTrue("refreshed before the first expired", Instant.now().isBefore(first.getExpiration()));
            FreshCredentialsStatus status = source.typedStatus();
            assertTrue(status.toString(), status.getRefreshes() >= 2);
            assertEquals("Fetcher(catalog)", status.getSource());
        }
    }

    @Test
    public void aFailingFetcherKeepsTheLastCredentialsServedFlaggedStale() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CredentialsFetcher fetcher = () -> {
            if (calls.incrementAndGet() == 1) {
                return creds(1, SHORT_LIFE);
            }
            throw CredentialsFetchException.retryable("catalog is down");
        };
        try (FreshCredentialsSource source = FreshCredentialsSource.fromFetcher("catalog", fetcher, options(),
                SHORT_CALL_TIMEOUT)) {
            Instant expiry = source.credentials().getExpiration();
            await("the credentials expire", () -> Instant.now().isAfter(expiry.plusMillis(200)));
            FreshCredentials served = source.credentials();
            assertEquals("ASIAJAVA1", served.getAccessKeyId());
            assertTrue("flagged stale", served.isStale());
            FreshCredentialsStatus status = source.typedStatus();
            assertTrue(status.getLastError(), status.getLastError().contains("Fetcher(catalog) failed: catalog is down"));
            assertTrue(status.getFailures() >= 1);
        }
    }

    @Test
    public void aRejectedKeyFromAFetcherIsReplacedInOneRoundAndCounted() {
        AtomicInteger calls = new AtomicInteger();
        try (FreshCredentialsSource source = FreshCredentialsSource.fromFetcher("catalog",
                () -> creds(calls.incrementAndGet(), Duration.ofHours(1)), options(), SHORT_CALL_TIMEOUT)) {
            assertEquals("ASIAJAVA1", source.credentials().getAccessKeyId());
            assertTrue("replaced", source.invalidate("ASIAJAVA1"));
            assertEquals("ASIAJAVA2", source.credentials().getAccessKeyId());
            assertEquals(2, calls.get());
            assertEquals(1, source.typedStatus().getInvalidations());
            assertFalse("a key it never served is ignored", source.invalidate("AKIDOTHER"));
            assertEquals(2, calls.get());
        }
    }

    @Test
    public void theFetcherRunsWithTheContextClassLoaderOfTheThreadThatBuiltTheSource() {
        ClassLoader mine = new ClassLoader(getClass().getClassLoader()) {
        };
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        java.util.concurrent.atomic.AtomicReference<ClassLoader> seen = new java.util.concurrent.atomic.AtomicReference<ClassLoader>();
        java.util.concurrent.atomic.AtomicReference<String> thread = new java.util.concurrent.atomic.AtomicReference<String>();
        Thread.currentThread().setContextClassLoader(mine);
        FreshCredentialsSource source;
        try {
            source = FreshCredentialsSource.fromFetcher("loader", () -> {
                seen.set(Thread.currentThread().getContextClassLoader());
                thread.set(Thread.currentThread().getName());
                return creds(1, Duration.ofHours(1));
            }, options(), SHORT_CALL_TIMEOUT);
        } finally {
            Thread.currentThread().setContextClassLoader(before);
        }
        try {
            source.credentials();
            assertSame(mine, seen.get());
            assertFalse("never on the caller's thread", Thread.currentThread().getName().equals(thread.get()));
        } finally {
            source.close();
        }
    }

    @Test
    public void aFetcherThatBlocksForeverTimesOutAndNeitherStallsTheEngineNorClose() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        FreshCredentialsSource stuck = FreshCredentialsSource.fromFetcher("stuck", () -> {
            calls.incrementAndGet();
            never.await();
            return creds(1, Duration.ofHours(1));
        }, options(), SHORT_CALL_TIMEOUT);
        try {
            FreshCredentialsException e = firstFetchFails(stuck);
            assertEquals(FreshCredentialsException.Kind.TIMEOUT, e.getKind());
            // The first round timed out after 500 ms; later rounds failed at once, without calling
            // the fetcher again, while that call is still stuck.
            assertTrue(e.getMessage(), e.getMessage().contains("Fetcher(stuck)"));
            String lastError = stuck.typedStatus().getLastError();
            assertTrue(lastError, lastError.contains("gave no answer within 500 ms")
                    || lastError.contains("has still not returned from an earlier call that timed out"));
            engineStillServes();
            assertEquals("one thread stuck in the fetcher, not one per round", 1, calls.get());
            long start = System.nanoTime();
            stuck.close();
            assertTrue("close does not wait for the fetcher",
                    System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2));
        } finally {
            never.countDown();
            stuck.close();
        }
    }

    @Test
    public void aFetcherThatThrowsFailsTheRoundNamingTheFetcher() {
        try (FreshCredentialsSource source = FreshCredentialsSource.fromFetcher("thrower", () -> {
            throw new IllegalStateException("boom");
        }, options(), SHORT_CALL_TIMEOUT)) {
            FreshCredentialsException e = firstFetchFails(source);
            assertTrue(e.getMessage(), e.getMessage().contains(
                    "Fetcher(thrower) failed: threw java.lang.IllegalStateException: boom"));
        }
        try (FreshCredentialsSource source = FreshCredentialsSource.fromFetcher("error", () -> {
            throw new StackOverflowError("deep");
        }, options(), SHORT_CALL_TIMEOUT)) {
            assertTrue(firstFetchFails(source).getMessage().contains("threw java.lang.StackOverflowError"));
        }
        try (FreshCredentialsSource source = FreshCredentialsSource.fromFetcher("denied", () -> {
            throw CredentialsFetchException.permanent("access denied by the catalog");
        }, options(), SHORT_CALL_TIMEOUT)) {
            FreshCredentialsException e = firstFetchFails(source);
            assertEquals(FreshCredentialsException.Kind.REFUSED, e.getKind());
        }
        engineStillServes();
    }

    @Test
    public void aFetcherThatReturnsGarbageFailsTheRoundAndTheEngineGoesOn() {
        Object[][] cases = {
            {(CredentialsFetcher) () -> null, "returned null"},
            {(CredentialsFetcher) () -> FetchedCredentials.of("ASIAJAVA1", null, null, Instant.now().plusSeconds(900)),
                "the secret access key is missing"},
            {(CredentialsFetcher) () -> FetchedCredentials.of(null, SECRET, null, Instant.now().plusSeconds(900)),
                "the access key id is missing"},
            {(CredentialsFetcher) () -> FetchedCredentials.of("ASIAJAVA1", SECRET, null, Instant.now().plus(Duration.ofDays(3650))),
                "days ahead"},
            {(CredentialsFetcher) () -> FetchedCredentials.of("ASIAJAVA1", SECRET, null, Instant.MAX),
                "out of range"},
        };
        for (Object[] c : cases) {
            try (FreshCredentialsSource source = FreshCredentialsSource.fromFetcher("garbage",
                    (CredentialsFetcher) c[0], options(), SHORT_CALL_TIMEOUT)) {
                FreshCredentialsException e = firstFetchFails(source);
                assertTrue(e.getMessage(), e.getMessage().contains((String) c[1]));
                assertTrue(e.getMessage(), e.getMessage().contains("Fetcher(garbage)"));
            }
        }
        // Already expired: not served as fresh; the round counts as failed.
        try (FreshCredentialsSource source = FreshCredentialsSource.fromFetcher("expired",
                () -> creds(1, Duration.ofSeconds(-60)), options(), SHORT_CALL_TIMEOUT)) {
            try {
                FreshCredentials served = source.credentials();
                assertTrue("expired credentials are only ever served flagged", served.isStale());
            } catch (FreshCredentialsException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("expired"));
            }
            assertTrue(source.typedStatus().getStaleResponses() >= 1);
        }
        engineStillServes();
    }

    @Test
    public void theCallTimeoutIsBoundedByTheEnginesRoundTimeout() {
        try {
            FreshCredentialsSource.fromFetcher("x", () -> creds(1, Duration.ofHours(1)), options(),
                    FreshCredentialsSource.MAX_CALL_TIMEOUT.plusMillis(1)).close();
            fail("a call timeout over the round timeout is refused");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("call timeout of Fetcher(x)"));
        }
        FreshCredentialsSource.fromFetcher("x", () -> creds(1, Duration.ofHours(1)), options(),
                FreshCredentialsSource.MAX_CALL_TIMEOUT).close();
        assertTrue(FreshCredentialsSource.DEFAULT_CALL_TIMEOUT.compareTo(FreshCredentialsSource.MAX_CALL_TIMEOUT) <= 0);
    }

    @Test
    public void optionsThatPickASourceAreRefusedForAFetcher() {
        try {
            FreshCredentialsSource.fromFetcher("x", () -> creds(1, Duration.ofHours(1)),
                    FreshCredentialsOptions.builder().readSystemProperties(false).profile("dev").build(),
                    SHORT_CALL_TIMEOUT).close();
            fail("profile is refused");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("`profile` does not apply to a credential fetcher"));
        }
    }

    /**
     * {@code -Dfreshcreds.source} or {@code -Dfreshcreds.profile} (and any option whose group does
     * not apply) say nothing to a source written in code: they are left out of it, where they
     * used to fail its creation. Set in code, they are still refused.
     */
    @Test
    public void systemPropertiesOfOtherGroupsAreLeftOutOfSourcesWrittenInCode() throws Exception {
        String[][] properties = {
            {"freshcreds." + OptionSpec.SOURCE, "imds"},
            {"freshcreds." + OptionSpec.PROFILE, "nobody"},
            {"freshcreds." + OptionSpec.IMDS_ATTEMPTS, "2"},
            {"freshcreds." + OptionSpec.EXTERNAL_ID, "not-part-of-web-identity"},
            {"freshcreds." + OptionSpec.JITTER_MILLIS, "0"},
        };
        for (String[] p : properties) {
            assertEquals(p[0] + " is not set outside this test", null, System.getProperty(p[0]));
        }
        try {
            for (String[] p : properties) {
                System.setProperty(p[0], p[1]);
            }
            try (FreshCredentialsSource source = FreshCredentialsSource.fromFetcher("catalog",
                    () -> creds(1, Duration.ofHours(1)))) {
                assertEquals("ASIAJAVA1", source.credentials().getAccessKeyId());
                java.util.Map<String, String> o = source.options().asMap();
                assertFalse(o.toString(), o.containsKey(OptionSpec.SOURCE) || o.containsKey(OptionSpec.PROFILE)
                        || o.containsKey(OptionSpec.IMDS_ATTEMPTS) || o.containsKey(OptionSpec.EXTERNAL_ID));
                assertEquals("a refresh option from a system property applies", "0", o.get(OptionSpec.JITTER_MILLIS));
            }
            try (SimulatorProcess sim = SimulatorProcess.start()) {
                FreshCredentialsOptions role = FreshCredentialsOptions.builder().jvmNetworkSettings(false)
                        .assumeRole("arn:aws:iam::123456789012:role/federated", "ci")
                        .stsEndpoint(sim.baseUrl()).build();
                try (FreshCredentialsSource source = FreshCredentialsSource.webIdentity(role,
                        () -> "header.payload.signature", SHORT_CALL_TIMEOUT)) {
                    assertEquals("WebIdentityTokenSupplier(arn:aws:iam::123456789012:role/federated)",
                            source.credentials().getSource());
                    assertFalse(source.options().asMap().containsKey(OptionSpec.EXTERNAL_ID));
                }
            }
            try {
                FreshCredentialsSource.fromFetcher("x", () -> creds(1, Duration.ofHours(1)),
                        FreshCredentialsOptions.builder().source("imds").build(), SHORT_CALL_TIMEOUT).close();
                fail("source set in code is refused");
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("`source` does not apply to a credential fetcher"));
            }
        } finally {
            for (String[] p : properties) {
                System.clearProperty(p[0]);
            }
        }
    }

    @Test
    public void secretsFromTheFetcherNeverAppearInToStringOrStatus() {
        try (FreshCredentialsSource source = FreshCredentialsSource.fromFetcher("catalog",
                () -> creds(1, Duration.ofHours(1)), options(), SHORT_CALL_TIMEOUT)) {
            FreshCredentials c = source.credentials();
            String shown = source + " " + c + " " + source.status() + " " + source.typedStatus()
                    + " " + creds(1, Duration.ofHours(1));
            assertFalse(shown, shown.contains(SECRET));
            assertFalse(shown, shown.contains("token1"));
        }
    }

    @Test
    public void aWebIdentityTokenSupplierAssumesTheRoleAtTheSimulator() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            AtomicInteger tokens = new AtomicInteger();
            FreshCredentialsOptions role = FreshCredentialsOptions.builder().readSystemProperties(false)
                    .jvmNetworkSettings(false)
                    .assumeRole("arn:aws:iam::123456789012:role/federated", "ci")
                    .stsEndpoint(sim.baseUrl()).build();
            try (FreshCredentialsSource source = FreshCredentialsSource.webIdentity(role,
                    () -> "header.payload" + tokens.incrementAndGet() + ".signature", SHORT_CALL_TIMEOUT)) {
                FreshCredentials c = source.credentials();
                assertEquals("WebIdentityTokenSupplier(arn:aws:iam::123456789012:role/federated)", c.getSource());
                assertEquals(1, sim.count("sts_assume_role_web_identity"));
                source.refresh();
                assertEquals(2, sim.count("sts_assume_role_web_identity"));
                assertEquals(2, tokens.get());
            }
            try (FreshCredentialsSource source = FreshCredentialsSource.webIdentity(role, () -> null,
                    SHORT_CALL_TIMEOUT)) {
                assertTrue(firstFetchFails(source).getMessage().contains("supplier returned null"));
            }
        }
    }
}

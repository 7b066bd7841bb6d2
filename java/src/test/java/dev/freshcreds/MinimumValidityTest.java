package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.time.Duration;
import java.time.Instant;

import org.junit.Test;

import com.amazonaws.auth.BasicSessionCredentials;
import dev.freshcreds.sdkv1.FreshCredentialsProvider;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import dev.freshcreds.simkit.SimulatorProcess;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * {@link FreshCredentialsSource#credentials(Duration)} and the adapters' methods of the same
 * purpose, over a role session of 15 minutes that freshcreds assumes through the simulator:
 * 10 minutes are served, 20 minutes fail with an {@link InsufficientValidityException} that
 * names the 15-minute cap, through the native library and both SDK adapters.
 */
public class MinimumValidityTest {
    private static final String ROLE = "arn:aws:iam::123456789012:role/java-app";
    private static final Duration SESSION = Duration.ofMinutes(15);

    private static FreshCredentialsOptions fifteenMinuteRole(SimulatorProcess sim) {
        return FreshCredentialsOptions.builder()
                .readSystemProperties(false)
                .source("imds")
                .imdsEndpoint(sim.baseUrl())
                .assumeRole(ROLE, "validity")
                .duration(SESSION)
                .stsEndpoint(sim.baseUrl())
                .build();
    }

    private static void assertNamesTheCap(InsufficientValidityException e, Duration asked) {
        assertEquals(FreshCredentialsException.Kind.INSUFFICIENT_VALIDITY, e.getKind());
        assertEquals(asked, e.getRequestedValidity());
        assertEquals(SESSION, e.getSourceLimit());
        assertNull("more never comes from a 15-minute session", e.getMoreAvailableAt());
        assertTrue(e.getAvailableValidity().toString(),
                e.getAvailableValidity().compareTo(Duration.ofMinutes(14)) > 0
                        && e.getAvailableValidity().compareTo(SESSION) <= 0);
        assertTrue(e.getExpiration() != null && e.getExpiration().isAfter(Instant.now()));
        assertTrue(e.getMessage(), e.getMessage().contains("at most 15 min"));
        assertTrue(e.getMessage(), e.getMessage().contains("DurationSeconds=900"));
        assertTrue(e.getMessage(), e.getMessage().contains(ROLE));
    }

    @Test
    public void aFifteenMinuteSessionServesTenMinutesAndFailsTwentyNamingTheCap() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start();
                FreshCredentialsSource source = FreshCredentialsSource.create(fifteenMinuteRole(sim))) {
            FreshCredentials ten = source.credentials(Duration.ofMinutes(10));
            assertTrue(ten.toString(), ten.getExpiration().isAfter(Instant.now().plus(Duration.ofMinutes(10))));
            // Answered from the snapshot: the same object, no native call.
            long calls = source.nativeCalls();
            assertSame(ten, source.credentials(Duration.ofMinutes(10)));
            assertEquals(calls, source.nativeCalls());

            for (Duration asked : new Duration[] {Duration.ofMinutes(20), SESSION}) {
                try {
                    FreshCredentials shorter = source.credentials(asked);
                    fail("credentials that expire sooner than asked were handed out: " + shorter);
                } catch (InsufficientValidityException e) {
                    assertNamesTheCap(e, asked);
                }
            }
            assertEquals(sim.counts(), 1, SimulatorProcess.count(sim.counts(), "sts_assume_role"));
        }
    }

    @Test
    public void bothAdaptersServeTheMinimumOrThrowTheTypedException() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start();
                FreshCredentialsProvider v1 = new FreshCredentialsProvider(fifteenMinuteRole(sim));
                FreshAwsCredentialsProvider v2 = FreshAwsCredentialsProvider.builder()
                        .options(fifteenMinuteRole(sim)).build()) {
            Instant tenMinutesAway = Instant.now().plus(Duration.ofMinutes(10));
            BasicSessionCredentials c1 = (BasicSessionCredentials) v1.getCredentials(Duration.ofMinutes(10));
            assertTrue(c1.getSessionToken().length() > 0);
            assertTrue(v1.source().credentials().getExpiration().isAfter(tenMinutesAway));
            AwsSessionCredentials c2 = (AwsSessionCredentials) v2.resolveCredentials(Duration.ofMinutes(10));
            assertTrue(c2.expirationTime().get().toString(), c2.expirationTime().get().isAfter(tenMinutesAway));
            try {
                v1.getCredentials(Duration.ofMinutes(20));
                fail("SDK v1 adapter handed out shorter credentials");
            } catch (InsufficientValidityException e) {
                assertNamesTheCap(e, Duration.ofMinutes(20));
            }
            try {
                v2.resolveCredentials(Duration.ofMinutes(20));
                fail("SDK v2 adapter handed out shorter credentials");
            } catch (InsufficientValidityException e) {
                assertNamesTheCap(e, Duration.ofMinutes(20));
            }
        }
    }

    @Test
    public void aNullOrNegativeMinimumIsRefused() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start();
                FreshCredentialsSource source = FreshCredentialsSource.create(fifteenMinuteRole(sim))) {
            try {
                source.credentials((Duration) null);
                fail("null accepted");
            } catch (NullPointerException e) {
                assertEquals("minimumValidity", e.getMessage());
            }
            try {
                source.credentials(Duration.ofSeconds(-1));
                fail("negative accepted");
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("negative"));
            }
            source.close();
            try {
                source.credentials(Duration.ofMinutes(1));
                fail("a closed source answered");
            } catch (IllegalStateException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("closed"));
            }
        }
    }
}

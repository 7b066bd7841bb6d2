package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.time.Duration;

import org.junit.Test;

import dev.freshcreds.simkit.SimulatorProcess;

/** Role sessions over one base share it (counted at the simulator), within a bounded cache. */
public class RoleSessionsTest {
    private static final int ROLES = 50;

    private static FreshCredentialsOptions imdsBase(SimulatorProcess sim) {
        return FreshCredentialsOptions.builder().readSystemProperties(false).jvmNetworkSettings(false)
                .source("imds").imdsEndpoint(sim.baseUrl()).stsEndpoint(sim.baseUrl())
                .jitter(Duration.ZERO).build();
    }

    @Test
    public void manyRolesOverOneBaseFetchTheBaseOnce() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start();
                FreshRoleSessions sessions = FreshRoleSessions.over(imdsBase(sim))) {
            for (int i = 0; i < ROLES; i++) {
                FreshCredentials c = sessions.session("arn:aws:iam::123456789012:role/tenant-" + i, "tenant")
                        .credentials();
                assertTrue(c.getSource(), c.getSource().startsWith("AssumeRole("));
            }
            assertEquals("one base fetch for " + ROLES + " roles", 1, sim.count("imds_credentials"));
            assertEquals(ROLES, sim.count("sts_assume_role"));
            assertEquals(ROLES, sessions.size());
        }
    }

    @Test
    public void theCacheKeepsAtMostItsBoundAndClosesTheLeastRecentlyUsed() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start();
                FreshRoleSessions sessions = FreshRoleSessions.over(imdsBase(sim), 2)) {
            FreshCredentialsSource a = sessions.session("arn:aws:iam::123456789012:role/a", "t");
            FreshCredentialsSource b = sessions.session("arn:aws:iam::123456789012:role/b", "t");
            assertSame(a, sessions.session("arn:aws:iam::123456789012:role/a", "t"));
            sessions.session("arn:aws:iam::123456789012:role/c", "t");
            assertEquals(2, sessions.size());
            assertTrue("b was the least recently used", b.isClosed());
            assertTrue(!a.isClosed());
            assertNotSame(b, sessions.session("arn:aws:iam::123456789012:role/b", "t"));
            assertTrue(a.isClosed());
        }
        assertEquals(10_000, FreshRoleSessions.DEFAULT_MAX_SESSIONS);
        try {
            FreshRoleSessions.over(FreshCredentialsOptions.builder().readSystemProperties(false).build(), 0);
            fail("a bound under 1 is refused");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("maxSessions"));
        }
    }

    @Test
    public void theJvmNetworkSettingsAreReadOnceForEverySessionUnlessTurnedOff() {
        FreshCredentialsOptions base = FreshCredentialsOptions.builder().readSystemProperties(false)
                .source("environment").build();
        FreshCredentialsOptions resolved = FreshRoleSessions.withJvmNetwork(base);
        String pem = resolved.asMap().get("trustRootsPem");
        // The JVM's default trust store has roots: they are filled in, as a source would.
        assertTrue("no trust roots filled in: " + resolved, pem != null && pem.contains("BEGIN CERTIFICATE"));
        assertEquals(pem, JvmNetwork.pairs(base, System.getProperties(), JvmNetwork.DEFAULT_TRUST_MANAGER)
                .get("trustRootsPem"));
        // What the base sets itself stays, and a base without the JVM's settings stays as it is.
        FreshCredentialsOptions own = base.toBuilder().trustRootsPem("-----BEGIN CERTIFICATE-----\nAA==\n"
                + "-----END CERTIFICATE-----\n").build();
        assertEquals(own.asMap(), FreshRoleSessions.withJvmNetwork(own).asMap());
        FreshCredentialsOptions off = base.toBuilder().jvmNetworkSettings(false).build();
        assertSame(off, FreshRoleSessions.withJvmNetwork(off));
    }
}

package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.junit.Test;

import dev.freshcreds.micrometer.FreshCredentialsMetrics;
import dev.freshcreds.simkit.SimulatorProcess;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** The typed status, the JMX MBean and the Micrometer meters against real native state. */
public class StatusAndMetricsTest {
    /** How long the log thread gets to register a new source's MBean. */
    private static final long REGISTRATION_WAIT_MILLIS = SourceMXBean.REGISTER_AFTER_MILLIS + 9000;

    @Test
    public void theTypedStatusOfAHealthySourceNamesItsSourceAndKeyAndCountsTheRefresh() {
        try (FreshCredentialsSource source = FreshCredentialsSource.create(FreshCredentialsSourceTest.staticKeys(true))) {
            FreshCredentials c = source.credentials();
            FreshCredentialsStatus status = source.typedStatus();
            assertEquals(c.getSource(), status.getSource());
            assertEquals("ASIAPROPS", status.getAccessKeyId());
            assertTrue(status.toString(), status.getRounds() >= 1);
            assertTrue(status.toString(), status.getRefreshes() >= 1);
            assertEquals(0, status.getFailures());
            assertFalse(status.isStale());
            assertNull(status.getLastError());
            // Static keys do not expire.
            assertNull(status.getExpiration());
            assertNull(status.getExpiresIn());
            assertFalse("no secret in toString: " + status, status.toString().contains(FreshCredentialsSourceTest.SECRET));
        }
    }

    @Test
    public void theTypedStatusOfAFailingSourceCountsTheFailureAndNamesTheEndpoint() throws Exception {
        int port = FreshCredentialsSourceTest.closedPort();
        try (FreshCredentialsSource source = failedImdsSource(port)) {
            FreshCredentialsStatus status = source.typedStatus();
            assertTrue(status.toString(), status.getFailures() >= 1);
            assertNull(status.getAccessKeyId());
            assertNotNull(status.toString(), status.getLastError());
            assertTrue(status.getLastError(), status.getLastError().contains("127.0.0.1:" + port));
        }
    }

    @Test
    public void aStaleSourceSaysSoInTheTypedStatusAndInItsMeters() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            sim.fault("imds_credentials", "{\"expired_credentials\": true}");
            FreshCredentialsOptions options = FreshCredentialsOptions.builder().readSystemProperties(false)
                    .source("imds").imdsEndpoint(sim.baseUrl()).option("staleExtensionMillis", "300000").build();
            try (FreshCredentialsSource source = FreshCredentialsSource.create(options)) {
                assertTrue(source.credentials().isStale());
                FreshCredentialsStatus status = source.typedStatus();
                assertTrue(status.toString(), status.isStale());
                assertTrue(status.toString(), status.getExpiresIn().isNegative());
                assertTrue(status.toString(), status.getExtensionEndsIn().toMillis() > 0);
                assertTrue(status.toString(), status.getStaleExtensions() >= 1);

                SimpleMeterRegistry registry = new SimpleMeterRegistry();
                new FreshCredentialsMetrics(source, Tags.of("app", "test")).bindTo(registry);
                assertEquals(1.0, registry.get("freshcreds.stale").tag("app", "test").gauge().value(), 0);
                assertTrue(registry.get("freshcreds.expires.in").gauge().value() < 0);
                assertTrue(registry.get("freshcreds.stale.extensions").functionCounter().count() >= 1);
                assertEquals(status.getSourceKind(),
                        registry.get("freshcreds.refreshes").functionCounter().getId().getTag("source"));
            }
        }
    }

    @Test
    public void theStatusGivesTheSourceKindWithoutTheProfileAndTheErrorKindBesideTheText() throws Exception {
        int port = FreshCredentialsSourceTest.closedPort();
        try (FreshCredentialsSource source = failedImdsSource(port)) {
            FreshCredentialsStatus status = source.typedStatus();
            assertEquals("Ec2InstanceMetadata", status.getSourceKind());
            // IMDS refusing connections reads as "not on EC2".
            assertEquals(status.toString(), "NOT_CONFIGURED", status.getLastErrorKind());
        }
        Path dir = Files.createTempDirectory("freshcreds-kinds");
        try (FreshCredentialsSource source = FreshCredentialsSource.create(profileSource(dir, "tenant-a"))) {
            source.credentials();
            FreshCredentialsStatus status = source.typedStatus();
            assertEquals("Profile(tenant-a)", status.getSource());
            assertEquals("Profile", status.getSourceKind());
            assertNull(status.getLastErrorKind());
        } finally {
            deleteProfileFiles(dir);
        }
    }

    @Test
    public void metricTagsAndTheMBeanNameKindsNotProfilesEndpointsOrKeysUnlessFullDetailsAreAsked() throws Exception {
        Path dir = Files.createTempDirectory("freshcreds-kinds");
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try (FreshCredentialsSource source = FreshCredentialsSource.create(profileSource(dir, "tenant-a"))) {
            source.credentials();
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new FreshCredentialsMetrics(source).bindTo(registry);
            assertEquals("Profile", registry.get("freshcreds.refreshes").functionCounter().getId().getTag("source"));

            ObjectName name = awaitMBean(source);
            assertEquals("Profile", server.getAttribute(name, "Source"));
            assertEquals("Profile", server.getAttribute(name, "SourceKind"));
            assertEquals("****************ANTA", server.getAttribute(name, "AccessKeyId"));
            assertNull(server.getAttribute(name, "LastError"));
            System.setProperty(SourceMXBean.DETAILS_PROPERTY, "full");
            try {
                assertEquals("Profile(tenant-a)", server.getAttribute(name, "Source"));
                assertEquals("AKIATENANTA", server.getAttribute(name, "AccessKeyId"));
            } finally {
                System.clearProperty(SourceMXBean.DETAILS_PROPERTY);
            }
        } finally {
            deleteProfileFiles(dir);
        }
    }

    @Test
    public void theMBeanGivesTheErrorKindNotItsTextByDefault() throws Exception {
        int port = FreshCredentialsSourceTest.closedPort();
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try (FreshCredentialsSource source = failedImdsSource(port)) {
            ObjectName name = awaitMBean(source);
            assertEquals("NOT_CONFIGURED", server.getAttribute(name, "LastError"));
            assertEquals("NOT_CONFIGURED", server.getAttribute(name, "LastErrorKind"));
            System.setProperty(SourceMXBean.DETAILS_PROPERTY, "full");
            try {
                String full = (String) server.getAttribute(name, "LastError");
                assertTrue(full, full.contains("127.0.0.1:" + port));
            } finally {
                System.clearProperty(SourceMXBean.DETAILS_PROPERTY);
            }
        }
    }

    /** A source whose IMDS is a closed port, after its first fetch failed. */
    private static FreshCredentialsSource failedImdsSource(int port) {
        FreshCredentialsSource source = FreshCredentialsSource.create(FreshCredentialsSourceTest.isolated()
                .source("imds").imdsEndpoint("http://127.0.0.1:" + port).imdsAttempts(1)
                .imdsTimeout(Duration.ofMillis(500)).firstFetchTimeout(Duration.ofSeconds(5)).build());
        try {
            source.credentials();
            source.close();
            fail("credentials from a closed port");
        } catch (FreshCredentialsException expected) {
            // the status says why
        }
        return source;
    }

    /** A profile source of static keys from a credentials file of its own in {@code dir}. */
    static FreshCredentialsOptions profileSource(Path dir, String profile) throws IOException {
        Path credentials = dir.resolve("credentials");
        Files.write(credentials, ("[" + profile + "]\naws_access_key_id = AKIATENANTA\n"
                + "aws_secret_access_key = " + FreshCredentialsSourceTest.SECRET + "\n").getBytes(StandardCharsets.UTF_8));
        return FreshCredentialsSourceTest.isolated().source("profile").profile(profile)
                .option("aws.sharedCredentialsFile", credentials.toString())
                .option("aws.configFile", dir.resolve("no-config").toString()).build();
    }

    static void deleteProfileFiles(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve("credentials"));
        Files.deleteIfExists(dir);
    }

    private static ObjectName awaitMBean(FreshCredentialsSource source) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REGISTRATION_WAIT_MILLIS);
        ObjectName name;
        while ((name = source.jmxName()) == null && System.nanoTime() < deadline) {
            // The log thread registers it between batches, at least every half second.
            Thread.sleep(20);
        }
        assertNotNull("no MBean within " + REGISTRATION_WAIT_MILLIS + " ms", name);
        return name;
    }

    @Test
    public void theMetersCountRefreshesAndReportNaNOnceTheSourceIsClosed() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        FreshCredentialsSource source = FreshCredentialsSource.create(FreshCredentialsSourceTest.staticKeys(true));
        source.credentials();
        new FreshCredentialsMetrics(source).bindTo(registry);
        assertTrue(registry.get("freshcreds.refreshes").functionCounter().count() >= 1);
        assertEquals(0.0, registry.get("freshcreds.stale").gauge().value(), 0);
        assertEquals(0.0, registry.get("freshcreds.refresh.failures").functionCounter().count(), 0);
        source.close();
        assertTrue(Double.isNaN(registry.get("freshcreds.stale").gauge().value()));
    }

    @Test
    public void eachSourceHasAnMBeanFromShortlyAfterItsCreationUntilItIsClosed() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        FreshCredentialsSource source = FreshCredentialsSource.create(FreshCredentialsSourceTest.staticKeys(true));
        ObjectName name;
        try {
            source.credentials();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REGISTRATION_WAIT_MILLIS);
            while ((name = source.jmxName()) == null && System.nanoTime() < deadline) {
                // The log thread registers it between batches, at least every half second.
                Thread.sleep(20);
            }
            assertNotNull("no MBean within " + REGISTRATION_WAIT_MILLIS + " ms", name);
            assertEquals("dev.freshcreds", name.getDomain());
            assertEquals("FreshCredentialsSource", name.getKeyProperty("type"));
            assertTrue(server.isRegistered(name));
            assertEquals("****************ROPS", server.getAttribute(name, "AccessKeyId"));
            assertEquals(Boolean.FALSE, server.getAttribute(name, "Stale"));
            assertTrue((Long) server.getAttribute(name, "Refreshes") >= 1);
            assertEquals(0L, server.getAttribute(name, "Failures"));
            assertNull(server.getAttribute(name, "ExpiresInMillis"));
        } finally {
            source.close();
        }
        assertNull(source.jmxName());
        assertFalse("still registered after close", server.isRegistered(name));
    }

    @Test
    public void anInvalidationIsCountedInTheTypedStatusTheMetersAndTheMBean() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            FreshCredentialsOptions options = FreshCredentialsOptions.builder().readSystemProperties(false)
                    .source("imds").imdsEndpoint(sim.baseUrl()).build();
            try (FreshCredentialsSource source = FreshCredentialsSource.create(options)) {
                String rejected = source.credentials().getAccessKeyId();
                SimpleMeterRegistry registry = new SimpleMeterRegistry();
                new FreshCredentialsMetrics(source).bindTo(registry);
                assertEquals(0.0, registry.get("freshcreds.invalidations").functionCounter().count(), 0);
                sim.admin("POST", "/_sim/revoke");
                assertTrue(source.invalidate(rejected));
                assertEquals(1, source.typedStatus().getInvalidations());
                assertEquals(1.0, registry.get("freshcreds.invalidations").functionCounter().count(), 0);
                ObjectName name;
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REGISTRATION_WAIT_MILLIS);
                while ((name = source.jmxName()) == null && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertNotNull("no MBean within " + REGISTRATION_WAIT_MILLIS + " ms", name);
                assertEquals(1L, ManagementFactory.getPlatformMBeanServer().getAttribute(name, "Invalidations"));
            }
        }
    }

    @Test
    public void everyStatusFieldReachesTheJsonTheTypedStatusTheMBeanAndTheMeters() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try (FreshCredentialsSource source = FreshCredentialsSource.create(FreshCredentialsSourceTest.staticKeys(true))) {
            source.credentials();
            String json = source.status();
            FreshCredentialsStatus status = source.typedStatus();
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            new FreshCredentialsMetrics(source).bindTo(registry);
            ObjectName name = awaitMBean(source);
            java.util.Set<String> attributes = new java.util.HashSet<String>();
            for (javax.management.MBeanAttributeInfo a : server.getMBeanInfo(name).getAttributes()) {
                attributes.add(a.getName());
            }
            java.util.List<FreshCredentialsStatus.Field> fields = FreshCredentialsStatus.fields();
            assertTrue(fields.toString(), fields.size() >= 20);
            java.util.Set<String> counters = new java.util.HashSet<String>();
            for (FreshCredentialsStatus.Field f : fields) {
                assertTrue("JSON status lacks " + f + ": " + json, json.contains("\"" + f.name + "\":"));
                // The typed status reads it (and toString names it when it has a value).
                Object value = status.value(f);
                if (value != null) {
                    assertTrue(status.toString(), status.toString().contains(f.name + "="));
                }
                assertTrue("MBean lacks " + f.jmxName, attributes.contains(f.jmxName));
                server.getAttribute(name, f.jmxName);
                if (f.kind == FreshCredentialsStatus.Kind.COUNTER) {
                    counters.add(f.name);
                    assertNotNull("no meter for counter " + f, registry.find(f.meterName).functionCounter());
                } else if (!f.meterName.isEmpty()) {
                    assertNotNull("no meter for " + f, registry.find(f.meterName).gauge());
                }
            }
            assertEquals(fields.size(), attributes.size());
            // The counters the issue named: untrustedDates was counted and never reported.
            assertTrue(counters.toString(), counters.containsAll(java.util.Arrays.asList("rounds", "refreshes",
                    "failures", "staleResponses", "unrotatedPolls", "staleExtensions", "panics", "resumes",
                    "invalidations", "untrustedDates")));
            assertEquals(0L, server.getAttribute(name, "UntrustedDates"));
            assertEquals(0, status.getUntrustedDates());
            assertEquals(0.0, registry.get("freshcreds.untrusted.dates").functionCounter().count(), 0);
        }
    }

    @Test
    public void theMXBeanInterfaceNamesExactlyTheMBeanAttributesWithTheirTypes() throws Exception {
        java.util.Map<String, String> declared = new java.util.TreeMap<String, String>();
        for (java.lang.reflect.Method m : FreshCredentialsSourceMXBean.class.getMethods()) {
            String n = m.getName();
            String attribute = n.startsWith("get") ? n.substring(3) : n.substring(2);
            Class<?> t = m.getReturnType();
            declared.put(attribute, t == long.class ? "java.lang.Long" : t == boolean.class ? "java.lang.Boolean" : t.getName());
        }
        java.util.Map<String, String> registered = new java.util.TreeMap<String, String>();
        try (FreshCredentialsSource source = FreshCredentialsSource.create(FreshCredentialsSourceTest.staticKeys(true))) {
            ObjectName name = awaitMBean(source);
            for (javax.management.MBeanAttributeInfo a : ManagementFactory.getPlatformMBeanServer().getMBeanInfo(name).getAttributes()) {
                registered.put(a.getName(), a.getType());
            }
            FreshCredentialsSourceMXBean proxy = javax.management.JMX.newMXBeanProxy(
                    ManagementFactory.getPlatformMBeanServer(), name, FreshCredentialsSourceMXBean.class);
            assertEquals(source.typedStatus().getRefreshes(), proxy.getRefreshes());
            assertEquals(0, proxy.getUntrustedDates());
        }
        assertEquals(declared, registered);
    }

}

package dev.freshcreds.spring;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.freshcreds.FreshCredentialsOptions;
import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import dev.freshcreds.simkit.SimulatorProcess;
import io.awspring.cloud.autoconfigure.core.CredentialsProviderAutoConfiguration;
import io.awspring.cloud.autoconfigure.core.RegionProviderAutoConfiguration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * The starter in a Spring context (Spring Boot's ApplicationContextRunner) against the local AWS
 * simulator: freshcreds gets credentials from the simulator's IMDS, and a real SDK v2 STS client
 * signs a call with the bean.
 */
public class FreshCredentialsAutoConfigurationTest {
    /** How long IMDS holds the first credentials request in the in-flight health test. */
    private static final int FIRST_FETCH_LATENCY_MILLIS = 3000;

    private static SimulatorProcess sim;

    private ApplicationContextRunner runner;

    @BeforeClass
    public static void startSimulator() throws Exception {
        sim = SimulatorProcess.start();
    }

    @AfterClass
    public static void stopSimulator() {
        if (sim != null) {
            sim.close();
        }
    }

    @Before
    public void context() throws Exception {
        sim.reset();
        sim.admin("POST", "/_sim/settings", "{\"sts_accepts_expired\": false}");
        runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(
                        FreshCredentialsAutoConfiguration.class, FreshCredentialsHealthAutoConfiguration.class))
                .withPropertyValues(
                        "freshcreds.read-system-properties=false",
                        "freshcreds.source=imds",
                        "freshcreds.imds-endpoint=" + sim.baseUrl());
    }

    private static StsClient sts(AwsCredentialsProvider credentials) {
        return StsClient.builder()
                .endpointOverride(URI.create(sim.baseUrl() + "/"))
                .region(Region.US_EAST_1)
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .credentialsProvider(credentials)
                .build();
    }

    private static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append('\n');
        }
        return sb.toString();
    }

    private static String startupFailure(AssertableApplicationContext context) {
        Throwable failure = context.getStartupFailure();
        assertNotNull("start-up should have failed", failure);
        return messages(failure);
    }

    @Test
    public void withoutAProviderOfItsOwnTheApplicationGetsAFreshcredsProviderThatSignsARealStsCall() {
        runner.run(context -> {
            assertNull(context.getStartupFailure());
            AwsCredentialsProvider bean = context.getBean(AwsCredentialsProvider.class);
            assertTrue(bean.toString(), bean instanceof FreshAwsCredentialsProvider);
            AwsCredentials c = bean.resolveCredentials();
            assertEquals("FreshAwsCredentialsProvider", c.providerName().orElse(null));
            try (StsClient sts = sts(bean)) {
                String arn = sts.getCallerIdentity().arn();
                assertTrue(arn, arn.contains(":assumed-role/"));
            }
            assertTrue(sim.counts(), sim.count("imds_credentials") >= 1);
        });
    }

    @Test
    public void aProviderTheApplicationDefinesWinsAndNoFreshcredsProviderIsCreated() {
        AwsCredentialsProvider own = StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDOWN", "secret"));
        runner.withBean(AwsCredentialsProvider.class, () -> own).run(context -> {
            assertNull(context.getStartupFailure());
            assertSame(own, context.getBean(AwsCredentialsProvider.class));
            assertTrue(context.getBeansOfType(FreshAwsCredentialsProvider.class).isEmpty());
            assertTrue(context.getBeansOfType(FreshCredentialsHealthIndicator.class).isEmpty());
        });
    }

    @Test
    public void springCloudAwsBacksOffAndItsClientsGetTheFreshcredsProvider() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(
                        CredentialsProviderAutoConfiguration.class, RegionProviderAutoConfiguration.class,
                        FreshCredentialsAutoConfiguration.class, FreshCredentialsHealthAutoConfiguration.class))
                .withPropertyValues(
                        "freshcreds.read-system-properties=false",
                        "freshcreds.source=imds",
                        "freshcreds.imds-endpoint=" + sim.baseUrl(),
                        "spring.cloud.aws.region.static=us-east-1")
                .run(context -> {
                    assertNull(context.getStartupFailure());
                    Map<String, AwsCredentialsProvider> beans = context.getBeansOfType(AwsCredentialsProvider.class);
                    assertEquals(beans.toString(), 1, beans.size());
                    assertTrue(beans.toString(), beans.values().iterator().next() instanceof FreshAwsCredentialsProvider);
                });
    }

    @Test
    public void freshcredsEnabledFalseDefinesNoProvider() {
        runner.withPropertyValues("freshcreds.enabled=false").run(context -> {
            assertNull(context.getStartupFailure());
            assertTrue(context.getBeansOfType(AwsCredentialsProvider.class).isEmpty());
        });
    }

    @Test
    public void everyPropertyBindsToItsOptionWithDurationsInSpringNotation() {
        runner.withPropertyValues(
                "freshcreds.profile=ops",
                "freshcreds.refresh-lead=10m",
                "freshcreds.jitter=30s",
                "freshcreds.first-fetch-timeout=5s",
                "freshcreds.stale-extension=15m",
                "freshcreds.refresh-backoff-base=2s",
                "freshcreds.refresh-backoff-cap=1m",
                "freshcreds.skew-warn=1m",
                "freshcreds.imds-endpoint-mode=IPv4",
                "freshcreds.imds-timeout=750ms",
                "freshcreds.imds-attempts=5",
                "freshcreds.imds-v1-fallback=false").run(context -> {
                    assertNull(context.getStartupFailure());
                    FreshAwsCredentialsProvider p = context.getBean(FreshAwsCredentialsProvider.class);
                    Map<String, String> o = p.source().options().asMap();
                    assertEquals("imds", o.get("source"));
                    assertEquals("ops", o.get("profile"));
                    assertEquals("600000", o.get("refreshLeadMillis"));
                    assertEquals("30000", o.get("jitterMillis"));
                    assertEquals("5000", o.get("firstFetchTimeoutMillis"));
                    assertEquals("900000", o.get("staleExtensionMillis"));
                    assertEquals("2000", o.get("refreshBackoffBaseMillis"));
                    assertEquals("60000", o.get("refreshBackoffCapMillis"));
                    assertEquals("60000", o.get("skewWarnMillis"));
                    assertEquals(sim.baseUrl(), o.get("imdsEndpoint"));
                    assertEquals("IPv4", o.get("imdsEndpointMode"));
                    assertEquals("750", o.get("imdsTimeoutMillis"));
                    assertEquals("5", o.get("imdsAttempts"));
                    assertEquals("false", o.get("imdsV1Fallback"));
                    // The native side took them all (a bad one would have failed start-up).
                    assertNotNull(p.resolveCredentials());
                });
    }

    @Test
    public void everyOptionKeyOfTheJavaApiIsSetByItsPropertyThroughSpringBinding() {
        Map<String, String> typed = FreshCredentialsProperties.propertyNames();
        assertTrue("each option of this release has a property of its own: " + typed.keySet(),
                typed.keySet().containsAll(Arrays.asList("source", "profile", "refreshLeadMillis",
                        "jitterMillis", "firstFetchTimeoutMillis", "staleExtensionMillis", "refreshBackoffBaseMillis",
                        "refreshBackoffCapMillis", "skewWarnMillis", "imdsEndpoint", "imdsEndpointMode",
                        "imdsTimeoutMillis", "imdsAttempts", "imdsV1Fallback")));
        for (String key : FreshCredentialsOptions.KEYS) {
            // A key without a property of its own (a newer option) goes through freshcreds.options.<key>.
            String property = FreshCredentialsProperties.propertyName(key);
            String value;
            String expected;
            if (key.endsWith("Millis") && typed.containsKey(key)) {
                value = "2s";
                expected = "2000";
            } else if (key.equals("imdsAttempts")) {
                value = "2";
                expected = "2";
            } else if (key.equals("imdsV1Fallback")) {
                value = "false";
                expected = "false";
            } else {
                value = "value-of-" + key;
                expected = value;
            }
            Map<String, String> source = new HashMap<>();
            source.put(property, value);
            FreshCredentialsProperties bound = new Binder(new MapConfigurationPropertySource(source))
                    .bind(FreshCredentialsProperties.PREFIX, FreshCredentialsProperties.class)
                    .orElseThrow(() -> new AssertionError("nothing bound from " + source));
            bound.setReadSystemProperties(false);
            assertEquals(property + "=" + value, Collections.singletonMap(key, expected), bound.toOptions().asMap());
        }
    }

    @Test
    public void anOptionWithoutAPropertyOfItsOwnIsPassedThroughFreshcredsOptions() {
        runner.withPropertyValues("freshcreds.options.imdsAttempts=4").run(context -> {
            String failure = startupFailure(context);
            assertTrue(failure, failure.contains("freshcreds.options.imdsAttempts is set by freshcreds.imds-attempts"));
        });
        runner.withPropertyValues("freshcreds.options.noSuchOption=1").run(context -> {
            String failure = startupFailure(context);
            assertTrue(failure, failure.contains("freshcreds.options.noSuchOption: "));
            assertTrue(failure, failure.contains("`noSuchOption`"));
        });
    }

    @Test
    public void aDurationThatIsNotOneFailsStartUpNamingTheProperty() {
        runner.withPropertyValues("freshcreds.refresh-lead=soon").run(context -> {
            String failure = startupFailure(context);
            assertTrue(failure, failure.contains("freshcreds.refresh-lead"));
        });
    }

    @Test
    public void anOutOfRangeValueFailsStartUpNamingTheProperty() {
        runner.withPropertyValues("freshcreds.imds-attempts=0").run(context -> {
            String failure = startupFailure(context);
            assertTrue(failure, failure.contains("freshcreds.imds-attempts must be at least 1, not 0"));
        });
        runner.withPropertyValues("freshcreds.jitter=-5s").run(context -> {
            String failure = startupFailure(context);
            assertTrue(failure, failure.contains("freshcreds.jitter must be a non-negative duration"));
        });
    }

    @Test
    public void aValueTheNativeLibraryRejectsFailsStartUpNamingTheProperty() {
        runner.withPropertyValues("freshcreds.imds-endpoint-mode=IPv5").run(context -> {
            String failure = startupFailure(context);
            assertTrue(failure, failure.contains("freshcreds.imds-endpoint-mode: "));
            assertTrue(failure, failure.contains("IPv5"));
        });
    }

    @Test
    public void closingOneSdkClientBuiltWithTheBeanLeavesTheOtherClientsSigning() {
        runner.run(context -> {
            AwsCredentialsProvider bean = context.getBean(AwsCredentialsProvider.class);
            StsClient first = sts(bean);
            first.getCallerIdentity();
            // An SDK v2 client closes the provider it was given when it is closed.
            first.close();
            try (StsClient second = sts(bean)) {
                String arn = second.getCallerIdentity().arn();
                assertTrue(arn, arn.contains(":assumed-role/"));
            }
            assertFalse(context.getBean(FreshAwsCredentialsProvider.class).source().isClosed());
        });
    }

    @Test
    public void closingTheContextClosesTheProvider() {
        FreshAwsCredentialsProvider[] seen = new FreshAwsCredentialsProvider[1];
        runner.run(context -> {
            seen[0] = context.getBean(FreshAwsCredentialsProvider.class);
            assertFalse(seen[0].source().isClosed());
        });
        assertTrue("closed with the context", seen[0].source().isClosed());
    }

    @Test
    public void withFreshCredentialsHealthIsUpWithTheSourceAndExpiry() {
        runner.run(context -> {
            context.getBean(AwsCredentialsProvider.class).resolveCredentials();
            HealthIndicator indicator = context.getBean("freshcredsHealthIndicator", HealthIndicator.class);
            Health health = indicator.health();
            assertEquals(health.toString(), Status.UP, health.getStatus());
            Map<String, Object> d = health.getDetails();
            assertEquals(d.toString(), "Ec2InstanceMetadata", d.get("source"));
            assertEquals(d.toString(), false, d.get("stale"));
            assertEquals(d.toString(), FreshCredentialsHealthIndicator.NO_FAILURE, d.get("lastFailure"));
            assertNotNull(d.toString(), d.get("expiration"));
            assertNotNull(d.toString(), d.get("expiresIn"));
            assertNull(d.toString(), d.get("extensionEndsIn"));
            assertFalse("no secret in the details: " + d, d.toString().contains("secret"));
        });
    }

    @Test
    public void servingExpiredCredentialsShowsStaleInTheHealthDetailsAndStaysUpByDefault() throws Exception {
        sim.fault("imds_credentials", "{\"expired_credentials\": true}");
        runner.withPropertyValues("freshcreds.stale-extension=5m").run(context -> {
            context.getBean(AwsCredentialsProvider.class).resolveCredentials();
            Health health = context.getBean("freshcredsHealthIndicator", HealthIndicator.class).health();
            assertEquals(health.toString(), Status.UP, health.getStatus());
            assertEquals(health.toString(), true, health.getDetails().get("stale"));
            assertNotNull(health.toString(), health.getDetails().get("extensionEndsIn"));
        });
    }

    @Test
    public void theStaleStatusIsConfigurable() throws Exception {
        sim.fault("imds_credentials", "{\"expired_credentials\": true}");
        runner.withPropertyValues("freshcreds.stale-extension=5m", "freshcreds.health.stale-status=out_of_service")
                .run(context -> {
                    context.getBean(AwsCredentialsProvider.class).resolveCredentials();
                    Health health = context.getBean("freshcredsHealthIndicator", HealthIndicator.class).health();
                    assertEquals(health.toString(), Status.OUT_OF_SERVICE, health.getStatus());
                    assertEquals(health.toString(), true, health.getDetails().get("stale"));
                });
    }

    @Test
    public void withoutCredentialsTheHealthIsDownWithTheLastFailure() throws Exception {
        sim.fault("imds_credentials", "{\"status\": 500}");
        runner.withPropertyValues("freshcreds.first-fetch-timeout=1s", "freshcreds.imds-attempts=1").run(context -> {
            try {
                context.getBean(AwsCredentialsProvider.class).resolveCredentials();
            } catch (RuntimeException expected) {
                // no credentials: what the health check reports
            }
            Health health = context.getBean("freshcredsHealthIndicator", HealthIndicator.class).health();
            assertEquals(health.toString(), Status.DOWN, health.getStatus());
            assertEquals(health.toString(), "HTTP", health.getDetails().get("lastFailure"));
        });
    }

    @Test
    public void healthDetailsNameTheErrorKindNotItsTextWhichNamesTheEndpointUnlessFullDetailsAreSet() throws Exception {
        sim.fault("imds_credentials", "{\"status\": 500}");
        String[] settings = {"freshcreds.first-fetch-timeout=1s", "freshcreds.imds-attempts=1"};
        runner.withPropertyValues(settings).run(context -> {
            try {
                context.getBean(AwsCredentialsProvider.class).resolveCredentials();
            } catch (RuntimeException expected) {
                // no credentials: what the health check reports
            }
            Map<String, Object> d = context.getBean("freshcredsHealthIndicator", HealthIndicator.class).health().getDetails();
            assertEquals(d.toString(), "HTTP", d.get("lastFailure"));
            assertFalse(d.toString(), d.toString().contains("127.0.0.1"));
        });
        runner.withPropertyValues(settings).withPropertyValues("freshcreds.health.full-details=true").run(context -> {
            try {
                context.getBean(AwsCredentialsProvider.class).resolveCredentials();
            } catch (RuntimeException expected) {
                // no credentials: what the health check reports
            }
            String failure = String.valueOf(context.getBean("freshcredsHealthIndicator", HealthIndicator.class)
                    .health().getDetails().get("lastFailure"));
            assertTrue(failure, failure.contains("500"));
            assertTrue(failure, failure.contains("127.0.0.1"));
        });
    }

    @Test
    public void whileTheFirstFetchIsInFlightTheHealthIsUnknown() throws Exception {
        // IMDS answers the credentials request only after FIRST_FETCH_LATENCY_MILLIS; the health
        // check right after start-up sees the fetch still running.
        sim.fault("imds_credentials", "{\"latency_ms\": " + FIRST_FETCH_LATENCY_MILLIS + "}");
        runner.run(context -> {
            Health health = context.getBean("freshcredsHealthIndicator", HealthIndicator.class).health();
            assertEquals(health.toString(), Status.UNKNOWN, health.getStatus());
            assertEquals(health.toString(), FreshCredentialsHealthIndicator.NO_FAILURE, health.getDetails().get("lastFailure"));
        });
    }

    @Test
    public void aClosedSourceIsDown() {
        runner.run(context -> {
            context.getBean(FreshCredentialsSource.class).close();
            Health health = context.getBean("freshcredsHealthIndicator", HealthIndicator.class).health();
            assertEquals(health.toString(), Status.DOWN, health.getStatus());
            assertEquals(health.toString(), true, health.getDetails().get("closed"));
        });
    }

    @Test
    public void aBlankStaleStatusFailsStartUpNamingTheProperty() {
        runner.withPropertyValues("freshcreds.health.stale-status= ").run(context -> {
            String failure = startupFailure(context);
            assertTrue(failure, failure.contains("freshcreds.health.stale-status"));
        });
    }

    @Test
    public void withoutActuatorThereIsNoHealthIndicator() {
        runner.withClassLoader(new FilteredClassLoader(HealthIndicator.class)).run(context -> {
            assertNull(context.getStartupFailure());
            assertNotNull(context.getBean(AwsCredentialsProvider.class));
            assertTrue(context.getBeansOfType(FreshCredentialsHealthIndicator.class).isEmpty());
        });
    }
}

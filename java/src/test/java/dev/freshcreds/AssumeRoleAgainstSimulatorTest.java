package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.Test;

import com.amazonaws.AmazonServiceException;
import com.amazonaws.services.securitytoken.AWSSecurityTokenService;
import com.amazonaws.services.securitytoken.model.GetCallerIdentityRequest;
import dev.freshcreds.sdkv1.FreshCredentialsProvider;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import dev.freshcreds.simkit.SimulatorProcess;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.StsException;

/**
 * Roles in code through both SDK adapters: real SDK v1 and v2 STS clients sign
 * {@code GetCallerIdentity} with role sessions that freshcreds assumes over the simulator's
 * instance role (the base, which rotates too), across several rotations of both.
 */
public class AssumeRoleAgainstSimulatorTest {
    private static final String ROLE = "arn:aws:iam::123456789012:role/java-app";
    private static final String UPPER_ROLE = "arn:aws:iam::123456789012:role/java-upper";
    /** Sim credentials (instance role and role sessions) live 12 s; IMDS rotates 6 s early. */
    private static final int LIFETIME_SECS = 12;
    private static final int ROTATION_LEAD_SECS = 6;
    /** The role session is refreshed 6 s before expiry (half its lifetime): every ~6 s. */
    private static final Duration REFRESH_LEAD = Duration.ofSeconds(6);
    private static final Duration RUN_FOR = Duration.ofSeconds(24);
    /** At least three rotations of the role session: four sessions seen by each SDK. */
    private static final int MIN_SESSIONS = 4;

    private static FreshCredentialsOptions.Builder imdsBase(SimulatorProcess sim) {
        return FreshCredentialsOptions.builder()
                .readSystemProperties(false)
                .source("imds")
                .imdsEndpoint(sim.baseUrl())
                .refreshLead(REFRESH_LEAD)
                .jitter(Duration.ofMillis(300));
    }

    @Test
    public void sdkV1AndV2CallsSucceedAcrossRoleSessionRotationsWhileTheBaseRotatesToo() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start("--lifetime", Integer.toString(LIFETIME_SECS),
                "--rotation-lead", Integer.toString(ROTATION_LEAD_SECS))) {
            FreshCredentialsOptions options = imdsBase(sim)
                    .assumeRole(ROLE, "java-session")
                    .stsEndpoint(sim.baseUrl())
                    .build();
            try (FreshCredentialsProvider v1 = new FreshCredentialsProvider(options);
                    FreshAwsCredentialsProvider v2 = FreshAwsCredentialsProvider.builder().options(options).build()) {
                AWSSecurityTokenService v1Client = SimStsClients.v1(sim, v1);
                StsClient v2Client = SimStsClients.v2(sim, v2);
                Set<String> v1Keys = Collections.newSetFromMap(new ConcurrentHashMap<String, Boolean>());
                Set<String> v2Keys = Collections.newSetFromMap(new ConcurrentHashMap<String, Boolean>());
                int calls = 0;
                long end = System.nanoTime() + RUN_FOR.toNanos();
                while (System.nanoTime() < end) {
                    v1Keys.add(v1.getCredentials().getAWSAccessKeyId());
                    v2Keys.add(v2.resolveCredentials().accessKeyId());
                    try {
                        String arn1 = v1Client.getCallerIdentity(new GetCallerIdentityRequest()).getArn();
                        String arn2 = v2Client.getCallerIdentity().arn();
                        assertTrue(arn1, arn1.endsWith(":assumed-role/java-app/java-session"));
                        assertEquals(arn1, arn2);
                    } catch (AmazonServiceException e) {
                        throw new AssertionError("SDK v1 call " + calls + " failed: " + e.getErrorCode(), e);
                    } catch (StsException e) {
                        throw new AssertionError("SDK v2 call " + calls + " failed", e);
                    }
                    calls++;
                    Thread.sleep(50);
                }
                v1Client.shutdown();
                v2Client.close();
                String counts = sim.counts();
                assertEquals(counts, 0, SimulatorProcess.count(counts, "sts_expired_token"));
                assertTrue("v1 sessions: " + v1Keys.size(), v1Keys.size() >= MIN_SESSIONS);
                assertTrue("v2 sessions: " + v2Keys.size(), v2Keys.size() >= MIN_SESSIONS);
                // The base (the instance role) rotated too, at least three times. Both providers
                // assume the role over the same options, so they share one base engine: one
                // fetch per base rotation (about one every 6 s), not one per provider.
                long imds = SimulatorProcess.count(counts, "imds_credentials");
                long rotations = RUN_FOR.getSeconds() / (LIFETIME_SECS - ROTATION_LEAD_SECS);
                assertTrue(counts, imds >= 3 && imds <= rotations + 2);
                // Single flight: one AssumeRole per session handed out (plus at most one each
                // that was fetched as this test ended), not one per call.
                long assumed = SimulatorProcess.count(counts, "sts_assume_role");
                assertTrue(counts + " for " + v1Keys.size() + "+" + v2Keys.size() + " sessions",
                        assumed <= v1Keys.size() + v2Keys.size() + 2);
                assertTrue("calls: " + calls, calls > 100);
            }
        }
    }

    @Test
    public void oneExpressionPerSdkAssumesTheRoleOverTheDefaultChain() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            // The default chain as an application would have it, given as system properties
            // here because a test cannot set the JVM's environment.
            Map<String, String> props = new LinkedHashMap<String, String>();
            props.put("freshcreds.source", "imds");
            props.put("freshcreds.imdsEndpoint", sim.baseUrl());
            props.put("freshcreds.stsEndpoint", sim.baseUrl());
            for (Map.Entry<String, String> p : props.entrySet()) {
                System.setProperty(p.getKey(), p.getValue());
            }
            try (FreshCredentialsProvider v1 = FreshCredentialsProvider.assumeRole(ROLE, "v1-session");
                    FreshAwsCredentialsProvider v2 = FreshAwsCredentialsProvider.assumeRole(ROLE, "v2-session")) {
                AWSSecurityTokenService v1Client = SimStsClients.v1(sim, v1);
                StsClient v2Client = SimStsClients.v2(sim, v2);
                String arn1 = v1Client.getCallerIdentity(new GetCallerIdentityRequest()).getArn();
                String arn2 = v2Client.getCallerIdentity().arn();
                assertTrue(arn1, arn1.endsWith(":assumed-role/java-app/v1-session"));
                assertTrue(arn2, arn2.endsWith(":assumed-role/java-app/v2-session"));
                assertEquals("AssumeRole(" + ROLE + ")", v1.source().credentials().getSource());
                v1Client.shutdown();
                v2Client.close();
            } finally {
                for (String k : props.keySet()) {
                    System.clearProperty(k);
                }
            }
        }
    }

    @Test
    public void aRoleOverAnotherSourceIsChainedHopByHop() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start();
                FreshCredentialsSource lower = FreshCredentialsSource.create(imdsBase(sim)
                        .assumeRole(ROLE, "lower").stsEndpoint(sim.baseUrl()).build());
                FreshAwsCredentialsProvider upper = FreshAwsCredentialsProvider.builder()
                        .options(FreshCredentialsOptions.builder().readSystemProperties(false)
                                .assumeRole(UPPER_ROLE, "upper").stsEndpoint(sim.baseUrl())
                                .base(lower).build())
                        .build()) {
            StsClient client = SimStsClients.v2(sim, upper);
            String arn = client.getCallerIdentity().arn();
            assertTrue(arn, arn.endsWith(":assumed-role/java-upper/upper"));
            client.close();
            // The upper role's base is an engine of its own, not the lower source.
            assertEquals("AssumeRole(" + ROLE + ")", lower.credentials().getSource());
            assertEquals(2 + 1, SimulatorProcess.count(sim.counts(), "sts_assume_role"));
        }
    }

    @Test
    public void roleOptionsThatCannotWorkAreRefusedNamingTheOption() {
        try {
            FreshCredentialsOptions.builder().mfaSerial("arn:aws:iam::123456789012:mfa/u");
            fail("mfaSerial accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("`mfaSerial` is not supported"));
            assertTrue(e.getMessage(), e.getMessage().contains(FreshCredentialsOptions.MFA_REFUSED));
        }
        try {
            FreshCredentialsOptions.builder().duration(Duration.ofSeconds(899));
            fail("899 s accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("`durationSeconds`"));
        }
        String[][] bad = {
            {"mfaSerial", "arn:aws:iam::123456789012:mfa/u", "`mfaSerial` is not supported"},
            {"durationSeconds", "43201", "`durationSeconds`=43201 is out of range"},
        };
        for (String[] b : bad) {
            FreshCredentialsOptions o = FreshCredentialsOptions.builder().readSystemProperties(false)
                    .roleArn(ROLE).option(b[0], b[1]).build();
            try {
                FreshCredentialsSource.create(o).close();
                fail(b[0] + " accepted");
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().contains(b[2]));
                if (b[0].equals("mfaSerial")) {
                    // The native side says why in the same words as the Java side.
                    assertTrue(e.getMessage(), e.getMessage().contains(FreshCredentialsOptions.MFA_REFUSED));
                }
            }
        }
        FreshCredentialsOptions o = FreshCredentialsOptions.builder().readSystemProperties(false)
                .externalId("x").build();
        try {
            FreshCredentialsSource.create(o).close();
            fail("externalId without roleArn accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("`externalId` needs `roleArn`"));
        }
    }

    @Test
    public void aBaseIsPassedAsPrefixedOptionsAndTheExternalIdIsNotShown() {
        FreshCredentialsOptions lower = FreshCredentialsOptions.builder().readSystemProperties(false)
                .profile("dev").assumeRole(ROLE, "lower").externalId("very-private").build();
        FreshCredentialsOptions upper = FreshCredentialsOptions.builder().readSystemProperties(false)
                .roleArn(UPPER_ROLE).duration(Duration.ofMinutes(15)).base(lower).build();
        Map<String, String> m = upper.asMap();
        assertEquals(UPPER_ROLE, m.get("roleArn"));
        assertEquals("900", m.get("durationSeconds"));
        assertEquals("dev", m.get("base.profile"));
        assertEquals(ROLE, m.get("base.roleArn"));
        assertEquals("very-private", m.get("base.externalId"));
        assertTrue(upper.toString(), !upper.toString().contains("very-private"));
        for (String key : m.keySet()) {
            String bare = key.replaceAll("^(base\\.)+", "");
            assertTrue(key, FreshCredentialsOptions.KEYS.contains(bare));
        }
    }
}

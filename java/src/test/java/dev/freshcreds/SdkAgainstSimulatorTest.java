package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

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
 * Real AWS SDK v1 and v2 STS clients, signing with credentials from our providers, against the
 * simulator (IMDS serving short-lived credentials, STS verifying signatures and expiry).
 */
public class SdkAgainstSimulatorTest {
    /** Sim credentials live 12 s; IMDS rotates them 6 s before expiry. */
    private static final int LIFETIME_SECS = 12;
    private static final int ROTATION_LEAD_SECS = 6;
    private static final Duration RUN_FOR = Duration.ofSeconds(22);

    private static FreshCredentialsOptions imdsAt(SimulatorProcess sim) {
        return FreshCredentialsOptions.builder()
                .readSystemProperties(false)
                .source("imds")
                .imdsEndpoint(sim.baseUrl())
                .refreshLead(Duration.ofSeconds(4))
                .jitter(Duration.ofMillis(500))
                .build();
    }

    @Test
    public void sdkV1AndV2ClientsOnSeveralThreadsSeeNoExpiredTokenAcrossSeveralRotations() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start("--lifetime", Integer.toString(LIFETIME_SECS),
                        "--rotation-lead", Integer.toString(ROTATION_LEAD_SECS));
                FreshCredentialsProvider v1 = new FreshCredentialsProvider(imdsAt(sim));
                FreshAwsCredentialsProvider v2 = FreshAwsCredentialsProvider.builder().options(imdsAt(sim)).build()) {
            final AWSSecurityTokenService v1Client = SimStsClients.v1(sim, v1);
            final StsClient v2Client = SimStsClients.v2(sim, v2);
            final Set<String> keysSeen = Collections.newSetFromMap(new ConcurrentHashMap<String, Boolean>());
            final AtomicInteger calls = new AtomicInteger();
            final AtomicInteger expiredToken = new AtomicInteger();
            final AtomicReference<Throwable> otherFailure = new AtomicReference<Throwable>();
            final long end = System.nanoTime() + RUN_FOR.toNanos();
            final CountDownLatch done = new CountDownLatch(4);
            List<Thread> threads = new ArrayList<Thread>();
            for (int i = 0; i < 4; i++) {
                final boolean useV1 = i % 2 == 0;
                Thread t = new Thread(() -> {
                    try {
                        while (System.nanoTime() < end && otherFailure.get() == null) {
                            try {
                                if (useV1) {
                                    keysSeen.add(v1.getCredentials().getAWSAccessKeyId());
                                    v1Client.getCallerIdentity(new GetCallerIdentityRequest());
                                } else {
                                    keysSeen.add(v2.resolveCredentials().accessKeyId());
                                    v2Client.getCallerIdentity();
                                }
                                calls.incrementAndGet();
                            } catch (AmazonServiceException e) {
                                if ("ExpiredToken".equals(e.getErrorCode())) {
                                    expiredToken.incrementAndGet();
                                } else {
                                    otherFailure.compareAndSet(null, e);
                                }
                            } catch (StsException e) {
                                if (e.awsErrorDetails() != null
                                        && "ExpiredToken".equals(e.awsErrorDetails().errorCode())) {
                                    expiredToken.incrementAndGet();
                                } else {
                                    otherFailure.compareAndSet(null, e);
                                }
                            }
                        }
                    } catch (Throwable e) {
                        otherFailure.compareAndSet(null, e);
                    } finally {
                        done.countDown();
                    }
                }, "sts-caller-" + i);
                threads.add(t);
                t.start();
            }
            done.await();
            v1Client.shutdown();
            v2Client.close();
            if (otherFailure.get() != null) {
                throw new AssertionError("an STS call failed", otherFailure.get());
            }
            assertEquals("ExpiredToken answers", 0, expiredToken.get());
            String counts = sim.admin("GET", "/_sim/counts");
            assertTrue(counts, counts.contains("\"sts_expired_token\":0"));
            // 22 s with credentials rotating every ~6 s: at least three different keys were used.
            assertTrue("keys seen: " + keysSeen.size(), keysSeen.size() >= 3);
            assertTrue("calls: " + calls.get(), calls.get() > 100);
            // The cached path answered almost every call: the native side was asked about once
            // per rotation (plus short re-asks while a refresh was due), not once per call.
            long nativeCalls = v1.source().nativeCalls() + v2.source().nativeCalls();
            assertTrue("native calls " + nativeCalls + " for " + calls.get() + " STS calls",
                    nativeCalls * 10 < calls.get());
        }
    }

    @Test
    public void sdkV1AndV2ProvidersAgreeOnTheCredentialsTheSimulatorServes() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start();
                FreshCredentialsProvider v1 = new FreshCredentialsProvider(imdsAt(sim));
                FreshAwsCredentialsProvider v2 = FreshAwsCredentialsProvider.builder().options(imdsAt(sim)).build()) {
            com.amazonaws.auth.AWSSessionCredentials a =
                    (com.amazonaws.auth.AWSSessionCredentials) v1.getCredentials();
            software.amazon.awssdk.auth.credentials.AwsSessionCredentials b =
                    (software.amazon.awssdk.auth.credentials.AwsSessionCredentials) v2.resolveCredentials();
            assertEquals(a.getAWSAccessKeyId(), b.accessKeyId());
            assertEquals(a.getAWSSecretKey(), b.secretAccessKey());
            assertEquals(a.getSessionToken(), b.sessionToken());
            assertTrue(b.expirationTime().isPresent());
            assertEquals(v1.source().credentials().getExpiration(), b.expirationTime().get());
            // Both sign requests STS accepts.
            AWSSecurityTokenService v1Client = SimStsClients.v1(sim, v1);
            try (StsClient v2Client = SimStsClients.v2(sim, v2)) {
                assertEquals(v1Client.getCallerIdentity(new GetCallerIdentityRequest()).getArn(),
                        v2Client.getCallerIdentity().arn());
            } finally {
                v1Client.shutdown();
            }
        }
    }
}

package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.net.URI;

import org.junit.Test;

import com.amazonaws.AmazonServiceException;
import com.amazonaws.ClientConfiguration;
import com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration;
import com.amazonaws.services.securitytoken.AWSSecurityTokenService;
import com.amazonaws.services.securitytoken.AWSSecurityTokenServiceClientBuilder;
import com.amazonaws.services.securitytoken.model.GetCallerIdentityRequest;
import dev.freshcreds.sdkv1.FreshCredentialsProvider;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import dev.freshcreds.sdkv2.RejectionInterceptor;
import dev.freshcreds.simkit.SimulatorProcess;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.StsException;

/**
 * A call whose credentials AWS rejects before their expiry (the simulator's revoke fault: STS
 * answers {@code ExpiredToken} for the key while IMDS already serves a new one) succeeds through
 * the SDK adapters, with exactly one retry seen on the simulator; at most one retry per call;
 * clients of other providers are left alone. Real SDK v1 and v2 clients with their default retry
 * settings, in this JVM (SDK v2 clients with {@link RejectionInterceptor} added, as an application
 * without the global hook declarations adds it).
 */
public class RejectionRetryTest {
    private static final String SIM_STATIC_KEY = "AKIDSIMSTATIC";
    private static final String SIM_STATIC_SECRET = "freshcreds-sim/static/secret/key/for/tests";
    /** A retry after a rejection sends the same request again; the retry ends in a success. */
    private static final String ONE_RETRY = "[{}, {\"status\": 403, \"code\": \"ExpiredToken\"}]";

    private static FreshCredentialsOptions imdsAt(SimulatorProcess sim) {
        return FreshCredentialsOptions.builder().readSystemProperties(false).source("imds")
                .imdsEndpoint(sim.baseUrl()).build();
    }

    /** An SDK v2 STS client with the SDK's default retry strategy and the rejection interceptor. */
    private static StsClient v2(SimulatorProcess sim, AwsCredentialsProvider provider) {
        return StsClient.builder().endpointOverride(URI.create(sim.baseUrl() + "/")).region(Region.US_EAST_1)
                .httpClient(UrlConnectionHttpClient.create()).credentialsProvider(provider)
                .overrideConfiguration(o -> o.addExecutionInterceptor(new RejectionInterceptor())).build();
    }

    /** An SDK v1 STS client configured as {@link FreshCredentialsProvider#retryPolicy()} says. */
    private static AWSSecurityTokenService v1(SimulatorProcess sim, FreshCredentialsProvider provider) {
        return AWSSecurityTokenServiceClientBuilder.standard()
                .withEndpointConfiguration(new EndpointConfiguration(sim.baseUrl() + "/", "us-east-1"))
                .withClientConfiguration(new ClientConfiguration().withRetryPolicy(provider.retryPolicy()))
                .withRequestHandlers(provider.rejectionHandler())
                .withCredentials(provider)
                .build();
    }

    private static String revokeLiveKey(SimulatorProcess sim) throws Exception {
        String answer = sim.admin("POST", "/_sim/revoke");
        assertTrue(answer, answer.contains("\"revoked\":[\"ASIA"));
        return answer;
    }

    @Test
    public void afterARevocationTheSdkV2CallThatGotExpiredTokenSucceedsWithExactlyOneRetry() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start();
                FreshAwsCredentialsProvider provider = FreshAwsCredentialsProvider.builder().options(imdsAt(sim)).build();
                StsClient sts = v2(sim, provider)) {
            sts.getCallerIdentity();
            String before = provider.resolveCredentials().accessKeyId();
            String revoked = revokeLiveKey(sim);
            assertTrue(revoked, revoked.contains(before));
            long stsBefore = sim.count("sts");

            sts.getCallerIdentity();

            assertEquals("the rejected attempt and one retry", 2, sim.count("sts") - stsBefore);
            assertEquals(1, sim.count("sts_revoked"));
            assertEquals(2, sim.count("sts_ok"));
            assertNotEquals(before, provider.resolveCredentials().accessKeyId());
            assertEquals(1, provider.source().typedStatus().getInvalidations());
        }
    }

    @Test
    public void afterARevocationTheSdkV1CallThatGotExpiredTokenSucceedsWithExactlyOneRetry() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start();
                FreshCredentialsProvider provider = new FreshCredentialsProvider(imdsAt(sim))) {
            AWSSecurityTokenService sts = v1(sim, provider);
            sts.getCallerIdentity(new GetCallerIdentityRequest());
            String before = provider.getCredentials().getAWSAccessKeyId();
            revokeLiveKey(sim);
            long stsBefore = sim.count("sts");

            sts.getCallerIdentity(new GetCallerIdentityRequest());

            assertEquals("the rejected attempt and one retry", 2, sim.count("sts") - stsBefore);
            assertEquals(1, sim.count("sts_revoked"));
            assertEquals(2, sim.count("sts_ok"));
            assertNotEquals(before, provider.getCredentials().getAWSAccessKeyId());
            sts.shutdown();
        }
    }

    @Test
    public void aSecondRejectionOfTheNewKeyIsNotRetriedAgainWithinTheSameSdkV2Call() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start();
                FreshAwsCredentialsProvider provider = FreshAwsCredentialsProvider.builder().options(imdsAt(sim)).build();
                StsClient sts = v2(sim, provider)) {
            sts.getCallerIdentity();
            revokeLiveKey(sim);
            // The first attempt meets the revocation; the retry, with the new key, is rejected too.
            sim.admin("POST", "/_sim/sequences/sts", ONE_RETRY);
            long stsBefore = sim.count("sts");
            try {
                sts.getCallerIdentity();
                fail("the second rejection must reach the caller");
            } catch (StsException e) {
                assertEquals("ExpiredToken", e.awsErrorDetails().errorCode());
                assertEquals("the caller sees the service's status", 403, e.statusCode());
            }
            assertEquals("one retry, not two", 2, sim.count("sts") - stsBefore);
        }
    }

    @Test
    public void aSecondRejectionOfTheNewKeyIsNotRetriedAgainWithinTheSameSdkV1Call() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start();
                FreshCredentialsProvider provider = new FreshCredentialsProvider(imdsAt(sim))) {
            AWSSecurityTokenService sts = v1(sim, provider);
            sts.getCallerIdentity(new GetCallerIdentityRequest());
            revokeLiveKey(sim);
            sim.admin("POST", "/_sim/sequences/sts", ONE_RETRY);
            long stsBefore = sim.count("sts");
            try {
                sts.getCallerIdentity(new GetCallerIdentityRequest());
                fail("the second rejection must reach the caller");
            } catch (AmazonServiceException e) {
                assertEquals("ExpiredToken", e.getErrorCode());
            }
            assertEquals("one retry, not two", 2, sim.count("sts") - stsBefore);
            sts.shutdown();
        }
    }

    @Test
    public void aClientWithAnotherExplicitProviderIsLeftAlone() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start();
                FreshAwsCredentialsProvider fresh = FreshAwsCredentialsProvider.builder().options(imdsAt(sim)).build();
                StsClient sts = v2(sim, StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(SIM_STATIC_KEY, SIM_STATIC_SECRET)))) {
            fresh.resolveCredentials();
            sts.getCallerIdentity();
            sim.admin("POST", "/_sim/revoke?access_key_id=" + SIM_STATIC_KEY);
            long stsBefore = sim.count("sts");
            try {
                sts.getCallerIdentity();
                fail("a rejected key of another provider is not freshcreds' to replace");
            } catch (StsException e) {
                assertEquals("ExpiredToken", e.awsErrorDetails().errorCode());
                assertEquals(403, e.statusCode());
            }
            assertEquals("no retry (the SDK does not retry ExpiredToken)", 1, sim.count("sts") - stsBefore);
            assertEquals(0, fresh.source().typedStatus().getInvalidations());
        }
    }

    @Test
    public void invalidateReplacesTheSourcesKeyOnceAndIgnoresKeysItNeverServed() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            FreshCredentialsSource source = FreshCredentialsSource.create(imdsAt(sim));
            String first = source.credentials().getAccessKeyId();
            long imds = sim.count("imds_credentials");

            assertFalse("not this source's key: no retry", source.invalidate("AKIANOTSERVEDHERE"));
            assertEquals("and IMDS is not asked", imds, sim.count("imds_credentials"));

            revokeLiveKey(sim);
            assertTrue(source.invalidate(first));
            String second = source.credentials().getAccessKeyId();
            assertNotEquals(first, second);
            // Reported again (another thread's call in flight): already replaced, no new round.
            long rounds = source.typedStatus().getRounds();
            assertTrue(source.invalidate(first));
            assertEquals(rounds, source.typedStatus().getRounds());
            assertEquals(second, source.credentials().getAccessKeyId());
            try {
                source.invalidate(null);
                fail("null is refused");
            } catch (NullPointerException expected) {
                // named in the message
            }
            source.close();
            try {
                source.invalidate(second);
                fail("use after close is refused");
            } catch (IllegalStateException expected) {
                // as every other call after close
            }
        }
    }

    @Test
    public void theRejectionCodesAreTheCredentialCodesAndNotTheClockOnes() {
        for (String code : new String[] {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId",
            "UnrecognizedClientException"}) {
            assertTrue(code, RejectionCodes.isRejection(code));
        }
        for (String code : new String[] {"SignatureDoesNotMatch", "InvalidSignatureException", "RequestExpired",
            "RequestTimeTooSkewed", "AuthFailure", "AccessDenied", "Throttling", "expiredtoken", null}) {
            assertFalse(String.valueOf(code), RejectionCodes.isRejection(code));
        }
        assertEquals(4, RejectionCodes.CODES.size());
    }

    /** The system clocks, except that a chosen read of the monotonic clock runs an action first. */
    private static final class InterposingClock implements FreshCredentialsSource.Clock {
        volatile long offsetNanos;
        volatile long offsetMillis;
        /** Runs before the {@code readsLeft}-th next nanoTime() read (counted down to 0). */
        volatile int readsLeft = -1;
        volatile Runnable action;

        @Override
        public long nanoTime() {
            if (readsLeft > 0 && --readsLeft == 0) {
                action.run();
            }
            return System.nanoTime() + offsetNanos;
        }

        @Override
        public long currentTimeMillis() {
            return System.currentTimeMillis() + offsetMillis;
        }

        void pass(long millis) {
            offsetNanos += java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis);
            offsetMillis += millis;
        }
    }

    @Test
    public void aFetchInFlightDuringAnInvalidationDoesNotStoreTheRejectedKey() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            InterposingClock clock = new InterposingClock();
            SnapshotExpiry expiry = new SnapshotExpiry(clock, false);
            try (FreshCredentialsSource source = FreshCredentialsSource.create(imdsAt(sim), expiry)) {
                String first = source.credentials().getAccessKeyId();
                // The Java snapshot ends (its deadline passes on the source's clocks) while the
                // native side still holds the first key.
                clock.pass(java.util.concurrent.TimeUnit.HOURS.toMillis(2));
                expiry.dropDue();
                revokeLiveKey(sim);
                // The next fetch reads the monotonic clock once before its native call and once
                // after it: the invalidation runs between its native answer (the first key) and
                // storing the snapshot.
                boolean[] replaced = new boolean[1];
                clock.action = () -> replaced[0] = source.invalidate(first);
                clock.readsLeft = 2;
                assertEquals("the fetch in flight answers with the key it got", first,
                        source.credentials().getAccessKeyId());
                assertTrue("the invalidation ran inside the fetch", replaced[0]);
                assertNotEquals("the rejected key is not served again from the snapshot", first,
                        source.credentials().getAccessKeyId());
            }
        }
    }

}

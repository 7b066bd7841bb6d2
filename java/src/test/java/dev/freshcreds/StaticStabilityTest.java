package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;

import org.junit.Test;

import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import dev.freshcreds.simkit.SimulatorProcess;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * Static stability as Java sees it: while IMDS serves only expired credentials, the provider
 * hands them out flagged stale with an expiry in the future (the end of the extension), so SDK
 * code that looks at the expiry keeps using them, and a real SDK v2 client signs with them.
 */
public class StaticStabilityTest {
    @Test
    public void expiredCredentialsFromImdsReachJavaFlaggedStaleWithAnExpiryInTheFuture() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            sim.fault("imds_credentials", "{\"expired_credentials\": true}");
            sim.admin("POST", "/_sim/settings", "{\"sts_accepts_expired\": true}");
            FreshCredentialsOptions options = FreshCredentialsOptions.builder()
                    .readSystemProperties(false)
                    .source("imds")
                    .imdsEndpoint(sim.baseUrl())
                    .option("staleExtensionMillis", "300000")
                    .build();
            try (FreshCredentialsSource source = FreshCredentialsSource.create(options);
                    FreshAwsCredentialsProvider v2 = FreshAwsCredentialsProvider.builder().source(source).build()) {
                FreshCredentials c = source.credentials();
                assertTrue("flagged stale: " + c, c.isStale());
                Instant now = Instant.now();
                assertTrue("expiry handed out is at least one extension ahead: " + c,
                        c.getExpiration().isAfter(now.plus(Duration.ofMinutes(4))));
                String status = source.status();
                assertTrue(status, status.contains("\"stale\":true"));
                assertTrue(status, status.matches(".*\"expiresInMillis\":-\\d+.*"));
                assertTrue(status, status.matches(".*\"extensionEndsInMillis\":\\d+.*"));

                AwsSessionCredentials session = (AwsSessionCredentials) v2.resolveCredentials();
                assertEquals(c.getAccessKeyId(), session.accessKeyId());
                try (StsClient sts = StsClient.builder()
                        .endpointOverride(URI.create(sim.baseUrl() + "/"))
                        .region(Region.US_EAST_1)
                        .httpClient(UrlConnectionHttpClient.create())
                        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                        .credentialsProvider(v2)
                        .build()) {
                    String arn = sts.getCallerIdentity().arn();
                    assertTrue(arn, arn.contains("assumed-role"));
                }
            }
        }
    }
}

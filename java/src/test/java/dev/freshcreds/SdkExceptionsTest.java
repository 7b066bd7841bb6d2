package dev.freshcreds;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;

import org.junit.Test;

import com.amazonaws.ClientConfiguration;
import com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration;
import com.amazonaws.services.securitytoken.AWSSecurityTokenService;
import com.amazonaws.services.securitytoken.AWSSecurityTokenServiceClientBuilder;
import com.amazonaws.services.securitytoken.model.GetCallerIdentityRequest;
import dev.freshcreds.sdkv1.FreshCredentialsProvider;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/** When no credentials can be had, each adapter throws its SDK's client exception, so existing catch blocks work. */
public class SdkExceptionsTest {
    private static FreshCredentialsOptions unreachableImds(int port) {
        return FreshCredentialsOptions.builder()
                .readSystemProperties(false)
                .source("imds")
                .imdsEndpoint("http://127.0.0.1:" + port)
                .imdsAttempts(1)
                .imdsTimeout(Duration.ofMillis(500))
                .firstFetchTimeout(Duration.ofSeconds(5))
                .build();
    }

    private static void assertCausedByFreshcreds(Throwable e, int port) {
        assertTrue("cause: " + e.getCause(), e.getCause() instanceof FreshCredentialsException);
        assertTrue(e.getMessage(), e.getMessage().contains("127.0.0.1:" + port));
    }

    @Test
    public void theSdkV2ProviderThrowsSdkClientExceptionCausedByFreshCredentialsException() throws IOException {
        int port = FreshCredentialsSourceTest.closedPort();
        try (FreshAwsCredentialsProvider provider = FreshAwsCredentialsProvider.builder()
                .options(unreachableImds(port)).build()) {
            try {
                provider.resolveCredentials();
                fail("got credentials from a closed port");
            } catch (SdkClientException e) {
                assertCausedByFreshcreds(e, port);
            }
        }
    }

    @Test
    public void anSdkV2ClientCallFailsWithSdkClientExceptionWhenFreshcredsHasNoCredentials() throws IOException {
        int port = FreshCredentialsSourceTest.closedPort();
        try (FreshAwsCredentialsProvider provider = FreshAwsCredentialsProvider.builder()
                        .options(unreachableImds(port)).build();
                StsClient sts = StsClient.builder()
                        .endpointOverride(URI.create("http://127.0.0.1:" + port + "/"))
                        .region(Region.US_EAST_1)
                        .httpClient(UrlConnectionHttpClient.create())
                        .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()))
                        .credentialsProvider(provider)
                        .build()) {
            try {
                sts.getCallerIdentity();
                fail("the call succeeded without credentials");
            } catch (SdkClientException e) {
                Throwable t = e;
                while (t != null && !(t instanceof FreshCredentialsException)) {
                    t = t.getCause();
                }
                assertTrue("no FreshCredentialsException among the causes of " + e, t != null);
            }
        }
    }

    @Test
    public void theSdkV1ProviderThrowsItsSdkClientExceptionCausedByFreshCredentialsException() throws IOException {
        int port = FreshCredentialsSourceTest.closedPort();
        try (FreshCredentialsProvider provider = new FreshCredentialsProvider(unreachableImds(port))) {
            try {
                provider.getCredentials();
                fail("got credentials from a closed port");
            } catch (com.amazonaws.SdkClientException e) {
                assertCausedByFreshcreds(e, port);
            }
            try {
                provider.refresh();
                fail("refreshed from a closed port");
            } catch (com.amazonaws.SdkClientException e) {
                assertCausedByFreshcreds(e, port);
            }
        }
    }

    @Test
    public void anSdkV1ClientCallFailsWithItsSdkClientExceptionWhenFreshcredsHasNoCredentials() throws IOException {
        int port = FreshCredentialsSourceTest.closedPort();
        try (FreshCredentialsProvider provider = new FreshCredentialsProvider(unreachableImds(port))) {
            AWSSecurityTokenService sts = AWSSecurityTokenServiceClientBuilder.standard()
                    .withEndpointConfiguration(new EndpointConfiguration("http://127.0.0.1:" + port + "/", "us-east-1"))
                    .withClientConfiguration(new ClientConfiguration().withMaxErrorRetry(0))
                    .withCredentials(provider)
                    .build();
            try {
                sts.getCallerIdentity(new GetCallerIdentityRequest());
                fail("the call succeeded without credentials");
            } catch (com.amazonaws.SdkClientException e) {
                assertTrue("cause: " + e.getCause(), e.getCause() instanceof FreshCredentialsException);
            } finally {
                sts.shutdown();
            }
        }
    }
}

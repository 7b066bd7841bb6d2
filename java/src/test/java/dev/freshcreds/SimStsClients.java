package dev.freshcreds;

import java.net.URI;

import com.amazonaws.ClientConfiguration;
import com.amazonaws.auth.AWSCredentialsProvider;
import com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration;
import com.amazonaws.services.securitytoken.AWSSecurityTokenService;
import com.amazonaws.services.securitytoken.AWSSecurityTokenServiceClientBuilder;
import dev.freshcreds.simkit.SimulatorProcess;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/** Real SDK v1 and v2 STS clients for the simulator's STS, without retries. */
final class SimStsClients {
    private SimStsClients() {
    }

    static AWSSecurityTokenService v1(SimulatorProcess sim, AWSCredentialsProvider provider) {
        return AWSSecurityTokenServiceClientBuilder.standard()
                .withEndpointConfiguration(new EndpointConfiguration(sim.baseUrl() + "/", "us-east-1"))
                .withClientConfiguration(new ClientConfiguration().withMaxErrorRetry(0))
                .withCredentials(provider)
                .build();
    }

    static StsClient v2(SimulatorProcess sim, AwsCredentialsProvider provider) {
        return StsClient.builder()
                .endpointOverride(URI.create(sim.baseUrl() + "/"))
                .region(Region.US_EAST_1)
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .credentialsProvider(provider)
                .build();
    }
}

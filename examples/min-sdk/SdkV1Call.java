import com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration;
import com.amazonaws.services.securitytoken.AWSSecurityTokenServiceClientBuilder;
import com.amazonaws.services.securitytoken.model.GetCallerIdentityRequest;

import dev.freshcreds.FreshCredentialsOptions;
import dev.freshcreds.sdkv1.FreshCredentialsProvider;

/** One signed STS call through freshcreds' SDK v1 provider, with whatever SDK v1 is on the class path. */
public class SdkV1Call {
    static void revoke(String sim) throws Exception {
        java.net.HttpURLConnection c = (java.net.HttpURLConnection) new java.net.URL(sim + "/_sim/revoke").openConnection();
        c.setRequestMethod("POST");
        if (c.getResponseCode() != 200) {
            throw new IllegalStateException("revoke: HTTP " + c.getResponseCode());
        }
    }

    public static void main(String[] args) throws Exception {
        FreshCredentialsOptions options = FreshCredentialsOptions.builder()
                .readSystemProperties(false).source("imds").imdsEndpoint(args[0]).build();
        try (FreshCredentialsProvider provider = new FreshCredentialsProvider(options)) {
            com.amazonaws.services.securitytoken.AWSSecurityTokenService sts = AWSSecurityTokenServiceClientBuilder.standard()
                    .withEndpointConfiguration(new EndpointConfiguration(args[0] + "/", "us-east-1"))
                    .withClientConfiguration(new com.amazonaws.ClientConfiguration().withRetryPolicy(provider.retryPolicy()))
                    .withRequestHandlers(provider.rejectionHandler())
                    .withCredentials(provider)
                    .build();
            String arn = sts.getCallerIdentity(new GetCallerIdentityRequest()).getArn();
            // AWS rejects the key before its expiry (the simulator's revoke fault): the same call
            // must succeed, retried once with new credentials.
            revoke(args[0]);
            String after;
            try {
                sts.getCallerIdentity(new GetCallerIdentityRequest());
                after = "ok";
            } catch (com.amazonaws.AmazonServiceException e) {
                after = "failed " + e.getErrorCode();
            }
            System.out.println("ok " + arn + "; the call after a revocation: " + after);
        }
    }
}

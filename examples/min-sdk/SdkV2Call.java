import java.net.URI;

import dev.freshcreds.FreshCredentialsOptions;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import dev.freshcreds.sdkv2.RejectionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/** One signed STS call through freshcreds' SDK v2 provider, with whatever SDK v2 is on the class path. */
public class SdkV2Call {
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
        try (FreshAwsCredentialsProvider provider = FreshAwsCredentialsProvider.builder().options(options).build();
                StsClient sts = StsClient.builder()
                        .endpointOverride(URI.create(args[0] + "/"))
                        .region(Region.US_EAST_1)
                        .httpClient(UrlConnectionHttpClient.create())
                        .credentialsProvider(provider)
                        // The plain jar declares no global hooks: the rejection retry is added here.
                        .overrideConfiguration(o -> o.addExecutionInterceptor(new RejectionInterceptor()))
                        .build()) {
            String arn = sts.getCallerIdentity().arn();
            // AWS rejects the key before its expiry (the simulator's revoke fault): the same call
            // must succeed, retried once with new credentials.
            revoke(args[0]);
            String after;
            try {
                sts.getCallerIdentity();
                after = "ok";
            } catch (software.amazon.awssdk.awscore.exception.AwsServiceException e) {
                after = "failed " + e.awsErrorDetails().errorCode();
            }
            System.out.println("ok " + arn + "; the call after a revocation: " + after);
        }
    }
}

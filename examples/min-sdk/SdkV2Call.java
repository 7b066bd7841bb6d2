import java.net.URI;

import dev.freshcreds.FreshCredentialsOptions;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/** One signed STS call through freshcreds' SDK v2 provider, with whatever SDK v2 is on the class path. */
public class SdkV2Call {
    public static void main(String[] args) throws Exception {
        FreshCredentialsOptions options = FreshCredentialsOptions.builder()
                .readSystemProperties(false).source("imds").imdsEndpoint(args[0]).build();
        try (FreshAwsCredentialsProvider provider = FreshAwsCredentialsProvider.builder().options(options).build();
                StsClient sts = StsClient.builder()
                        .endpointOverride(URI.create(args[0] + "/"))
                        .region(Region.US_EAST_1)
                        .httpClient(UrlConnectionHttpClient.create())
                        .credentialsProvider(provider)
                        .build()) {
            System.out.println("ok " + sts.getCallerIdentity().arn());
        }
    }
}

import com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration;
import com.amazonaws.services.securitytoken.AWSSecurityTokenServiceClientBuilder;
import com.amazonaws.services.securitytoken.model.GetCallerIdentityRequest;

import dev.freshcreds.FreshCredentialsOptions;
import dev.freshcreds.sdkv1.FreshCredentialsProvider;

/** One signed STS call through freshcreds' SDK v1 provider, with whatever SDK v1 is on the class path. */
public class SdkV1Call {
    public static void main(String[] args) throws Exception {
        FreshCredentialsOptions options = FreshCredentialsOptions.builder()
                .readSystemProperties(false).source("imds").imdsEndpoint(args[0]).build();
        try (FreshCredentialsProvider provider = new FreshCredentialsProvider(options)) {
            String arn = AWSSecurityTokenServiceClientBuilder.standard()
                    .withEndpointConfiguration(new EndpointConfiguration(args[0] + "/", "us-east-1"))
                    .withCredentials(provider)
                    .build()
                    .getCallerIdentity(new GetCallerIdentityRequest())
                    .getArn();
            System.out.println("ok " + arn);
        }
    }
}

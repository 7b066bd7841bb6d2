package app;

import java.net.URI;

import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Builds default SDK v1 and v2 STS clients (no credentials configured) against the STS endpoint
 * given as the first argument and prints one line per call: "v2 ok ARN", "v1 failed CODE", ...
 */
@SpringBootApplication
public class StsApp implements CommandLineRunner {
    public static void main(String[] args) {
        SpringApplication.run(StsApp.class, args);
    }

    @Override
    public void run(String... args) {
        String sts = args[0];
        System.out.println("boot " + org.springframework.boot.SpringBootVersion.getVersion());
        software.amazon.awssdk.services.sts.StsClient v2 = software.amazon.awssdk.services.sts.StsClient.builder()
                .endpointOverride(URI.create(sts))
                .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                .build();
        System.out.println("v2 " + v2call(v2));
        com.amazonaws.services.securitytoken.AWSSecurityTokenService v1 =
                com.amazonaws.services.securitytoken.AWSSecurityTokenServiceClientBuilder.standard()
                        .withEndpointConfiguration(
                                new com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration(sts, "us-east-1"))
                        .withClientConfiguration(new com.amazonaws.ClientConfiguration().withMaxErrorRetry(0))
                        .build();
        System.out.println("v1 " + v1call(v1));
        System.out.println("app done");
    }

    static String v2call(software.amazon.awssdk.services.sts.StsClient c) {
        try {
            return "ok " + c.getCallerIdentity().arn();
        } catch (software.amazon.awssdk.awscore.exception.AwsServiceException e) {
            return "failed " + e.awsErrorDetails().errorCode();
        } catch (software.amazon.awssdk.core.exception.SdkClientException e) {
            return "no credentials";
        }
    }

    static String v1call(com.amazonaws.services.securitytoken.AWSSecurityTokenService c) {
        try {
            return "ok " + c.getCallerIdentity(new com.amazonaws.services.securitytoken.model.GetCallerIdentityRequest()).getArn();
        } catch (com.amazonaws.AmazonServiceException e) {
            return "failed " + e.getErrorCode();
        } catch (com.amazonaws.SdkClientException e) {
            return "no credentials";
        }
    }
}

package dev.freshcreds.example.maven;

import java.net.URI;

import dev.freshcreds.FreshCredentials;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.StsClientBuilder;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;

/**
 * Calls STS GetCallerIdentity with an AWS SDK for Java 2.x client whose credentials come from
 * freshcreds, and prints who the caller is and where the credentials came from.
 *
 * <p>freshcreds is configured the way an application without code for it would be: by
 * {@code -Dfreshcreds.<option>} system properties (for example {@code -Dfreshcreds.source=imds}
 * and {@code -Dfreshcreds.imdsEndpoint=http://127.0.0.1:PORT}), else the default chain.
 *
 * <p>Usage: {@code java -jar freshcreds-maven-example.jar [STS endpoint URL]}; without a URL the
 * SDK's own endpoint for the region ({@code AWS_REGION}, default us-east-1) is called. Exits with
 * status 1 when the call fails or the credentials did not come from freshcreds.
 */
public final class CallerIdentity {
    private CallerIdentity() {
    }

    /**
     * Runs the call.
     *
     * @param args an optional STS endpoint URL
     */
    public static void main(String[] args) {
        String region = System.getenv("AWS_REGION");
        StsClientBuilder builder = StsClient.builder()
                .region(Region.of(region == null || region.isEmpty() ? "us-east-1" : region));
        if (args.length > 0) {
            builder.endpointOverride(URI.create(args[0]));
        }
        try (FreshAwsCredentialsProvider credentials = FreshAwsCredentialsProvider.create();
                StsClient sts = builder.credentialsProvider(credentials).build()) {
            GetCallerIdentityResponse me = sts.getCallerIdentity();
            FreshCredentials fresh = credentials.source().credentials();
            AwsCredentials signedWith = credentials.resolveCredentials();
            System.out.println("caller: " + me.arn() + " (account " + me.account() + ")");
            System.out.println("credentials: " + signedWith.accessKeyId() + " from freshcreds source "
                    + fresh.getSource() + ", expiring " + fresh.getExpiration()
                    + ", provider " + signedWith.providerName().orElse("?"));
            if (!signedWith.providerName().orElse("").equals("FreshAwsCredentialsProvider")) {
                System.err.println("the credentials did not come from freshcreds");
                System.exit(1);
            }
        } catch (RuntimeException e) {
            System.err.println("GetCallerIdentity failed: " + e);
            System.exit(1);
        }
    }
}

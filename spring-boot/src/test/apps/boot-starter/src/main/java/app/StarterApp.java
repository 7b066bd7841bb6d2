package app;

import java.net.URI;

import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ApplicationContext;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * Builds an STS client from the context's {@link AwsCredentialsProvider} bean (which the
 * freshcreds starter defines) against the STS endpoint given as the property {@code sts}, and prints
 * "provider CLASS", "sts ok ARN" (or "sts failed CODE"), "health STATUS" (the freshcreds health
 * indicator, of whichever Spring Boot line this is) and "app done".
 */
@SpringBootApplication
public class StarterApp implements CommandLineRunner {
    private final ApplicationContext context;

    public StarterApp(ApplicationContext context) {
        this.context = context;
    }

    public static void main(String[] args) {
        SpringApplication.run(StarterApp.class, args).close();
    }

    @Override
    public void run(String... args) throws Exception {
        AwsCredentialsProvider provider = context.getBean(AwsCredentialsProvider.class);
        System.out.println("provider " + provider.getClass().getName());
        String endpoint = context.getEnvironment().getRequiredProperty("sts");
        // Not closed here: closing a client closes the credentials provider it was given.
        StsClient sts = StsClient.builder().endpointOverride(URI.create(endpoint)).region(Region.US_EAST_1)
                .credentialsProvider(provider).build();
        try {
            System.out.println("sts ok " + sts.getCallerIdentity().arn());
        } catch (software.amazon.awssdk.awscore.exception.AwsServiceException e) {
            System.out.println("sts failed " + e.awsErrorDetails().errorCode());
        }
        // Boot 3's HealthIndicator and Boot 4's live in different packages: called by name.
        Object indicator = context.getBean("freshcredsHealthIndicator");
        Object health = indicator.getClass().getMethod("health").invoke(indicator);
        Object status = health.getClass().getMethod("getStatus").invoke(health);
        System.out.println("health " + status + " " + indicator.getClass().getName());
        System.out.println("health details " + health.getClass().getMethod("getDetails").invoke(health));
        System.out.println("app done");
    }
}

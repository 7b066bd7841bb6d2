package dev.freshcreds.spring;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

import dev.freshcreds.FreshCredentialsOptions;
import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * Defines an AWS SDK for Java 2.x {@link AwsCredentialsProvider} bean backed by freshcreds
 * ({@link FreshAwsCredentialsProvider}) when the application defines none, configured by the
 * {@code freshcreds.*} properties ({@link FreshCredentialsProperties}). Spring Cloud AWS, and any
 * SDK client the application builds from the bean, then use it. The provider reads a
 * {@link FreshCredentialsSource} bean, closed (its background refresh stopped) when the context
 * closes; an SDK client that closes the provider leaves it open.
 *
 * <p>It stands aside (defines no provider, and logs one INFO line saying why) when the
 * application configured Spring Cloud AWS's credentials: a {@code spring.cloud.aws.credentials.*}
 * property or an {@code AwsConnectionDetails} bean (a LocalStack service connection, say); see
 * {@link NoSpringCloudAwsCredentialsCondition}. Spring Cloud AWS then defines the provider as it
 * would without freshcreds.
 *
 * <p>A bad property fails start-up with an {@link IllegalArgumentException} naming the property.
 * {@code freshcreds.enabled=false} turns this off.
 */
@AutoConfiguration(
        beforeName = NoSpringCloudAwsCredentialsCondition.SPRING_CLOUD_AWS_CREDENTIALS,
        // Testcontainers' @ServiceConnection beans (AwsConnectionDetails among them) are defined there.
        afterName = "org.springframework.boot.testcontainers.service.connection.ServiceConnectionAutoConfiguration")
@ConditionalOnClass(AwsCredentialsProvider.class)
@ConditionalOnProperty(prefix = FreshCredentialsProperties.PREFIX, name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(FreshCredentialsProperties.class)
public class FreshCredentialsAutoConfiguration {
    /** The option key a freshcreds validation message names, in backquotes. */
    private static final Pattern QUOTED_KEY = Pattern.compile("`([A-Za-z0-9_.]+)`");

    /** Creates the configuration (Spring does). */
    public FreshCredentialsAutoConfiguration() {
    }

    /**
     * The refresher behind the provider bean: it owns the background refresh and the native side,
     * and is closed with the context. Its first fetch starts in the background at once.
     *
     * @param properties the {@code freshcreds.*} properties
     * @return the source
     * @throws IllegalArgumentException naming the property when a value is bad
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean({AwsCredentialsProvider.class, FreshCredentialsSource.class})
    @Conditional(NoSpringCloudAwsCredentialsCondition.class)
    public FreshCredentialsSource freshCredentialsSource(FreshCredentialsProperties properties) {
        FreshCredentialsOptions options = properties.toOptions();
        try {
            return FreshCredentialsSource.create(options);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(namingTheProperty(e.getMessage()), e);
        }
    }

    /**
     * The credentials provider, over the context's {@link FreshCredentialsSource}. It does not own
     * that source: an SDK v2 client closes the provider it was given when the client is closed,
     * and one client's close must not stop the credentials of the application's other clients.
     *
     * @param source the context's source
     * @return the provider
     */
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean(AwsCredentialsProvider.class)
    @ConditionalOnBean(FreshCredentialsSource.class)
    public FreshAwsCredentialsProvider freshCredentialsProvider(FreshCredentialsSource source) {
        return FreshAwsCredentialsProvider.builder().source(source).build();
    }

    /**
     * A freshcreds validation message (which names the option key) prefixed with the property
     * that sets that key.
     *
     * @param message the message, for example {@code freshcreds option `imdsEndpointMode` ...}
     * @return for example {@code freshcreds.imds-endpoint-mode: freshcreds option ...}
     */
    static String namingTheProperty(String message) {
        String text = message == null ? "invalid freshcreds option" : message;
        Matcher m = QUOTED_KEY.matcher(text);
        if (!m.find()) {
            return "invalid freshcreds.* property: " + text;
        }
        String key = m.group(1);
        String property = key.startsWith("aws.") ? "-D" + key : FreshCredentialsProperties.propertyName(key);
        return property + ": " + text;
    }
}

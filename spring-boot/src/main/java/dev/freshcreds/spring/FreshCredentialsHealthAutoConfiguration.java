package dev.freshcreds.spring;

import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;

/**
 * The Actuator health indicator {@code freshcreds} ({@link FreshCredentialsHealthIndicator}),
 * when Spring Boot 3's Actuator is on the class path and the freshcreds provider bean exists.
 * {@code management.health.freshcreds.enabled=false} turns it off.
 */
@AutoConfiguration(after = FreshCredentialsAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(FreshAwsCredentialsProvider.class)
@ConditionalOnProperty(prefix = "management.health.freshcreds", name = "enabled", matchIfMissing = true)
public class FreshCredentialsHealthAutoConfiguration {
    /** Creates the configuration (Spring does). */
    public FreshCredentialsHealthAutoConfiguration() {
    }

    /**
     * The health indicator.
     *
     * @param provider the freshcreds provider
     * @param properties the {@code freshcreds.*} properties
     * @return the indicator
     * @throws IllegalArgumentException when {@code freshcreds.health.stale-status} is blank
     */
    @Bean(name = "freshcredsHealthIndicator")
    @ConditionalOnMissingBean(name = "freshcredsHealthIndicator")
    public FreshCredentialsHealthIndicator freshcredsHealthIndicator(FreshAwsCredentialsProvider provider,
            FreshCredentialsProperties properties) {
        return new FreshCredentialsHealthIndicator(provider.source(), new Status(HealthReport.staleStatus(properties)),
                properties.getHealth().isFullDetails());
    }
}

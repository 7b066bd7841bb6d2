package dev.freshcreds.spring;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;

/**
 * The health indicator {@code freshcreds} for Spring Boot 4
 * ({@link FreshCredentialsBoot4HealthIndicator}), when Spring Boot 4's health module
 * ({@code spring-boot-health}, which {@code spring-boot-starter-actuator} brings) is on the class
 * path and the freshcreds provider bean exists; on Spring Boot 3,
 * {@link FreshCredentialsHealthAutoConfiguration} defines it instead. The condition names the
 * class, so this configuration is never loaded where Spring Boot 4 is absent.
 * {@code management.health.freshcreds.enabled=false} turns it off.
 */
@AutoConfiguration(after = FreshCredentialsAutoConfiguration.class)
@ConditionalOnClass(name = FreshCredentialsBoot4HealthAutoConfiguration.BOOT4_HEALTH_INDICATOR)
@ConditionalOnBean(FreshAwsCredentialsProvider.class)
@ConditionalOnProperty(prefix = "management.health.freshcreds", name = "enabled", matchIfMissing = true)
public class FreshCredentialsBoot4HealthAutoConfiguration {
    /** Spring Boot 4's health indicator interface. */
    static final String BOOT4_HEALTH_INDICATOR = "org.springframework.boot.health.contributor.HealthIndicator";

    /** Creates the configuration (Spring does). */
    public FreshCredentialsBoot4HealthAutoConfiguration() {
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
    public FreshCredentialsBoot4HealthIndicator freshcredsHealthIndicator(FreshAwsCredentialsProvider provider,
            FreshCredentialsProperties properties) {
        return new FreshCredentialsBoot4HealthIndicator(provider.source(), HealthReport.staleStatus(properties),
                properties.getHealth().isFullDetails());
    }
}

package dev.freshcreds.spring;

import java.util.Locale;

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
 * when Actuator is on the class path and the freshcreds provider bean exists.
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
        String stale = properties.getHealth().getStaleStatus();
        if (stale == null || stale.trim().isEmpty()) {
            throw new IllegalArgumentException(FreshCredentialsProperties.PREFIX + ".health.stale-status must be"
                    + " a health status code such as UP or OUT_OF_SERVICE, not '" + stale + "'");
        }
        Status status = new Status(stale.trim().toUpperCase(Locale.ROOT));
        return new FreshCredentialsHealthIndicator(provider.source(), status, properties.getHealth().isFullDetails());
    }
}

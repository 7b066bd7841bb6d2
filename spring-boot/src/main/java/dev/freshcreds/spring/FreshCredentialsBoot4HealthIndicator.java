package dev.freshcreds.spring;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import dev.freshcreds.FreshCredentialsSource;

/**
 * Health of the freshcreds credentials for Spring Boot 4, whose health API moved to
 * {@code org.springframework.boot.health.contributor} (the {@code spring-boot-health} module):
 * the same status and details as {@link FreshCredentialsHealthIndicator} (Spring Boot 3's), which
 * documents them.
 */
public class FreshCredentialsBoot4HealthIndicator extends AbstractHealthIndicator {
    private final HealthReport.Check check;

    /**
     * An indicator for one source.
     *
     * @param source the source
     * @param staleStatus the status code while expired credentials are served, e.g. {@code UP}
     * @param fullDetails whether the details carry the full source name and error text instead
     *     of their kinds
     */
    public FreshCredentialsBoot4HealthIndicator(FreshCredentialsSource source, String staleStatus, boolean fullDetails) {
        super("freshcreds health check failed");
        this.check = new HealthReport.Check(source, staleStatus, fullDetails);
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        HealthReport report = check.run();
        builder.status(report.status).withDetails(report.details);
    }
}

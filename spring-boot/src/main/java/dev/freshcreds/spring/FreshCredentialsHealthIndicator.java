package dev.freshcreds.spring;

import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

import dev.freshcreds.FreshCredentialsSource;

/**
 * Health of the freshcreds credentials, for Spring Boot 3's Actuator
 * ({@link FreshCredentialsBoot4HealthIndicator} is Spring Boot 4's), read from the source's status
 * ({@link FreshCredentialsSource#typedStatus()}) without a call to AWS and without waiting for a
 * refresh.
 *
 * <ul>
 *   <li>{@code UP}: credentials are cached and not served stale;</li>
 *   <li>the configured stale status ({@code freshcreds.health.stale-status}, default {@code UP}):
 *       the source fails and expired credentials are served by static stability (AWS accepts
 *       them during an IMDS outage), so by default an outage does not take every instance out of
 *       its load balancer;</li>
 *   <li>{@code DOWN}: no credentials could be had and the last attempt failed, or the provider
 *       is closed;</li>
 *   <li>{@code UNKNOWN}: the first fetch is still in progress.</li>
 * </ul>
 *
 * <p>Details: {@code source} (the source's kind, e.g. {@code Profile/AssumeRole}),
 * {@code expiration} (the expiry the source stated), {@code expiresIn}, {@code stale},
 * {@code extensionEndsIn} (while stale: when the current static-stability extension ends),
 * {@code lastFailure} (the last refresh's error kind, e.g. {@code TIMEOUT}, or {@code none}),
 * {@code failures} and {@code refreshes}. Never a secret, and by default no identity: with
 * {@code freshcreds.health.full-details=true} (where only authorised users see the details),
 * {@code source} and {@code lastFailure} are the full texts, which may name profiles, roles,
 * accounts and endpoints.
 */
public class FreshCredentialsHealthIndicator extends AbstractHealthIndicator {
    /** The value of {@code lastFailure} when the last refresh succeeded. */
    public static final String NO_FAILURE = "none";

    private final HealthReport.Check check;

    /**
     * An indicator for one source whose details name kinds only.
     *
     * @param source the source
     * @param staleStatus the status while expired credentials are served
     */
    public FreshCredentialsHealthIndicator(FreshCredentialsSource source, Status staleStatus) {
        this(source, staleStatus, false);
    }

    /**
     * An indicator for one source.
     *
     * @param source the source
     * @param staleStatus the status while expired credentials are served
     * @param fullDetails whether the details carry the full source name and error text instead
     *     of their kinds
     */
    public FreshCredentialsHealthIndicator(FreshCredentialsSource source, Status staleStatus, boolean fullDetails) {
        super("freshcreds health check failed");
        this.check = new HealthReport.Check(source, staleStatus.getCode(), fullDetails);
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        HealthReport report = check.run();
        builder.status(report.status).withDetails(report.details);
    }
}

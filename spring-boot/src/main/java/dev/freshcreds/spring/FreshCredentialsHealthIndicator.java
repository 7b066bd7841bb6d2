package dev.freshcreds.spring;

import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.FreshCredentialsStatus;

/**
 * Health of the freshcreds credentials, read from the source's status
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

    private final FreshCredentialsSource source;
    private final Status staleStatus;
    private final boolean fullDetails;

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
        this.source = source;
        this.staleStatus = staleStatus;
        this.fullDetails = fullDetails;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        FreshCredentialsStatus status;
        try {
            status = source.typedStatus();
        } catch (IllegalStateException closed) {
            builder.down().withDetail("closed", true);
            return;
        }
        String lastError = status.getLastError();
        if (status.isStale()) {
            builder.status(staleStatus);
        } else if (status.getAccessKeyId() != null) {
            builder.up();
        } else if (lastError != null) {
            builder.down();
        } else {
            builder.unknown();
        }
        builder.withDetail("source", fullDetails ? status.getSource() : status.getSourceKind());
        if (status.getExpiration() != null) {
            builder.withDetail("expiration", status.getExpiration().toString());
        }
        if (status.getExpiresIn() != null) {
            builder.withDetail("expiresIn", status.getExpiresIn().toString());
        }
        builder.withDetail("stale", status.isStale());
        if (status.getExtensionEndsIn() != null) {
            builder.withDetail("extensionEndsIn", status.getExtensionEndsIn().toString());
        }
        builder.withDetail("lastFailure", lastError == null ? NO_FAILURE
                : fullDetails ? lastError : status.getLastErrorKind());
        builder.withDetail("failures", status.getFailures());
        builder.withDetail("refreshes", status.getRefreshes());
    }
}

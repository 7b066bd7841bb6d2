package dev.freshcreds.spring;

import java.util.Map;

import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.json.JsonParserFactory;

import dev.freshcreds.FreshCredentialsSource;

/**
 * Health of the freshcreds credentials: read from the source's status, without a call to AWS and
 * without waiting for a refresh.
 *
 * <ul>
 *   <li>{@code UP}: credentials are cached and not expired;</li>
 *   <li>the configured stale status ({@code freshcreds.health.stale-status}, default {@code UP}):
 *       the source fails and expired credentials are served by static stability (AWS accepts
 *       them during an IMDS outage), so by default an outage does not take every instance out of
 *       its load balancer;</li>
 *   <li>{@code DOWN}: no credentials could be had yet and the last attempt failed, or the
 *       provider is closed;</li>
 *   <li>{@code UNKNOWN}: the first fetch is still in progress.</li>
 * </ul>
 *
 * <p>Details: {@code source}, {@code expiration} (the expiry the source stated),
 * {@code servedExpiration} (the expiry handed to SDK clients: while stale, the end of the
 * extension), {@code stale}, {@code lastFailure} (the last refresh's error, or {@code none}),
 * {@code failures} and {@code refreshes}. Never a secret.
 */
public class FreshCredentialsHealthIndicator extends AbstractHealthIndicator {
    /** The value of {@code lastFailure} when the last refresh succeeded. */
    public static final String NO_FAILURE = "none";

    private final FreshCredentialsSource source;
    private final Status staleStatus;

    /**
     * An indicator for one source.
     *
     * @param source the source
     * @param staleStatus the status while expired credentials are served
     */
    public FreshCredentialsHealthIndicator(FreshCredentialsSource source, Status staleStatus) {
        super("freshcreds health check failed");
        this.source = source;
        this.staleStatus = staleStatus;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        if (source.isClosed()) {
            builder.down().withDetail("closed", true);
            return;
        }
        Map<String, Object> root = JsonParserFactory.getJsonParser().parseMap(source.status());
        Object s = root.get("status");
        if (!(s instanceof Map)) {
            builder.unknown().withDetail("status", "not reported");
            return;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> status = (Map<String, Object>) s;
        boolean stale = Boolean.TRUE.equals(value(status, "stale"));
        boolean hasCredentials = value(status, "accessKeyId") != null;
        Object lastError = value(status, "lastError");
        if (stale) {
            builder.status(staleStatus);
        } else if (hasCredentials) {
            builder.up();
        } else if (lastError != null) {
            builder.down();
        } else {
            builder.unknown();
        }
        detail(builder, "source", value(status, "source"));
        detail(builder, "expiration", value(status, "expiration"));
        detail(builder, "servedExpiration", value(status, "servedExpiration"));
        builder.withDetail("stale", stale);
        builder.withDetail("lastFailure", lastError == null ? NO_FAILURE : lastError.toString());
        detail(builder, "failures", value(status, "failures"));
        detail(builder, "refreshes", value(status, "refreshes"));
    }

    /**
     * A value of the status object as JSON means it: Spring's built-in parser (used when Jackson
     * is not on the class path) hands {@code true}, {@code false} and {@code null} back as
     * strings, Jackson as a Boolean and null. The status has no string field whose text could
     * be one of those words.
     */
    private static Object value(Map<String, Object> status, String name) {
        Object v = status.get(name);
        if (v == null || "null".equals(v)) {
            return null;
        }
        if ("true".equals(v) || "false".equals(v)) {
            return Boolean.valueOf((String) v);
        }
        return v;
    }

    private static void detail(Health.Builder builder, String name, Object value) {
        if (value != null) {
            builder.withDetail(name, value);
        }
    }
}

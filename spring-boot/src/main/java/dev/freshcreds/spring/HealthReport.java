package dev.freshcreds.spring;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.FreshCredentialsStatus;

/**
 * The freshcreds health status and details of one source, without Spring Boot's health types:
 * Spring Boot 3 ({@link FreshCredentialsHealthIndicator}) and Spring Boot 4
 * ({@link FreshCredentialsBoot4HealthIndicator}) each turn it into their own {@code Health}.
 * The rules are those {@link FreshCredentialsHealthIndicator} documents.
 */
final class HealthReport {
    /** The status code: {@code UP}, {@code DOWN}, {@code UNKNOWN} or the configured stale status. */
    final String status;
    /** The details, in a stable order. */
    final Map<String, Object> details;

    /**
     * What one health indicator reports on, whichever Spring Boot's: a source, the status code
     * while expired credentials are served and whether details are full texts.
     */
    static final class Check {
        private final FreshCredentialsSource source;
        private final String staleStatus;
        private final boolean fullDetails;

        Check(FreshCredentialsSource source, String staleStatus, boolean fullDetails) {
            this.source = source;
            this.staleStatus = staleStatus;
            this.fullDetails = fullDetails;
        }

        /** @return the report now ({@link HealthReport#of}) */
        HealthReport run() {
            return of(source, staleStatus, fullDetails);
        }
    }

    private HealthReport(String status, Map<String, Object> details) {
        this.status = status;
        this.details = details;
    }

    /**
     * Reads the source's status without a call to AWS and without waiting for a refresh.
     *
     * @param source the source
     * @param staleStatus the status code while expired credentials are served
     * @param fullDetails whether {@code source} and {@code lastFailure} are full texts instead of kinds
     * @return the report
     */
    static HealthReport of(FreshCredentialsSource source, String staleStatus, boolean fullDetails) {
        Map<String, Object> details = new LinkedHashMap<>();
        FreshCredentialsStatus status;
        try {
            status = source.typedStatus();
        } catch (IllegalStateException closed) {
            details.put("closed", true);
            return new HealthReport("DOWN", details);
        }
        String lastError = status.getLastError();
        String code;
        if (status.isStale()) {
            code = staleStatus;
        } else if (status.getAccessKeyId() != null) {
            code = "UP";
        } else if (lastError != null) {
            code = "DOWN";
        } else {
            code = "UNKNOWN";
        }
        details.put(FreshCredentialsStatus.SOURCE, fullDetails ? status.getSource() : status.getSourceKind());
        if (status.getExpiration() != null) {
            details.put("expiration", status.getExpiration().toString());
        }
        if (status.getExpiresIn() != null) {
            details.put("expiresIn", status.getExpiresIn().toString());
        }
        details.put("stale", status.isStale());
        if (status.getExtensionEndsIn() != null) {
            details.put("extensionEndsIn", status.getExtensionEndsIn().toString());
        }
        details.put("lastFailure", lastError == null ? FreshCredentialsHealthIndicator.NO_FAILURE
                : fullDetails ? lastError : status.getLastErrorKind());
        details.put("failures", status.getFailures());
        details.put("refreshes", status.getRefreshes());
        return new HealthReport(code, details);
    }

    /**
     * The status code {@code freshcreds.health.stale-status} names, upper case.
     *
     * @param properties the {@code freshcreds.*} properties
     * @return the code
     * @throws IllegalArgumentException when the property is blank
     */
    static String staleStatus(FreshCredentialsProperties properties) {
        String stale = properties.getHealth().getStaleStatus();
        if (stale == null || stale.trim().isEmpty()) {
            throw new IllegalArgumentException(FreshCredentialsProperties.PREFIX + ".health.stale-status must be"
                    + " a health status code such as UP or OUT_OF_SERVICE, not '" + stale + "'");
        }
        return stale.trim().toUpperCase(Locale.ROOT);
    }
}

package dev.freshcreds.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;

import dev.freshcreds.FreshCredentialsOptions;
import dev.freshcreds.OptionSpec;

/**
 * The {@code freshcreds.*} properties: every option of {@link FreshCredentialsOptions}, with
 * durations in Spring's notation ({@code 10m}, {@code 30s}, {@code 500ms}; a bare number is
 * milliseconds).
 *
 * <pre>
 * freshcreds.source=imds
 * freshcreds.refresh-lead=10m
 * freshcreds.imds-attempts=5
 * freshcreds.health.stale-status=OUT_OF_SERVICE
 * </pre>
 *
 * <p>Unset properties keep freshcreds' defaults (and {@code -Dfreshcreds.<key>} system properties
 * still apply unless {@code freshcreds.read-system-properties=false}). An option key that has no
 * property of its own here can be set as {@code freshcreds.options.<key>=<value>}.
 */
@ConfigurationProperties(prefix = FreshCredentialsProperties.PREFIX)
public class FreshCredentialsProperties {
    /** The prefix of these properties. */
    public static final String PREFIX = "freshcreds";

    /** Whether to define the credentials provider bean (default true). */
    private boolean enabled = true;

    /**
     * Pin one source instead of the default chain: chain (default), systemProperties,
     * environment, webIdentity, profile, container or imds.
     */
    private String source;

    /** The profile to use instead of AWS_PROFILE / default. */
    private String profile;

    /** Refresh this long before expiry (default: 5, 15 or 60 minutes by credential lifetime). */
    private Duration refreshLead;

    /** A random extra lead of up to this, so that many hosts do not refresh at once (default 1m). */
    private Duration jitter;

    /** How long a first caller waits for credentials (default 10s). */
    private Duration firstFetchTimeout;

    /**
     * The length of one static-stability extension: expired credentials are served on while their
     * source fails (default 5m).
     */
    private Duration staleExtension;

    /** The first back-off after a failed refresh round; it grows up to refresh-backoff-cap (default 5s). */
    private Duration refreshBackoffBase;

    /** The longest back-off between failed refresh rounds (default 5m). */
    private Duration refreshBackoffCap;

    /** Warn when the local clock is this far from the servers' (default 1m). */
    private Duration skewWarn;

    /** The IMDS base URL (default from AWS_EC2_METADATA_SERVICE_ENDPOINT, else by mode). */
    private String imdsEndpoint;

    /** The IMDS endpoint mode: IPv4 or IPv6. */
    private String imdsEndpointMode;

    /** The timeout of one IMDS request (default 1s). */
    private Duration imdsTimeout;

    /** IMDS attempts per request, at least 1 (default 3). */
    private Integer imdsAttempts;

    /** Whether to fall back to IMDSv1 when the IMDSv2 token call fails (default true). */
    private Boolean imdsV1Fallback;

    /** Whether the system properties -Dfreshcreds.KEY and aws.* are read too (default true). */
    private boolean readSystemProperties = true;

    /** Further options by their freshcreds key, passed as they are (freshcreds.options.key=value). */
    private Map<String, String> options = new LinkedHashMap<>();

    /** The health indicator. */
    private final Health health = new Health();

    /** The Actuator health indicator's settings ({@code freshcreds.health.*}). */
    public static class Health {
        /**
         * The health status while expired credentials are served by static stability (default UP,
         * so that an IMDS outage does not take every instance out of its load balancer).
         */
        private String staleStatus = "UP";

        /**
         * Whether the health details carry the full source name and error text (which may name
         * profiles, roles, accounts and endpoints) instead of their kinds: set it only where the
         * health details are shown to authorised users alone
         * ({@code management.endpoint.health.show-details=when-authorized}).
         */
        private boolean fullDetails = false;

        /**
         * Whether the details carry full texts instead of kinds.
         *
         * @return true for full texts
         */
        public boolean isFullDetails() {
            return fullDetails;
        }

        /**
         * Sets whether the details carry full texts instead of kinds.
         *
         * @param fullDetails true for full texts
         */
        public void setFullDetails(boolean fullDetails) {
            this.fullDetails = fullDetails;
        }

        /**
         * The status while credentials are being served stale.
         *
         * @return a status code such as {@code UP} or {@code OUT_OF_SERVICE}
         */
        public String getStaleStatus() {
            return staleStatus;
        }

        /**
         * Sets the status while credentials are being served stale.
         *
         * @param staleStatus a status code such as {@code UP} or {@code OUT_OF_SERVICE}
         */
        public void setStaleStatus(String staleStatus) {
            this.staleStatus = staleStatus;
        }
    }

    /**
     * One typed property and the freshcreds option key it sets. The property's name is the key's
     * in Spring's notation, without the unit of a duration ({@code imdsAttempts} is
     * {@code freshcreds.imds-attempts}, {@code refreshLeadMillis} is {@code freshcreds.refresh-lead}).
     */
    private static final class Mapping {
        /** The full property name: {@code freshcreds.<property>}. */
        final String name;
        final String key;
        final Object value;

        Mapping(String key, Object value) {
            this.name = PREFIX + "." + kebab(key.endsWith(MILLIS) ? key.substring(0, key.length() - MILLIS.length()) : key);
            this.key = key;
            this.value = value;
        }
    }

    /** The unit suffix of the keys of duration options. */
    private static final String MILLIS = "Millis";

    /** {@code imdsV1Fallback} as {@code imds-v1-fallback}. */
    private static String kebab(String name) {
        StringBuilder sb = new StringBuilder();
        for (char c : name.toCharArray()) {
            if (Character.isUpperCase(c)) {
                sb.append('-').append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private List<Mapping> mappings() {
        List<Mapping> m = new ArrayList<>();
        m.add(new Mapping(OptionSpec.SOURCE, source));
        m.add(new Mapping(OptionSpec.PROFILE, profile));
        m.add(new Mapping(OptionSpec.REFRESH_LEAD_MILLIS, refreshLead));
        m.add(new Mapping(OptionSpec.JITTER_MILLIS, jitter));
        m.add(new Mapping(OptionSpec.FIRST_FETCH_TIMEOUT_MILLIS, firstFetchTimeout));
        m.add(new Mapping(OptionSpec.STALE_EXTENSION_MILLIS, staleExtension));
        m.add(new Mapping(OptionSpec.REFRESH_BACKOFF_BASE_MILLIS, refreshBackoffBase));
        m.add(new Mapping(OptionSpec.REFRESH_BACKOFF_CAP_MILLIS, refreshBackoffCap));
        m.add(new Mapping(OptionSpec.SKEW_WARN_MILLIS, skewWarn));
        m.add(new Mapping(OptionSpec.IMDS_ENDPOINT, imdsEndpoint));
        m.add(new Mapping(OptionSpec.IMDS_ENDPOINT_MODE, imdsEndpointMode));
        m.add(new Mapping(OptionSpec.IMDS_TIMEOUT_MILLIS, imdsTimeout));
        m.add(new Mapping(OptionSpec.IMDS_ATTEMPTS, imdsAttempts));
        m.add(new Mapping(OptionSpec.IMDS_V1_FALLBACK, imdsV1Fallback));
        return m;
    }

    /**
     * The freshcreds option keys that have a property of their own here, each with its property
     * name ({@code freshcreds.refresh-lead} for {@code refreshLeadMillis}).
     *
     * @return option key to full property name, in declaration order
     */
    public static Map<String, String> propertyNames() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Mapping m : new FreshCredentialsProperties().mappings()) {
            out.put(m.key, m.name);
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * The property that sets a freshcreds option key.
     *
     * @param key an option key such as {@code imdsAttempts}
     * @return {@code freshcreds.imds-attempts}, or {@code freshcreds.options.<key>} for a key
     *     without a property of its own
     */
    public static String propertyName(String key) {
        String p = propertyNames().get(key);
        return p != null ? p : PREFIX + ".options." + key;
    }

    /**
     * The options these properties describe.
     *
     * @return the options (system properties applied unless turned off)
     * @throws IllegalArgumentException naming the property when a value is out of the range of
     *     its option ({@link FreshCredentialsOptions#rangeProblem}; a negative duration) or an
     *     option is set twice
     */
    public FreshCredentialsOptions toOptions() {
        FreshCredentialsOptions.Builder b = FreshCredentialsOptions.builder()
                .readSystemProperties(readSystemProperties);
        for (Mapping m : mappings()) {
            if (m.value == null) {
                continue;
            }
            String name = m.name;
            String text;
            Long number = null;
            if (m.value instanceof Duration) {
                Duration d = (Duration) m.value;
                if (d.isNegative()) {
                    throw new IllegalArgumentException(
                            name + " must be a non-negative duration (like 10m or 30s), not " + d);
                }
                number = d.toMillis();
                text = Long.toString(number);
            } else {
                if (m.value instanceof Integer) {
                    number = ((Integer) m.value).longValue();
                }
                text = m.value.toString();
            }
            String problem = number == null ? null : FreshCredentialsOptions.rangeProblem(m.key, number);
            if (problem != null) {
                throw new IllegalArgumentException(name + " " + problem);
            }
            b.option(m.key, text);
        }
        Map<String, String> typed = propertyNames();
        for (Map.Entry<String, String> e : options.entrySet()) {
            String name = PREFIX + ".options." + e.getKey();
            if (typed.containsKey(e.getKey())) {
                throw new IllegalArgumentException(name + " is set by " + typed.get(e.getKey())
                        + "; use that property instead");
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException(name + " has no value");
            }
            b.option(e.getKey(), e.getValue());
        }
        return b.build();
    }

    /**
     * Whether the provider bean is defined.
     *
     * @return true unless {@code freshcreds.enabled=false}
     */
    public boolean isEnabled() {
        return enabled;
    }

    /**
     * Sets whether the provider bean is defined.
     *
     * @param enabled false to define none
     */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /**
     * The pinned source.
     *
     * @return the source name, or null for the default chain
     */
    public String getSource() {
        return source;
    }

    /**
     * Pins one source.
     *
     * @param source a source name such as {@code imds}
     */
    public void setSource(String source) {
        this.source = source;
    }

    /**
     * The profile.
     *
     * @return the profile name, or null
     */
    public String getProfile() {
        return profile;
    }

    /**
     * Sets the profile.
     *
     * @param profile the profile name
     */
    public void setProfile(String profile) {
        this.profile = profile;
    }

    /**
     * The refresh lead.
     *
     * @return the lead, or null for the default
     */
    public Duration getRefreshLead() {
        return refreshLead;
    }

    /**
     * Sets the refresh lead.
     *
     * @param refreshLead the lead
     */
    public void setRefreshLead(Duration refreshLead) {
        this.refreshLead = refreshLead;
    }

    /**
     * The jitter.
     *
     * @return the largest extra lead, or null for the default
     */
    public Duration getJitter() {
        return jitter;
    }

    /**
     * Sets the jitter.
     *
     * @param jitter the largest extra lead
     */
    public void setJitter(Duration jitter) {
        this.jitter = jitter;
    }

    /**
     * The first-fetch timeout.
     *
     * @return the longest wait, or null for the default
     */
    public Duration getFirstFetchTimeout() {
        return firstFetchTimeout;
    }

    /**
     * Sets the first-fetch timeout.
     *
     * @param firstFetchTimeout the longest wait
     */
    public void setFirstFetchTimeout(Duration firstFetchTimeout) {
        this.firstFetchTimeout = firstFetchTimeout;
    }

    /**
     * The static-stability extension.
     *
     * @return the extension, or null for the default
     */
    public Duration getStaleExtension() {
        return staleExtension;
    }

    /**
     * Sets the static-stability extension.
     *
     * @param staleExtension the extension
     */
    public void setStaleExtension(Duration staleExtension) {
        this.staleExtension = staleExtension;
    }

    /**
     * The first back-off after a failed refresh.
     *
     * @return the back-off, or null for the default
     */
    public Duration getRefreshBackoffBase() {
        return refreshBackoffBase;
    }

    /**
     * Sets the first back-off after a failed refresh.
     *
     * @param refreshBackoffBase the back-off
     */
    public void setRefreshBackoffBase(Duration refreshBackoffBase) {
        this.refreshBackoffBase = refreshBackoffBase;
    }

    /**
     * The longest back-off between failed refreshes.
     *
     * @return the cap, or null for the default
     */
    public Duration getRefreshBackoffCap() {
        return refreshBackoffCap;
    }

    /**
     * Sets the longest back-off between failed refreshes.
     *
     * @param refreshBackoffCap the cap
     */
    public void setRefreshBackoffCap(Duration refreshBackoffCap) {
        this.refreshBackoffCap = refreshBackoffCap;
    }

    /**
     * The clock-skew warning threshold.
     *
     * @return the threshold, or null for the default
     */
    public Duration getSkewWarn() {
        return skewWarn;
    }

    /**
     * Sets the clock-skew warning threshold.
     *
     * @param skewWarn the threshold
     */
    public void setSkewWarn(Duration skewWarn) {
        this.skewWarn = skewWarn;
    }

    /**
     * The IMDS base URL.
     *
     * @return the URL, or null for the default
     */
    public String getImdsEndpoint() {
        return imdsEndpoint;
    }

    /**
     * Sets the IMDS base URL.
     *
     * @param imdsEndpoint for example {@code http://169.254.169.254}
     */
    public void setImdsEndpoint(String imdsEndpoint) {
        this.imdsEndpoint = imdsEndpoint;
    }

    /**
     * The IMDS endpoint mode.
     *
     * @return {@code IPv4}, {@code IPv6}, or null for the default
     */
    public String getImdsEndpointMode() {
        return imdsEndpointMode;
    }

    /**
     * Sets the IMDS endpoint mode.
     *
     * @param imdsEndpointMode {@code IPv4} or {@code IPv6}
     */
    public void setImdsEndpointMode(String imdsEndpointMode) {
        this.imdsEndpointMode = imdsEndpointMode;
    }

    /**
     * The timeout of one IMDS request.
     *
     * @return the timeout, or null for the default
     */
    public Duration getImdsTimeout() {
        return imdsTimeout;
    }

    /**
     * Sets the timeout of one IMDS request.
     *
     * @param imdsTimeout the timeout
     */
    public void setImdsTimeout(Duration imdsTimeout) {
        this.imdsTimeout = imdsTimeout;
    }

    /**
     * IMDS attempts per request.
     *
     * @return the attempts, or null for the default
     */
    public Integer getImdsAttempts() {
        return imdsAttempts;
    }

    /**
     * Sets the IMDS attempts per request.
     *
     * @param imdsAttempts at least 1
     */
    public void setImdsAttempts(Integer imdsAttempts) {
        this.imdsAttempts = imdsAttempts;
    }

    /**
     * Whether IMDSv1 is a fallback.
     *
     * @return the setting, or null for the default
     */
    public Boolean getImdsV1Fallback() {
        return imdsV1Fallback;
    }

    /**
     * Sets whether IMDSv1 is a fallback.
     *
     * @param imdsV1Fallback false to require IMDSv2
     */
    public void setImdsV1Fallback(Boolean imdsV1Fallback) {
        this.imdsV1Fallback = imdsV1Fallback;
    }

    /**
     * Whether system properties are read too.
     *
     * @return true by default
     */
    public boolean isReadSystemProperties() {
        return readSystemProperties;
    }

    /**
     * Sets whether system properties are read too.
     *
     * @param readSystemProperties false to use only these properties
     */
    public void setReadSystemProperties(boolean readSystemProperties) {
        this.readSystemProperties = readSystemProperties;
    }

    /**
     * Further options by their freshcreds key.
     *
     * @return key to value
     */
    public Map<String, String> getOptions() {
        return options;
    }

    /**
     * Sets further options by their freshcreds key.
     *
     * @param options key to value
     */
    public void setOptions(Map<String, String> options) {
        this.options = options;
    }

    /**
     * The health indicator's settings.
     *
     * @return the settings
     */
    public Health getHealth() {
        return health;
    }
}

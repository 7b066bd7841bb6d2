package dev.freshcreds;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Options of a {@link FreshCredentialsSource}, as the {@code key=value} pairs the native library
 * takes. Durations are passed in milliseconds ({@code refreshLeadMillis}, ...).
 *
 * <p>Unless {@link Builder#readSystemProperties(boolean)} turns it off, {@link Builder#build()}
 * first takes every {@code freshcreds.<key>} system property for a {@linkplain #KEYS known key}
 * (for example {@code -Dfreshcreds.imdsAttempts=5}) and every AWS SDK for Java v2 system property
 * of the default credentials chain ({@link #AWS_PROPERTIES}: {@code aws.accessKeyId},
 * {@code aws.profile}, {@code aws.disableEc2Metadata}, ...). The native library honours each as
 * the SDK does (the property wins over its environment variable, which wins over the profile), or
 * refuses it saying why: see the README's "SDK settings freshcreds honours". Values set on the
 * builder win over system properties. Unknown keys and bad values are rejected by
 * {@link FreshCredentialsSource#create(FreshCredentialsOptions)} with an
 * {@link IllegalArgumentException} that names the key.
 */
public final class FreshCredentialsOptions {
    /** The prefix of system properties that set options: {@code freshcreds.<key>}. */
    public static final String PROPERTY_PREFIX = "freshcreds.";

    /**
     * Option keys the native library knows (besides the {@code aws.*} system properties), in the
     * order of its option spec; {@link OptionSpec} has a constant for each.
     */
    public static final List<String> KEYS = OptionSpec.KEYS;

    /**
     * The network options: one set for every hop of a role chain, so {@link Builder#base} does
     * not copy them. Unless {@link Builder#jvmNetworkSettings(boolean)} turns it off, a source
     * fills in those not set from the JVM (its proxy properties and its trust store).
     */
    static final List<String> NETWORK_KEYS = keysIn("network");

    /**
     * The prefix of the options of a role's base: {@code base.roleArn}, {@code base.profile},
     * ... describe the credentials {@code roleArn} is assumed with (see
     * {@link Builder#base(FreshCredentialsOptions)}).
     */
    public static final String BASE_PREFIX = OptionSpec.BASE_PREFIX;

    /** Why {@link Builder#mfaSerial(String)} is refused (the native library says the same). */
    public static final String MFA_REFUSED = OptionSpec.MFA_REFUSED;

    /**
     * The AWS SDK system properties passed to the native library under their own names: the
     * settings of SDK v2's default credentials chain (generated from the native side's table of
     * them, {@code rust/core/src/sdk_settings.rs}, which says how each is honoured).
     */
    static final List<String> AWS_PROPERTIES = OptionSpec.AWS_PROPERTIES;

    private static List<String> keysIn(String group) {
        List<String> out = new ArrayList<String>();
        for (String key : KEYS) {
            if (group.equals(OptionSpec.group(key))) {
                out.add(key);
            }
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * What is wrong with {@code value} for the whole-number option {@code key}, in the option's
     * unit (milliseconds for a {@code ...Millis} key, seconds for {@code durationSeconds}), or
     * null when it lies in the option's range or the key has none. The range is the native
     * library's ({@link OptionSpec}).
     *
     * @param key an option key such as {@code imdsAttempts}
     * @param value the value
     * @return for example {@code must be at least 1, not 0}, or null
     */
    public static String rangeProblem(String key, long value) {
        long min = OptionSpec.min(key);
        long max = OptionSpec.max(key);
        String unit = OptionSpec.unit(key);
        if (min >= 0 && value < min) {
            return "must be at least " + min + unit + ", not " + value + unit;
        }
        if (max >= 0 && value > max) {
            return "must be at most " + max + unit + ", not " + value + unit;
        }
        return null;
    }

    private final Map<String, String> pairs;
    private final boolean jvmNetworkSettings;
    /** The keys whose values came from system properties ({@code -Dfreshcreds.<key>}). */
    private final Set<String> fromSystemProperties;

    private FreshCredentialsOptions(Map<String, String> pairs, boolean jvmNetworkSettings,
            Set<String> fromSystemProperties) {
        this.pairs = Collections.unmodifiableMap(new LinkedHashMap<String, String>(pairs));
        this.jvmNetworkSettings = jvmNetworkSettings;
        this.fromSystemProperties = Collections.unmodifiableSet(new LinkedHashSet<String>(fromSystemProperties));
    }

    /**
     * These options for a kind of source ({@code fetcher}, {@code tokenSupplier}; the native
     * option spec's {@code SourceKind}): without the {@code -Dfreshcreds.<key>} options whose
     * group does not apply to it ({@code freshcreds.source} or {@code freshcreds.profile} say
     * nothing to a fetcher). Options set in code stay, so the native library refuses those that
     * do not apply.
     */
    FreshCredentialsOptions forKind(String sourceKind) {
        List<String> groups = OptionSpec.groups(sourceKind);
        Map<String, String> kept = new LinkedHashMap<String, String>();
        for (Map.Entry<String, String> e : pairs.entrySet()) {
            String group = OptionSpec.group(e.getKey());
            if (!fromSystemProperties.contains(e.getKey()) || group == null || groups.contains(group)) {
                kept.put(e.getKey(), e.getValue());
            }
        }
        return new FreshCredentialsOptions(kept, jvmNetworkSettings, fromSystemProperties);
    }

    /**
     * Whether a source fills in the network options not set here from the JVM: its
     * {@code https.proxyHost} / {@code https.proxyPort} / {@code http.nonProxyHosts} (with
     * {@code https.proxyUser} / {@code https.proxyPassword}) and the accepted issuers of its
     * default trust manager (default true).
     *
     * @return true unless {@link Builder#jvmNetworkSettings(boolean)} turned it off
     */
    public boolean usesJvmNetworkSettings() {
        return jvmNetworkSettings;
    }

    /**
     * A new builder.
     *
     * @return a builder with no option set
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The defaults: the system properties only.
     *
     * @return options built from an empty builder
     */
    public static FreshCredentialsOptions defaults() {
        return builder().build();
    }

    /**
     * The options as {@code key -> value}, in the order they are passed to the native library.
     *
     * @return an unmodifiable map
     */
    public Map<String, String> asMap() {
        return pairs;
    }

    String[] keys() {
        return pairs.keySet().toArray(new String[0]);
    }

    String[] values() {
        return pairs.values().toArray(new String[0]);
    }

    /**
     * A builder holding the same options (system properties already applied).
     *
     * @return a builder with these options set and system properties not read again
     */
    public Builder toBuilder() {
        Builder b = new Builder().readSystemProperties(false).jvmNetworkSettings(jvmNetworkSettings);
        b.values.putAll(pairs);
        b.fromSystemProperties.addAll(fromSystemProperties);
        return b;
    }

    /** Shows the options with secret values hidden. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("FreshCredentialsOptions{");
        boolean first = true;
        for (Map.Entry<String, String> e : pairs.entrySet()) {
            if (!first) {
                sb.append(", ");
            }
            first = false;
            sb.append(e.getKey()).append('=');
            sb.append(shown(e.getKey(), e.getValue()));
        }
        return sb.append('}').toString();
    }

    /** A value as {@link #toString()} shows it: as the option spec says (secrets hidden, PEM text summarised, proxies without user). */
    private static String shown(String key, String value) {
        String bare = key;
        while (bare.startsWith(BASE_PREFIX)) {
            bare = bare.substring(BASE_PREFIX.length());
        }
        if (OptionSpec.SECRET_KEYS.contains(bare)) {
            return "** redacted **";
        }
        switch (OptionSpec.shown(bare)) {
            case "certificateCount":
                return "(" + (value.split("-----BEGIN CERTIFICATE-----", -1).length - 1) + " certificates)";
            case "withoutPassword":
                return value.replaceFirst("//[^/@]*@", "//");
            default:
                return value;
        }
    }

    /** Builds {@link FreshCredentialsOptions}. */
    public static final class Builder {
        private final Map<String, String> values = new LinkedHashMap<String, String>();
        /** Keys of {@link #values} whose values came from system properties (through toBuilder()). */
        private final Set<String> fromSystemProperties = new LinkedHashSet<String>();
        private boolean readSystemProperties = true;
        private boolean jvmNetworkSettings = true;

        private Builder() {
        }

        /**
         * Pins one source instead of the default chain: {@code chain} (default),
         * {@code systemProperties}, {@code environment}, {@code webIdentity}, {@code profile},
         * {@code container} or {@code imds}.
         *
         * @param source the source name
         * @return this builder
         */
        public Builder source(String source) {
            return option(OptionSpec.SOURCE, source);
        }

        /**
         * The profile to use instead of {@code aws.profile} / {@code AWS_PROFILE} /
         * {@code default}.
         *
         * @param profile the profile name
         * @return this builder
         */
        public Builder profile(String profile) {
            return option(OptionSpec.PROFILE, profile);
        }

        /**
         * Refresh this long before expiry (default: 5, 15 or 60 minutes by credential lifetime).
         *
         * @param lead the lead time
         * @return this builder
         */
        public Builder refreshLead(Duration lead) {
            return millis(OptionSpec.REFRESH_LEAD_MILLIS, lead);
        }

        /**
         * A random extra lead of up to this, so that many hosts do not refresh at once
         * (default one minute).
         *
         * @param jitter the largest extra lead
         * @return this builder
         */
        public Builder jitter(Duration jitter) {
            return millis(OptionSpec.JITTER_MILLIS, jitter);
        }

        /**
         * How long a first caller waits for credentials (default ten seconds).
         *
         * @param timeout the longest wait
         * @return this builder
         */
        public Builder firstFetchTimeout(Duration timeout) {
            return millis(OptionSpec.FIRST_FETCH_TIMEOUT_MILLIS, timeout);
        }

        /**
         * The IMDS base URL (default from {@code AWS_EC2_METADATA_SERVICE_ENDPOINT}, else by mode).
         *
         * @param endpoint for example {@code http://169.254.169.254}
         * @return this builder
         */
        public Builder imdsEndpoint(String endpoint) {
            return option(OptionSpec.IMDS_ENDPOINT, endpoint);
        }

        /**
         * The IMDS endpoint mode: {@code IPv4} or {@code IPv6}.
         *
         * @param mode the mode
         * @return this builder
         */
        public Builder imdsEndpointMode(String mode) {
            return option(OptionSpec.IMDS_ENDPOINT_MODE, mode);
        }

        /**
         * The timeout of one IMDS request (default one second).
         *
         * @param timeout the timeout
         * @return this builder
         */
        public Builder imdsTimeout(Duration timeout) {
            return millis(OptionSpec.IMDS_TIMEOUT_MILLIS, timeout);
        }

        /**
         * IMDS attempts per request (default 3).
         *
         * @param attempts at least 1
         * @return this builder
         */
        public Builder imdsAttempts(int attempts) {
            return whole(OptionSpec.IMDS_ATTEMPTS, attempts, Integer.toString(attempts));
        }

        /**
         * Whether to fall back to IMDSv1 when the IMDSv2 token call fails (default true).
         *
         * @param fallback false to require IMDSv2
         * @return this builder
         */
        public Builder imdsV1Fallback(boolean fallback) {
            return option(OptionSpec.IMDS_V1_FALLBACK, Boolean.toString(fallback));
        }

        /**
         * Assumes a role (STS {@code AssumeRole}) with the base credentials, like the SDKs'
         * {@code STSAssumeRoleSessionCredentialsProvider} / {@code StsAssumeRoleCredentialsProvider}:
         * the base is the default chain (or the source and profile set on this builder), or
         * what {@link #base(FreshCredentialsOptions)} describes. The role session is refreshed
         * early in the background, and so is the base, each on its own.
         *
         * @param roleArn the role's ARN
         * @param roleSessionName the role session name
         * @return this builder
         */
        public Builder assumeRole(String roleArn, String roleSessionName) {
            return roleArn(roleArn).roleSessionName(roleSessionName);
        }

        /**
         * The role to assume (STS {@code AssumeRole}, or {@code AssumeRoleWithWebIdentity} with
         * {@link #webIdentityTokenFile(Path)}).
         *
         * @param roleArn the role's ARN
         * @return this builder
         */
        public Builder roleArn(String roleArn) {
            return option(OptionSpec.ROLE_ARN, roleArn);
        }

        /**
         * The role session name (default {@code freshcreds-<unix millis>}).
         *
         * @param roleSessionName the name
         * @return this builder
         */
        public Builder roleSessionName(String roleSessionName) {
            return option(OptionSpec.ROLE_SESSION_NAME, roleSessionName);
        }

        /**
         * The external id the role's trust policy asks for.
         *
         * @param externalId the external id
         * @return this builder
         */
        public Builder externalId(String externalId) {
            return option(OptionSpec.EXTERNAL_ID, externalId);
        }

        /**
         * The role session's duration: whole seconds from 15 minutes to 12 hours (STS's
         * {@code DurationSeconds}; default one hour).
         *
         * @param duration the duration
         * @return this builder
         */
        public Builder duration(Duration duration) {
            String key = OptionSpec.DURATION_SECONDS;
            if (duration == null || duration.getNano() != 0) {
                throw new IllegalArgumentException("freshcreds option `" + key + "` must be whole"
                        + " seconds from " + OptionSpec.min(key) + " to " + OptionSpec.max(key)
                        + ", not " + duration);
            }
            return whole(key, duration.getSeconds(), Long.toString(duration.getSeconds()));
        }

        /**
         * An inline session policy (JSON).
         *
         * @param policy the policy document
         * @return this builder
         */
        public Builder policy(String policy) {
            return option(OptionSpec.POLICY, policy);
        }

        /**
         * Managed session policies.
         *
         * @param policyArns the policies' ARNs
         * @return this builder
         */
        public Builder policyArns(Collection<String> policyArns) {
            return option(OptionSpec.POLICY_ARNS, joined(OptionSpec.POLICY_ARNS, policyArns));
        }

        /**
         * The source identity of the role session.
         *
         * @param sourceIdentity the source identity
         * @return this builder
         */
        public Builder sourceIdentity(String sourceIdentity) {
            return option(OptionSpec.SOURCE_IDENTITY, sourceIdentity);
        }

        /**
         * Session tags.
         *
         * @param tags tag keys to values (neither may hold a comma, nor a key an {@code =})
         * @return this builder
         */
        public Builder tags(Map<String, String> tags) {
            StringBuilder sb = new StringBuilder();
            for (Map.Entry<String, String> t : tags.entrySet()) {
                String k = t.getKey();
                String v = t.getValue();
                if (k == null || v == null || k.isEmpty() || k.contains(",") || k.contains("=")
                        || v.contains(",")) {
                    throw new IllegalArgumentException("freshcreds option `" + OptionSpec.TAGS + "`: tag " + k
                            + " cannot be passed (keys and values must be non-null, without commas;"
                            + " keys without '=')");
                }
                sb.append(sb.length() == 0 ? "" : ",").append(k).append('=').append(v);
            }
            return option(OptionSpec.TAGS, sb.toString());
        }

        /**
         * Refused: a role that needs MFA cannot be refreshed in the background.
         *
         * @param serialNumber the MFA device
         * @return never
         * @throws IllegalArgumentException always, saying why ({@link #MFA_REFUSED})
         */
        public Builder mfaSerial(String serialNumber) {
            throw new IllegalArgumentException(
                    "freshcreds option `" + OptionSpec.MFA_SERIAL + "` is not supported: " + MFA_REFUSED);
        }

        /**
         * Web identity in code: with {@link #roleArn(String)}, calls
         * {@code AssumeRoleWithWebIdentity} with the token in this file (read again at every
         * refresh, as identity providers rotate it) instead of {@code AssumeRole} over a base.
         *
         * @param tokenFile the token file
         * @return this builder
         */
        public Builder webIdentityTokenFile(Path tokenFile) {
            return option(OptionSpec.WEB_IDENTITY_TOKEN_FILE, tokenFile.toString());
        }

        /**
         * The STS endpoint for the role (default: {@code AWS_ENDPOINT_URL_STS},
         * {@code AWS_ENDPOINT_URL}, the profile's, else the regional endpoint).
         *
         * @param endpoint for example {@code https://sts.eu-west-1.amazonaws.com}
         * @return this builder
         */
        public Builder stsEndpoint(String endpoint) {
            return option(OptionSpec.STS_ENDPOINT, endpoint);
        }

        /**
         * The proxy of requests to AWS services (STS, IAM Identity Center, AWS Sign-In), instead
         * of {@code HTTPS_PROXY} and of the JVM's {@code https.proxyHost}. Never used for IMDS,
         * the container endpoint or loopback.
         *
         * @param proxy {@code http://host:port} ({@code host:port} means the same)
         * @return this builder
         */
        public Builder httpsProxy(String proxy) {
            return option(OptionSpec.HTTPS_PROXY, proxy);
        }

        /**
         * The hosts that bypass {@link #httpsProxy(String)}, as the JVM's
         * {@code http.nonProxyHosts} writes them ({@code localhost|*.corp|10.*}).
         *
         * @param hosts the hosts, {@code |}- or comma-separated, {@code *} wildcards
         * @return this builder
         */
        public Builder nonProxyHosts(String hosts) {
            return option(OptionSpec.NON_PROXY_HOSTS, hosts);
        }

        /**
         * Certificates to trust in addition to the platform's store (or {@code AWS_CA_BUNDLE}),
         * instead of the JVM trust store's, which a source passes by default.
         *
         * @param pem one or more PEM {@code CERTIFICATE} blocks
         * @return this builder
         */
        public Builder trustRootsPem(String pem) {
            return option(OptionSpec.TRUST_ROOTS_PEM, pem);
        }

        /**
         * Whether a source fills in the network options not set here from the JVM: its proxy
         * properties ({@code https.proxyHost}, {@code https.proxyPort},
         * {@code http.nonProxyHosts}, {@code https.proxyUser}, {@code https.proxyPassword}) and
         * the accepted issuers of its default trust manager, so that the native HTTPS calls trust
         * and route like the JVM's own (default true).
         *
         * @param use false to use only the environment ({@code AWS_CA_BUNDLE},
         *     {@code HTTPS_PROXY}, ...) and what is set here
         * @return this builder
         */
        public Builder jvmNetworkSettings(boolean use) {
            this.jvmNetworkSettings = use;
            return this;
        }

        /**
         * The base credentials of {@link #roleArn(String)}: the source these options describe
         * (its own role, profile, source, refresh settings), with an engine of its own. Role
         * chaining: a base that has a role itself. The {@code aws.*} system properties and the
         * network options are not copied (they apply to every hop).
         *
         * @param base the base's options
         * @return this builder
         */
        public Builder base(FreshCredentialsOptions base) {
            for (Map.Entry<String, String> e : base.asMap().entrySet()) {
                if (!AWS_PROPERTIES.contains(e.getKey()) && !NETWORK_KEYS.contains(e.getKey())) {
                    option(BASE_PREFIX + e.getKey(), e.getValue());
                }
            }
            return this;
        }

        /**
         * The base credentials of {@link #roleArn(String)}: a source configured like
         * {@code source} (its options; the role's base is refreshed by an engine of its own, so
         * {@code source} itself stays independent and is not closed with this one).
         *
         * @param source the source whose options describe the base
         * @return this builder
         */
        public Builder base(FreshCredentialsSource source) {
            return base(source.options());
        }

        /**
         * Sets any option by its native key; a later call for the same key replaces the value.
         *
         * @param key an option key (see {@link FreshCredentialsOptions#KEYS})
         * @param value its value
         * @return this builder
         */
        public Builder option(String key, String value) {
            if (key == null || value == null) {
                throw new IllegalArgumentException(
                        "freshcreds option `" + key + "`: key and value must not be null");
            }
            values.remove(key);
            values.put(key, value);
            fromSystemProperties.remove(key);
            return this;
        }

        /**
         * Whether {@link #build()} reads {@code freshcreds.<key>} and the AWS SDK's {@code aws.*}
         * system properties ({@link FreshCredentialsOptions#AWS_PROPERTIES}; default true).
         *
         * @param read false to use only what is set on this builder
         * @return this builder
         */
        public Builder readSystemProperties(boolean read) {
            this.readSystemProperties = read;
            return this;
        }

        /**
         * Builds the options.
         *
         * @return the options: system properties first, then what was set here
         */
        public FreshCredentialsOptions build() {
            return build(System.getProperties());
        }

        FreshCredentialsOptions build(Properties properties) {
            Map<String, String> out = new LinkedHashMap<String, String>();
            Set<String> fromProperties = new LinkedHashSet<String>(fromSystemProperties);
            if (readSystemProperties) {
                for (String key : AWS_PROPERTIES) {
                    String v = properties.getProperty(key);
                    if (v != null) {
                        out.put(key, v);
                    }
                }
                for (String key : KEYS) {
                    String v = properties.getProperty(PROPERTY_PREFIX + key);
                    if (v != null) {
                        out.put(key, v);
                        fromProperties.add(key);
                    }
                }
            }
            for (Map.Entry<String, String> e : values.entrySet()) {
                out.remove(e.getKey());
                out.put(e.getKey(), e.getValue());
                if (!fromSystemProperties.contains(e.getKey())) {
                    fromProperties.remove(e.getKey());
                }
            }
            return new FreshCredentialsOptions(out, jvmNetworkSettings, fromProperties);
        }

        private static String joined(String key, Collection<String> values) {
            StringBuilder sb = new StringBuilder();
            for (String v : values) {
                if (v == null || v.contains(",")) {
                    throw new IllegalArgumentException(
                            "freshcreds option `" + key + "`: " + v + " cannot be passed (null or a comma)");
                }
                sb.append(sb.length() == 0 ? "" : ",").append(v);
            }
            return sb.toString();
        }

        private Builder millis(String key, Duration d) {
            if (d == null || d.isNegative()) {
                throw new IllegalArgumentException(
                        "freshcreds option `" + key + "` must be a non-negative duration, not " + d);
            }
            return whole(key, d.toMillis(), Long.toString(d.toMillis()));
        }

        /** Sets a whole-number option after checking it against its range ({@link #rangeProblem}). */
        private Builder whole(String key, long value, String text) {
            String problem = rangeProblem(key, value);
            if (problem != null) {
                throw new IllegalArgumentException("freshcreds option `" + key + "` " + problem);
            }
            return option(key, text);
        }
    }
}

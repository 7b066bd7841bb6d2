package dev.freshcreds;

import java.time.Duration;
import java.time.Instant;

/**
 * A point-in-time report of a {@link FreshCredentialsSource}, typed: the same facts as the JSON
 * of {@link FreshCredentialsSource#status()} without the chain's resolution report. Immutable;
 * holds no secret ({@link #getAccessKeyId()} is not one).
 */
public final class FreshCredentialsStatus {
    private final String source;
    private final String sourceKind;
    private final String accessKeyId;
    private final String lastError;
    private final String lastErrorKind;
    private final long[] numbers;

    /** From the native status: strings at {@code Native.STATUS_SOURCE} …, numbers at {@code Native.STATUS_*}. */
    FreshCredentialsStatus(String[] strings, long[] numbers) {
        String s = strings[Native.STATUS_SOURCE];
        String kind = strings[Native.STATUS_SOURCE_KIND];
        this.source = s == null ? "" : s;
        this.sourceKind = kind == null ? "" : kind;
        this.accessKeyId = strings[Native.STATUS_ACCESS_KEY_ID];
        this.lastError = strings[Native.STATUS_LAST_ERROR];
        this.lastErrorKind = strings[Native.STATUS_LAST_ERROR_KIND];
        this.numbers = numbers.clone();
    }

    private Duration millis(int index) {
        long v = numbers[index];
        return v == Native.NO_VALUE ? null : Duration.ofMillis(v);
    }

    /** @return the source the engine refreshes from, e.g. {@code Ec2InstanceMetadata} */
    public String getSource() {
        return source;
    }

    /**
     * @return the source's kind: its name without what parentheses hold (profile names, commands,
     *     endpoints), e.g. {@code Profile/AssumeRole}; what operators' views show by default
     */
    public String getSourceKind() {
        return sourceKind;
    }

    /** @return the access key id of the cached credentials, or {@code null} before the first */
    public String getAccessKeyId() {
        return accessKeyId;
    }

    /** @return the expiration the source stated, or {@code null} (none yet, or long-term keys) */
    public Instant getExpiration() {
        long v = numbers[Native.STATUS_EXPIRATION];
        return v == Native.NO_VALUE ? null : Instant.ofEpochMilli(v);
    }

    /** @return time until the real expiry (negative once expired), or {@code null} */
    public Duration getExpiresIn() {
        return millis(Native.STATUS_EXPIRES_IN);
    }

    /** @return time until the next scheduled refresh, or {@code null} */
    public Duration getRefreshIn() {
        return millis(Native.STATUS_REFRESH_IN);
    }

    /** @return while stale, time until the current static-stability extension ends, else {@code null} */
    public Duration getExtensionEndsIn() {
        return millis(Native.STATUS_EXTENSION_ENDS_IN);
    }

    /** @return true while expired credentials are served because refreshing fails */
    public boolean isStale() {
        return numbers[Native.STATUS_STALE] != 0;
    }

    /** @return the last refresh round's error, or {@code null} when it succeeded */
    public String getLastError() {
        return lastError;
    }

    /**
     * @return the kind of the last round's error ({@code TIMEOUT}, {@code CONNECT}, {@code HTTP},
     *     {@code THROTTLED}, {@code PARSE}, {@code INVALID_CONFIG}, {@code EXPIRED}, {@code REFUSED},
     *     {@code TLS}, {@code DISABLED}, {@code NOT_CONFIGURED}, {@code INTERNAL}), or {@code null} when it succeeded
     */
    public String getLastErrorKind() {
        return lastErrorKind;
    }

    /** @return refresh rounds started (each one call to the source) */
    public long getRounds() {
        return numbers[Native.STATUS_ROUNDS];
    }

    /** @return rounds that produced new credentials */
    public long getRefreshes() {
        return numbers[Native.STATUS_REFRESHES];
    }

    /** @return rounds that failed */
    public long getFailures() {
        return numbers[Native.STATUS_FAILURES];
    }

    /** @return answers whose credentials were already expired */
    public long getStaleResponses() {
        return numbers[Native.STATUS_STALE_RESPONSES];
    }

    /** @return rounds that found the source still serving the cached credentials */
    public long getUnrotatedPolls() {
        return numbers[Native.STATUS_UNROTATED_POLLS];
    }

    /** @return static-stability extensions granted (expired credentials served on) */
    public long getStaleExtensions() {
        return numbers[Native.STATUS_STALE_EXTENSIONS];
    }

    /** @return fetches that panicked (caught; each a failed round) */
    public long getPanics() {
        return numbers[Native.STATUS_PANICS];
    }

    /** @return resumes after a suspend noticed by the background task */
    public long getResumes() {
        return numbers[Native.STATUS_RESUMES];
    }

    /**
     * @return rejections reported for the cached credentials
     *     ({@link FreshCredentialsSource#invalidate}); reports of a key already replaced are not counted
     */
    public long getInvalidations() {
        return numbers[Native.STATUS_INVALIDATIONS];
    }

    /** @return local minus server time, as last measured from a {@code Date} header */
    public Duration getClockSkew() {
        return Duration.ofMillis(numbers[Native.STATUS_SKEW]);
    }

    /** Every field; there is no secret among them. */
    @Override
    public String toString() {
        return "FreshCredentialsStatus{source=" + source + ", accessKeyId=" + accessKeyId
                + ", expiration=" + getExpiration() + ", expiresIn=" + getExpiresIn()
                + ", refreshIn=" + getRefreshIn() + ", stale=" + isStale()
                + (lastError == null ? "" : ", lastError=" + lastError + ", lastErrorKind=" + lastErrorKind)
                + ", rounds=" + getRounds() + ", refreshes=" + getRefreshes() + ", failures=" + getFailures()
                + ", staleExtensions=" + getStaleExtensions() + ", invalidations=" + getInvalidations() + ", clockSkew=" + getClockSkew() + "}";
    }
}

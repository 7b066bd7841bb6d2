package dev.freshcreds;

/**
 * The JMX view of one {@link FreshCredentialsSource}, registered as
 * {@code dev.freshcreds:type=FreshCredentialsSource,name=<shared | source-N>} by the library's
 * {@code freshcreds-jmx} thread shortly after the source is created, and unregistered when it is
 * closed. It has one attribute per field of {@link FreshCredentialsStatus#fields()} (this
 * interface names them all, for {@code JMX.newMXBeanProxy}; a test keeps the two equal).
 * {@code -Dfreshcreds.jmx=false} switches registration off. Each attribute reads the native
 * state afresh; none is a secret. Durations are milliseconds; {@code null} where there is no
 * value (no credentials yet, long-term keys, nothing scheduled).
 *
 * <p>By default the view names kinds, not identities: {@link #getSource()} and
 * {@link #getLastError()} give the source's and the error's kind, and {@link #getAccessKeyId()}
 * only the key's last four characters, as {@code aws configure list} does. Where JMX access is
 * authorised (authenticated remote JMX, or local only), {@code -Dfreshcreds.jmx.details=full}
 * shows the full texts, which may name profiles, roles, accounts and endpoints.
 */
public interface FreshCredentialsSourceMXBean {
    /** @return the source's kind (e.g. {@code Profile/AssumeRole}); its full name with {@code -Dfreshcreds.jmx.details=full} */
    String getSource();

    /** @return the source's kind, e.g. {@code Profile/AssumeRole} */
    String getSourceKind();

    /** @return the access key id of the cached credentials masked but for its last four characters (in full with {@code -Dfreshcreds.jmx.details=full}), or null */
    String getAccessKeyId();

    /** @return millis until the real expiry (negative once expired), or null */
    Long getExpiresInMillis();

    /** @return millis until the next scheduled refresh, or null */
    Long getRefreshInMillis();

    /** @return true while expired credentials are served because refreshing fails */
    boolean isStale();

    /** @return the last refresh round's error kind (its full text with {@code -Dfreshcreds.jmx.details=full}), or null */
    String getLastError();

    /** @return the last refresh round's error kind (e.g. {@code TIMEOUT}), or null */
    String getLastErrorKind();

    /** @return refresh rounds started */
    long getRounds();

    /** @return rounds that produced new credentials */
    long getRefreshes();

    /** @return failed rounds */
    long getFailures();

    /** @return static-stability extensions (expired credentials served on) */
    long getStaleExtensions();

    /** @return resumes after a suspend */
    long getResumes();

    /** @return rejections of the cached credentials reported through {@link FreshCredentialsSource#invalidate} */
    long getInvalidations();

    /** @return local minus server time, millis */
    long getClockSkewMillis();

    /** @return the expiry handed to other processes (RFC 3339, local time), or null */
    String getServedExpiration();

    /** @return local wall time of the report (RFC 3339) */
    String getReportedAt();

    /** @return the expiration the source stated (RFC 3339, server time), or null */
    String getExpiration();

    /** @return the expiration the source stated, epoch millis, or null */
    Long getExpirationEpochMillis();

    /** @return while stale, millis until the static-stability extension ends, or null */
    Long getExtensionEndsInMillis();

    /** @return answers whose credentials were already expired */
    long getStaleResponses();

    /** @return rounds that found the source still serving the cached credentials */
    long getUnrotatedPolls();

    /** @return fetches that panicked (caught; each a failed round) */
    long getPanics();

    /** @return answers whose {@code Date} header was implausibly far from local time */
    long getUntrustedDates();
}

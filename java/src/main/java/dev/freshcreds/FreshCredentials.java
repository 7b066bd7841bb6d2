package dev.freshcreds;

import java.time.Instant;

import dev.freshcreds.internal.NativeLoader;

/**
 * An immutable set of AWS credentials as served by a {@link FreshCredentialsSource}.
 *
 * <p>{@link #toString()} shows the access key id, the source and the expiry only, never the
 * secret access key or the session token.
 */
public final class FreshCredentials {
    private final String accessKeyId;
    private final String secretAccessKey;
    private final String sessionToken;
    private final Instant expiration;
    private final String source;
    private final boolean stale;
    private final String accountId;

    /**
     * Creates credentials that belong to a known AWS account.
     *
     * @param accessKeyId the access key id
     * @param secretAccessKey the secret access key
     * @param sessionToken the session token of temporary credentials, or {@code null}
     * @param expiration when they expire, or {@code null} for long-term keys
     * @param source the name of the source that produced them
     * @param stale whether they are past their expiry and served only because refreshing fails
     * @param accountId the AWS account id, or {@code null} when not known
     */
    public FreshCredentials(
            String accessKeyId,
            String secretAccessKey,
            String sessionToken,
            Instant expiration,
            String source,
            boolean stale,
            String accountId) {
        if (accessKeyId == null || secretAccessKey == null) {
            throw new NullPointerException("accessKeyId and secretAccessKey are required");
        }
        this.accessKeyId = accessKeyId;
        this.secretAccessKey = secretAccessKey;
        this.sessionToken = sessionToken;
        this.expiration = expiration;
        this.source = source == null ? "" : source;
        this.stale = stale;
        this.accountId = accountId;
    }

    /**
     * Creates credentials.
     *
     * @param accessKeyId the access key id
     * @param secretAccessKey the secret access key
     * @param sessionToken the session token of temporary credentials, or {@code null}
     * @param expiration when they expire, or {@code null} for long-term keys
     * @param source the name of the source that produced them
     * @param stale whether they are past their expiry and served only because refreshing fails
     */
    public FreshCredentials(String accessKeyId, String secretAccessKey, String sessionToken,
            Instant expiration, String source, boolean stale) {
        this(accessKeyId, secretAccessKey, sessionToken, expiration, source, stale, null);
    }

    /** @return the access key id */
    public String getAccessKeyId() {
        return accessKeyId;
    }

    /** @return the secret access key; never log it */
    public String getSecretAccessKey() {
        return secretAccessKey;
    }

    /** @return the session token, or {@code null} for long-term keys; never log it */
    public String getSessionToken() {
        return sessionToken;
    }

    /** @return when the credentials expire, or {@code null} for long-term keys */
    public Instant getExpiration() {
        return expiration;
    }

    /** @return the name of the source that produced the credentials */
    public String getSource() {
        return source;
    }

    /**
     * The AWS account the credentials belong to, when the source knows it: a profile's
     * {@code aws_account_id}, the IAM Identity Center account, the account of an assumed role's
     * ARN. The SDK v2 adapter hands it to the SDK (account-based endpoints).
     *
     * @return the account id, or {@code null}
     */
    public String getAccountId() {
        return accountId;
    }

    /**
     * Whether these credentials are past their expiry and served only because every refresh
     * failed (static stability): AWS may reject them.
     *
     * @return true when stale
     */
    public boolean isStale() {
        return stale;
    }

    /**
     * Whether the native library loads on this platform (trying once, like netty's
     * {@code Epoll.isAvailable()}); never throws. When false, an application can fall back to
     * the AWS SDK's own provider:
     *
     * <pre>{@code
     * AwsCredentialsProvider provider = FreshCredentials.isAvailable()
     *         ? FreshAwsCredentialsProvider.create()
     *         : DefaultCredentialsProvider.create();
     * }</pre>
     *
     * @return true when freshcreds' providers can be created
     */
    public static boolean isAvailable() {
        return NativeLoader.isAvailable();
    }

    /**
     * Why the native library does not load: its first line names the os, the architecture, the
     * libc, the operating system's reason and the fix.
     *
     * @return the load failure, or {@code null} when {@link #isAvailable()} is true
     */
    public static Throwable unavailabilityCause() {
        return NativeLoader.unavailabilityCause();
    }

    /** Whether {@code other} holds the same values (what a source serves unchanged). */
    boolean sameAs(FreshCredentials other) {
        return accessKeyId.equals(other.accessKeyId)
                && secretAccessKey.equals(other.secretAccessKey)
                && eq(sessionToken, other.sessionToken)
                && eq(expiration, other.expiration)
                && source.equals(other.source)
                && stale == other.stale
                && eq(accountId, other.accountId);
    }

    private static boolean eq(Object a, Object b) {
        return a == null ? b == null : a.equals(b);
    }

    @Override
    public String toString() {
        return "FreshCredentials{accessKeyId=" + accessKeyId
                + ", source=" + source
                + ", expiration=" + (expiration == null ? "never" : expiration.toString())
                + (stale ? ", stale" : "")
                + "}";
    }
}

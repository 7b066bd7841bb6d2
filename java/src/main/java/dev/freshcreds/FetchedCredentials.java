package dev.freshcreds;

import java.time.Instant;

/**
 * What a {@link CredentialsFetcher} returns: credentials and when they expire. {@link #toString()}
 * shows the access key id and the expiry only.
 */
public final class FetchedCredentials {
    private final String accessKeyId;
    private final String secretAccessKey;
    private final String sessionToken;
    private final Instant expiration;

    private FetchedCredentials(String accessKeyId, String secretAccessKey, String sessionToken,
            Instant expiration) {
        this.accessKeyId = accessKeyId;
        this.secretAccessKey = secretAccessKey;
        this.sessionToken = sessionToken;
        this.expiration = expiration;
    }

    /**
     * Temporary credentials. Whatever is missing or wrong (a null, a blank, an expiry more than
     * seven days ahead) fails the refresh round with a message naming the fetcher, and the
     * source keeps serving what it has.
     *
     * @param accessKeyId the access key id
     * @param secretAccessKey the secret access key
     * @param sessionToken the session token, or null
     * @param expiration when they expire
     * @return the credentials
     */
    public static FetchedCredentials of(String accessKeyId, String secretAccessKey, String sessionToken,
            Instant expiration) {
        return new FetchedCredentials(accessKeyId, secretAccessKey, sessionToken, expiration);
    }

    /**
     * Long-term keys that do not expire (fetched once, never refreshed).
     *
     * @param accessKeyId the access key id
     * @param secretAccessKey the secret access key
     * @return the credentials
     */
    public static FetchedCredentials longTerm(String accessKeyId, String secretAccessKey) {
        return new FetchedCredentials(accessKeyId, secretAccessKey, null, null);
    }

    /**
     * The access key id.
     *
     * @return the access key id
     */
    public String accessKeyId() {
        return accessKeyId;
    }

    /**
     * The secret access key.
     *
     * @return the secret
     */
    public String secretAccessKey() {
        return secretAccessKey;
    }

    /**
     * The session token.
     *
     * @return the token, or null
     */
    public String sessionToken() {
        return sessionToken;
    }

    /**
     * When they expire.
     *
     * @return the expiry, or null for long-term keys
     */
    public Instant expiration() {
        return expiration;
    }

    /** The access key id and the expiry; never the secret or the token. */
    @Override
    public String toString() {
        return "FetchedCredentials{accessKeyId=" + accessKeyId + ", expiration=" + expiration + "}";
    }
}

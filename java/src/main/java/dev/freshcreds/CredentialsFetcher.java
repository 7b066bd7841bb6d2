package dev.freshcreds;

/**
 * Code that fetches AWS credentials from somewhere freshcreds does not know (a data catalog
 * that vends them, a vault, an in-house broker), for a {@link FreshCredentialsSource} built with
 * {@link FreshCredentialsSource#fromFetcher(String, CredentialsFetcher)}. The source calls it
 * from its background refresh only (never on a caller's thread, one call at a time), early
 * before the credentials expire, and keeps serving the last credentials, flagged stale, while
 * it fails.
 *
 * <p>A call may block (it runs on a native refresh thread attached to the JVM for the call), but
 * not past the source's call timeout: a call that takes longer fails the round as a timeout, and
 * the fetcher is not called again until it returns.
 */
@FunctionalInterface
public interface CredentialsFetcher {
    /**
     * Fetches credentials once.
     *
     * @return the credentials and their expiry; never null
     * @throws CredentialsFetchException to say whether trying again soon may help
     * @throws Exception any other failure counts as retryable
     */
    FetchedCredentials fetch() throws Exception;
}

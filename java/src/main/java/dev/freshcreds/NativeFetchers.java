package dev.freshcreds;

/**
 * The native methods that build a provider over Java code ({@link FetcherBridge}). The handles
 * they return are those of {@link Native}, used and closed the same way.
 */
final class NativeFetchers {
    private NativeFetchers() {
    }

    /**
     * A provider over a fetcher.
     *
     * @param keys option keys (refresh and network options only)
     * @param values option values
     * @param name the fetcher's name (the source is {@code Fetcher(name)})
     * @param bridge the bridge to the fetcher
     * @param callTimeoutMillis how long one call may take
     * @return a handle
     */
    static native long createFetcher(String[] keys, String[] values, String name, Object bridge,
            long callTimeoutMillis);

    /**
     * A provider that assumes the options' {@code roleArn} with web identity tokens.
     *
     * @param keys option keys (refresh, network and role options)
     * @param values option values
     * @param bridge the bridge to the token supplier
     * @param callTimeoutMillis how long one call may take
     * @return a handle
     */
    static native long createTokenSupplier(String[] keys, String[] values, Object bridge,
            long callTimeoutMillis);
}

package dev.freshcreds.sdkv1;

import java.util.logging.Level;
import java.util.logging.Logger;

import com.amazonaws.AmazonClientException;
import com.amazonaws.AmazonServiceException;
import com.amazonaws.AmazonWebServiceRequest;
import com.amazonaws.handlers.HandlerContextKey;
import com.amazonaws.retry.RetryPolicy;
import dev.freshcreds.RejectionCodes;

/**
 * An SDK v1 retry condition that retries a call once when AWS rejects the credentials of a
 * {@link FreshCredentialsProvider} before their expiry ({@link RejectionCodes}): it reports the
 * rejected key to the provider's source, which replaces it (one refresh round, shared by every
 * caller), and retries when the source has new credentials; SDK v1 signs every attempt with
 * {@code provider.getCredentials()}, so the retry carries them. Every other decision is the
 * wrapped condition's. Bounded: at most {@value #MAX_RETRIES_PER_CALL} such retry per call.
 *
 * <p>The rejected key is the one {@link RejectionHandler} noted before the attempt; without that
 * handler on the client, the key the provider serves now.
 */
public final class RejectionRetryCondition implements RetryPolicy.RetryCondition {
    /** The most retries this condition adds to one call. */
    public static final int MAX_RETRIES_PER_CALL = 1;

    private static final HandlerContextKey<Integer> RETRIES =
            new HandlerContextKey<Integer>("dev.freshcreds.RetriesAfterRejection");
    private static final Logger LOG = Logger.getLogger("dev.freshcreds.rejection");

    private final FreshCredentialsProvider provider;
    private final RetryPolicy.RetryCondition delegate;

    /**
     * A condition for clients built with {@code provider}.
     *
     * @param provider the client's credentials provider
     * @param delegate decides every other case (for example
     *     {@code PredefinedRetryPolicies.DEFAULT_RETRY_CONDITION})
     */
    public RejectionRetryCondition(FreshCredentialsProvider provider, RetryPolicy.RetryCondition delegate) {
        if (provider == null || delegate == null) {
            throw new NullPointerException(provider == null ? "provider" : "delegate");
        }
        this.provider = provider;
        this.delegate = delegate;
    }

    @Override
    public boolean shouldRetry(AmazonWebServiceRequest request, AmazonClientException exception, int retriesAttempted) {
        if (!(exception instanceof AmazonServiceException)
                || !RejectionCodes.isRejection(((AmazonServiceException) exception).getErrorCode())
                || request == null || !RejectionHandler.servedBy(request, provider)) {
            return delegate.shouldRetry(request, exception, retriesAttempted);
        }
        String rejected = request.getHandlerContext(RejectionHandler.SIGNING_KEY);
        boolean replaced;
        try {
            if (rejected == null) {
                rejected = provider.getCredentials().getAWSAccessKeyId();
            }
            replaced = provider.source().invalidate(rejected);
        } catch (RuntimeException failure) {
            // A source that cannot be asked (closed, failing): no retry, the call's error stands.
            LOG.log(Level.WARNING, "could not report the rejected credentials " + rejected + ": " + failure);
            return false;
        }
        Integer retries = request.getHandlerContext(RETRIES);
        int done = retries == null ? 0 : retries;
        if (!replaced || done >= MAX_RETRIES_PER_CALL) {
            LOG.log(Level.FINE, "credentials {0} rejected; {1}", new Object[] {rejected,
                replaced ? "already retried once in this call" : "nothing newer to retry with"});
            return false;
        }
        request.addHandlerContext(RETRIES, done + 1);
        LOG.log(Level.INFO, "credentials {0} were rejected ({1}) before their expiry; retrying the call once",
                new Object[] {rejected, ((AmazonServiceException) exception).getErrorCode()});
        return true;
    }
}

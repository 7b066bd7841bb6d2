package dev.freshcreds.sdkv1;

import java.util.logging.Level;
import java.util.logging.Logger;

import com.amazonaws.AmazonServiceException;
import com.amazonaws.AmazonWebServiceRequest;
import com.amazonaws.Request;
import com.amazonaws.Response;
import com.amazonaws.auth.AWSCredentialsProvider;
import com.amazonaws.handlers.HandlerBeforeAttemptContext;
import com.amazonaws.handlers.HandlerContextKey;
import com.amazonaws.handlers.RequestHandler2;
import dev.freshcreds.RejectionCodes;

/**
 * The SDK v1 request handler of a {@link FreshCredentialsProvider} (from
 * {@link FreshCredentialsProvider#rejectionHandler()}): notes which key each attempt is signed
 * with, for {@link FreshCredentialsProvider#retryPolicy()}, and when a call fails with a
 * credential rejection ({@link RejectionCodes}) reports the key it was signed with to the
 * provider's source ({@link dev.freshcreds.FreshCredentialsSource#invalidate(String)}), so that
 * the next call gets new credentials. Requests that carry another request-level credentials
 * provider are left alone.
 */
public final class RejectionHandler extends RequestHandler2 {
    /** The access key id an attempt is about to be signed with (set before each attempt). */
    static final HandlerContextKey<String> SIGNING_KEY = new HandlerContextKey<String>("dev.freshcreds.SigningKey");

    private static final Logger LOG = Logger.getLogger("dev.freshcreds.rejection");
    private final FreshCredentialsProvider provider;

    /**
     * A handler for clients built with {@code provider}.
     *
     * @param provider the client's credentials provider
     */
    public RejectionHandler(FreshCredentialsProvider provider) {
        if (provider == null) {
            throw new NullPointerException("provider");
        }
        this.provider = provider;
    }

    @Override
    public void beforeAttempt(HandlerBeforeAttemptContext context) {
        Request<?> request = context.getRequest();
        AmazonWebServiceRequest original = request.getOriginalRequest();
        if (original != null && servedBy(original, provider)) {
            // The SDK signs right after this with provider.getCredentials(): the same snapshot.
            try {
                original.addHandlerContext(SIGNING_KEY, provider.getCredentials().getAWSAccessKeyId());
            } catch (RuntimeException e) {
                // No credentials: the SDK's own getCredentials() reports it in a moment.
            }
        }
    }

    @Override
    public void afterError(Request<?> request, Response<?> response, Exception e) {
        AmazonWebServiceRequest original = request.getOriginalRequest();
        if (original != null && servedBy(original, provider)) {
            invalidateIfRejected(provider, request, e);
        }
    }

    /** Whether the request is signed with {@code provider}'s credentials (no other request-level provider). */
    static boolean servedBy(AmazonWebServiceRequest request, FreshCredentialsProvider provider) {
        AWSCredentialsProvider own = request.getRequestCredentialsProvider();
        return own == null || own == provider;
    }

    /** Reports the key of a rejected request to the provider's source; true when it was a rejection. */
    static boolean invalidateIfRejected(FreshCredentialsProvider provider, Request<?> request, Exception e) {
        if (!(e instanceof AmazonServiceException)
                || !RejectionCodes.isRejection(((AmazonServiceException) e).getErrorCode())) {
            return false;
        }
        String rejected = accessKeyIdOf(request.getHeaders().get("Authorization"));
        if (rejected == null) {
            return false;
        }
        try {
            provider.source().invalidate(rejected);
        } catch (RuntimeException failure) {
            LOG.log(Level.FINE, "could not report the rejected credentials", failure);
        }
        return true;
    }

    /**
     * The access key id of a SigV4 {@code Authorization} header
     * ({@code AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...}).
     *
     * @param authorization the header, or null
     * @return the key, or null when the header has none
     */
    static String accessKeyIdOf(String authorization) {
        if (authorization == null) {
            return null;
        }
        int at = authorization.indexOf("Credential=");
        if (at < 0) {
            return null;
        }
        int start = at + "Credential=".length();
        int end = authorization.indexOf('/', start);
        return end > start ? authorization.substring(start, end) : null;
    }
}

package dev.freshcreds;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

/**
 * The AWS error codes that mean "these credentials are no longer accepted" although they have not
 * reached their stated expiry: a role session revoked ("Revoke active sessions"), an instance
 * profile replaced, a session invalidated by STS. On one of these the SDK adapters report the
 * rejected key to {@link FreshCredentialsSource#invalidate(String)} and retry the call once with
 * the new credentials.
 *
 * <p>The list follows the cross-SDK credential refresh specification and AWS SDK for Java v2's
 * invalidation work ({@code IdentityProvider.invalidate}): the expired-token codes of the query
 * and XML protocols ({@code ExpiredToken}) and of the JSON protocols
 * ({@code ExpiredTokenException}), and the invalid-token codes an STS session gets once it was
 * revoked or its role was replaced ({@code InvalidClientTokenId}, query/XML;
 * {@code UnrecognizedClientException}, JSON). Not in it, on purpose: signature and clock errors
 * ({@code SignatureDoesNotMatch}, {@code InvalidSignatureException}, {@code RequestExpired},
 * {@code RequestTimeTooSkewed}: the clock-skew handling owns those), {@code AuthFailure} (EC2 uses
 * it for authorization failures too) and {@code AccessDenied} (a policy, not the credentials).
 */
public final class RejectionCodes {
    /** The error codes of a credential rejection, compared exactly (AWS codes are case-sensitive). */
    public static final Set<String> CODES = Collections.unmodifiableSet(new HashSet<String>(Arrays.asList(
            "ExpiredToken",
            "ExpiredTokenException",
            "InvalidClientTokenId",
            "UnrecognizedClientException")));

    private RejectionCodes() {
    }

    /**
     * Whether an AWS error code says the request's credentials were rejected.
     *
     * @param errorCode the code (null for none)
     * @return true for the codes in {@link #CODES}
     */
    public static boolean isRejection(String errorCode) {
        return errorCode != null && CODES.contains(errorCode);
    }
}

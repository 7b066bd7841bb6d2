package dev.freshcreds.sdkv2;

import java.io.InputStream;
import java.util.Optional;
import java.util.function.Supplier;

import dev.freshcreds.RejectionCodes;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * Saves the SDK v2 call whose credentials AWS rejects before their expiry ({@link RejectionCodes}:
 * {@code ExpiredToken} after a session was revoked, an instance profile replaced): it reports the
 * rejected key to the {@link dev.freshcreds.FreshCredentialsSource#invalidate(String) source},
 * which replaces it in one refresh round, and has the SDK's own retry send the same request
 * again, once, signed with the new credentials.
 *
 * <p>It acts only on calls whose credentials came from a {@link FreshAwsCredentialsProvider}
 * (built into the client, or given by the global hook {@link GlobalInterceptor}); calls of
 * clients with another provider are left alone. With the Java agent, or with
 * {@code freshcreds-<version>-global.jar} beside the SDK, it is in the SDK's global interceptor
 * list ({@code software/amazon/awssdk/global/handlers/execution.interceptors}), so every client
 * has it without configuration; otherwise add it to the clients
 * ({@code overrideConfiguration(o -> o.addExecutionInterceptor(new RejectionInterceptor()))}),
 * which is also harmless next to the global one (a call is handled once).
 *
 * <p>How (SDK v2 2.21 and later, synchronous clients): the SDK resolves the identity once per call
 * but signs every attempt with the identity in the execution attribute
 * {@code SdkInternalExecutionAttribute.SELECTED_AUTH_SCHEME} (an internal SDK API). On a
 * rejected attempt's response ({@code modifyHttpResponse}, which runs per attempt before the
 * error is parsed) this interceptor reads the error code from the body (kept and handed back
 * unchanged), invalidates the key, puts the new credentials into that attribute and, for this one
 * attempt, presents the response to the retry logic as HTTP {@value #RETRY_STATUS}, which every
 * SDK retry strategy retries. Bounded: at most {@value #MAX_RETRIES_PER_CALL} such retry per call
 * (a rejection of the new key in the same call is reported, not retried), only when the source has
 * other credentials than the rejected ones, and the source runs at most one invalidation round per
 * backoff period. The retry goes through the client's retry strategy: with retries switched off
 * (or its retry budget spent) the call fails with the service's error, whose status code then
 * reads {@value #RETRY_STATUS}.
 *
 * <p>Asynchronous clients do not expose the error body per attempt: there the rejected key is
 * invalidated when the call fails ({@code onExecutionFailure}), so the next call succeeds, but the
 * rejected call is not retried.
 *
 * <p>The SDK fails to build a client when a declared interceptor cannot be loaded, so this class
 * links against nothing but the SDK's interceptor API; the work is done by a class of its own,
 * and when that cannot link in the application's SDK (another SDK version, a missing module) a
 * warning is logged once and rejected calls are left to the SDK.
 */
public final class RejectionInterceptor implements ExecutionInterceptor {
    /** The status a rejected attempt is presented to the retry logic with (retried by every SDK retry strategy). */
    public static final int RETRY_STATUS = 503;
    /** The most retries this interceptor adds to one call. */
    public static final int MAX_RETRIES_PER_CALL = 1;

    /** Created by the SDK for every client (global interceptor), or by an application. */
    public RejectionInterceptor() {
    }

    @Override
    public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        return unlessUnlinkable(() -> RejectionRetries.modifyHttpResponse(context, attributes),
                context::httpResponse);
    }

    @Override
    public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        return unlessUnlinkable(() -> RejectionRetries.modifyHttpResponseContent(context, attributes),
                context::responseBody);
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        unlessUnlinkable(() -> {
            RejectionRetries.onExecutionFailure(context, attributes);
            return null;
        }, () -> null);
    }

    /**
     * What {@code work} (done by {@link RejectionRetries}) answers; {@code sdkOwn}'s answer, the
     * SDK's own value, when this SDK lacks what that work links against: found now (warned once
     * by {@link GlobalInterceptor#cannotLink}) or by an earlier call.
     */
    private static <T> T unlessUnlinkable(Supplier<T> work, Supplier<T> sdkOwn) {
        if (!GlobalInterceptor.unusable) {
            try {
                return work.get();
            } catch (LinkageError e) {
                GlobalInterceptor.cannotLink(e);
            }
        }
        return sdkOwn.get();
    }
}

package dev.freshcreds.sdkv2;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.freshcreds.RejectionCodes;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SelectedAuthScheme;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.SdkInternalExecutionAttribute;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.Identity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.identity.spi.IdentityProviders;

/**
 * What {@link RejectionInterceptor} does: see there. A class of its own so that the interceptor
 * the SDK loads links against nothing but the SDK's interceptor API (an SDK without what this
 * class uses then gets a warning, not a failed client build).
 */
final class RejectionRetries {
    private static final int RETRY_STATUS = RejectionInterceptor.RETRY_STATUS;
    private static final int MAX_RETRIES_PER_CALL = RejectionInterceptor.MAX_RETRIES_PER_CALL;
    /** The largest error body read to find the error code (AWS error documents are a few hundred bytes). */
    static final int MAX_ERROR_BODY_BYTES = 64 * 1024;

    private static final Logger LOG = Logger.getLogger("dev.freshcreds.rejection");
    private static final ExecutionAttribute<AtomicReference<InputStream>> BODY =
            new ExecutionAttribute<AtomicReference<InputStream>>("dev.freshcreds.RejectedBody");
    private static final ExecutionAttribute<AtomicLong> RETRIES =
            new ExecutionAttribute<AtomicLong>("dev.freshcreds.RetriesAfterRejection");
    private static final ExecutionAttribute<Boolean> HANDLED =
            new ExecutionAttribute<Boolean>("dev.freshcreds.RejectionHandled");
    /** {@code <Code>X</Code>} of the query and XML protocols. */
    private static final Pattern XML_CODE = Pattern.compile("<Code>\\s*([^<\\s]+)\\s*</Code>");
    /** {@code "__type": "ns#X"} or {@code "code": "X"} of the JSON protocols. */
    private static final Pattern JSON_CODE = Pattern.compile("\"(?:__type|code|Code)\"\\s*:\\s*\"(?:[^\"#]*#)?([^\"]+)\"");

    private RejectionRetries() {
    }

    static SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        SdkHttpResponse response = context.httpResponse();
        int status = response.statusCode();
        if (status != 400 && status != 401 && status != 403) {
            return response;
        }
        FreshAwsCredentialsProvider fresh = freshProvider(attributes);
        Optional<InputStream> body = context.responseBody();
        if (fresh == null || !body.isPresent() || Boolean.TRUE.equals(attributes.getAttribute(HANDLED))) {
            return response;
        }
        InputStream in = body.get();
        byte[] bytes = readBounded(in);
        AtomicReference<InputStream> kept = attributes.getAttribute(BODY);
        if (kept == null) {
            kept = new AtomicReference<InputStream>();
            attributes.putAttribute(BODY, kept);
        }
        // The SDK reads the body as it was: what was read, then the rest of a long one.
        kept.set(bytes.length < MAX_ERROR_BODY_BYTES ? new ByteArrayInputStream(bytes)
                : new SequenceInputStream(new ByteArrayInputStream(bytes), in));
        String code = errorCode(response, bytes);
        if (!RejectionCodes.isRejection(code)) {
            return response;
        }
        SelectedAuthScheme<?> selected = attributes.getAttribute(SdkInternalExecutionAttribute.SELECTED_AUTH_SCHEME);
        String rejected = accessKeyId(selected);
        if (rejected == null) {
            return response;
        }
        boolean replaced = invalidate(fresh, rejected);
        AtomicLong retries = attributes.getAttribute(RETRIES);
        if (retries == null) {
            retries = new AtomicLong();
            attributes.putAttribute(RETRIES, retries);
        }
        if (!replaced || retries.get() >= MAX_RETRIES_PER_CALL) {
            attributes.putAttribute(HANDLED, Boolean.TRUE);
            LOG.log(Level.FINE, "credentials {0} rejected ({1}); {2}", new Object[] {rejected, code,
                replaced ? "already retried once in this call" : "nothing newer to retry with"});
            return response;
        }
        AwsCredentialsIdentity next = fresh.resolveCredentials();
        attributes.putAttribute(SdkInternalExecutionAttribute.SELECTED_AUTH_SCHEME, withIdentity(selected, next));
        retries.incrementAndGet();
        LOG.log(Level.INFO, "credentials {0} were rejected ({1}) before their expiry; retrying the call once with {2}",
                new Object[] {rejected, code, next.accessKeyId()});
        return response.toBuilder().statusCode(RETRY_STATUS).build();
    }

    static Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        AtomicReference<InputStream> kept = attributes.getAttribute(BODY);
        InputStream replacement = kept == null ? null : kept.getAndSet(null);
        return replacement != null ? Optional.of(replacement) : context.responseBody();
    }

    /** Asynchronous clients, and anything the per-attempt path did not see: invalidate only. */
    static void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        if (Boolean.TRUE.equals(attributes.getAttribute(HANDLED))) {
            return;
        }
        Throwable e = context.exception();
        if (!(e instanceof AwsServiceException)) {
            return;
        }
        AwsServiceException service = (AwsServiceException) e;
        String code = service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorCode();
        if (!RejectionCodes.isRejection(code)) {
            return;
        }
        FreshAwsCredentialsProvider fresh = freshProvider(attributes);
        String rejected = accessKeyId(attributes.getAttribute(SdkInternalExecutionAttribute.SELECTED_AUTH_SCHEME));
        if (fresh != null && rejected != null) {
            invalidate(fresh, rejected);
        }
    }

    /** Reports the rejected key; a source that cannot be asked (closed, failing) means no retry. */
    private static boolean invalidate(FreshAwsCredentialsProvider fresh, String rejected) {
        try {
            return fresh.source().invalidate(rejected);
        } catch (RuntimeException failure) {
            LOG.log(Level.WARNING, "could not report the rejected credentials " + rejected + ": " + failure);
            return false;
        }
    }

    /** The freshcreds provider this call resolves its credentials from, or null. */
    private static FreshAwsCredentialsProvider freshProvider(ExecutionAttributes attributes) {
        IdentityProviders providers = attributes.getAttribute(SdkInternalExecutionAttribute.IDENTITY_PROVIDERS);
        if (providers == null) {
            return null;
        }
        IdentityProvider<AwsCredentialsIdentity> p = providers.identityProvider(AwsCredentialsIdentity.class);
        return p instanceof FreshAwsCredentialsProvider ? (FreshAwsCredentialsProvider) p : null;
    }

    /** The access key id the attempt was signed with, or null when it is not an AWS credentials identity. */
    private static String accessKeyId(SelectedAuthScheme<?> selected) {
        if (selected == null) {
            return null;
        }
        CompletableFuture<? extends Identity> identity = selected.identity();
        if (identity == null || !identity.isDone() || identity.isCompletedExceptionally()) {
            return null;
        }
        Identity id = identity.join();
        return id instanceof AwsCredentialsIdentity ? ((AwsCredentialsIdentity) id).accessKeyId() : null;
    }

    @SuppressWarnings("unchecked")
    private static <T extends Identity> SelectedAuthScheme<T> withIdentity(SelectedAuthScheme<T> selected, Identity identity) {
        return new SelectedAuthScheme<T>(CompletableFuture.completedFuture((T) identity), selected.signer(),
                selected.authSchemeOption());
    }

    /** The AWS error code of a response: the JSON protocols' header, else the body's. */
    static String errorCode(SdkHttpResponse response, byte[] body) {
        Optional<String> type = response.firstMatchingHeader("x-amzn-ErrorType");
        if (type.isPresent()) {
            String t = type.get();
            int colon = t.indexOf(':');
            return colon < 0 ? t.trim() : t.substring(0, colon).trim();
        }
        String text = new String(body, java.nio.charset.StandardCharsets.UTF_8);
        Matcher m = XML_CODE.matcher(text);
        if (m.find()) {
            return m.group(1);
        }
        m = JSON_CODE.matcher(text);
        return m.find() ? m.group(1) : null;
    }

    private static byte[] readBounded(InputStream in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        try {
            int n;
            while (out.size() < MAX_ERROR_BODY_BYTES && (n = in.read(buffer, 0, Math.min(buffer.length,
                    MAX_ERROR_BODY_BYTES - out.size()))) > 0) {
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            LOG.log(Level.FINE, "could not read an error response", e);
        }
        return out.toByteArray();
    }
}

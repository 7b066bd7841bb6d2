package dev.freshcreds.sdkv1;

import java.io.Closeable;
import java.time.Duration;

import com.amazonaws.SdkClientException;
import com.amazonaws.auth.AWSCredentials;
import com.amazonaws.auth.AWSCredentialsProvider;
import com.amazonaws.auth.BasicAWSCredentials;
import com.amazonaws.auth.BasicSessionCredentials;
import com.amazonaws.retry.PredefinedRetryPolicies;
import com.amazonaws.retry.RetryPolicy;

import dev.freshcreds.FreshCredentials;
import dev.freshcreds.FreshCredentialsException;
import dev.freshcreds.FreshCredentialsOptions;
import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.InsufficientValidityException;
import dev.freshcreds.internal.ConvertedCredentials;

/**
 * An AWS SDK for Java 1.x credentials provider backed by a {@link FreshCredentialsSource}:
 * credentials are refreshed early in the background, and {@link #getCredentials()} answers from
 * memory.
 *
 * <pre>{@code
 * AWSSecurityTokenService sts = AWSSecurityTokenServiceClientBuilder.standard()
 *     .withCredentials(new FreshCredentialsProvider())
 *     .build();
 * }</pre>
 */
public final class FreshCredentialsProvider implements AWSCredentialsProvider, Closeable {
    private final FreshCredentialsSource source;

    private final ConvertedCredentials<AWSCredentials> converted = new ConvertedCredentials<AWSCredentials>() {
        @Override
        protected AWSCredentials convert(FreshCredentials f) {
            return toSdk(f);
        }
    };

    /** A provider with the default options (the default chain, system properties applied). */
    public FreshCredentialsProvider() {
        this(FreshCredentialsOptions.defaults());
    }

    /**
     * A provider with these options.
     *
     * @param options the options
     */
    public FreshCredentialsProvider(FreshCredentialsOptions options) {
        this(FreshCredentialsSource.create(options));
    }

    /**
     * A provider over an existing source; closing the provider closes the source.
     *
     * @param source the source
     */
    public FreshCredentialsProvider(FreshCredentialsSource source) {
        if (source == null) {
            throw new NullPointerException("a source is required");
        }
        this.source = source;
    }

    /**
     * A provider of role credentials assumed with the default chain's credentials, refreshed
     * early in the background (the role session and, on its own, the base): the drop-in for
     * {@code new STSAssumeRoleSessionCredentialsProvider.Builder(roleArn, roleSessionName).build()}.
     * Other role settings: {@link FreshCredentialsOptions.Builder#assumeRole(String, String)}.
     *
     * @param roleArn the role's ARN
     * @param roleSessionName the role session name
     * @return a new provider; close it when done
     */
    public static FreshCredentialsProvider assumeRole(String roleArn, String roleSessionName) {
        return new FreshCredentialsProvider(
                FreshCredentialsOptions.builder().assumeRole(roleArn, roleSessionName).build());
    }

    /**
     * The current credentials: {@link BasicSessionCredentials} for temporary credentials,
     * {@link BasicAWSCredentials} for long-term keys.
     *
     * @throws SdkClientException when no credentials can be had, as the SDK's own providers
     *     throw it; its cause is the {@link FreshCredentialsException} with the kind and detail
     */
    @Override
    public AWSCredentials getCredentials() {
        try {
            return convert(source.credentials());
        } catch (FreshCredentialsException e) {
            throw new SdkClientException(e.getMessage(), e);
        }
    }

    /**
     * Credentials valid for at least {@code minimumValidity} from now, for work that outlives a
     * request (a presigned URL, a database token): see
     * {@link FreshCredentialsSource#credentials(Duration)}. Never shorter-lived ones.
     *
     * @param minimumValidity how long the credentials must stay valid, from now
     * @return {@link BasicSessionCredentials} that expire at least that far away, or
     *     {@link BasicAWSCredentials} for long-term keys
     * @throws InsufficientValidityException when the source cannot give that much; it says the
     *     longest validity available and when more may be
     * @throws SdkClientException when no credentials can be had at all (its cause is the
     *     {@link FreshCredentialsException})
     */
    public AWSCredentials getCredentials(Duration minimumValidity) {
        try {
            return convert(source.credentials(minimumValidity));
        } catch (InsufficientValidityException e) {
            throw e;
        } catch (FreshCredentialsException e) {
            throw new SdkClientException(e.getMessage(), e);
        }
    }

    /**
     * Forces a refresh now and waits for it.
     *
     * @throws SdkClientException when the refresh fails (cause: the {@link FreshCredentialsException})
     */
    @Override
    public void refresh() {
        try {
            convert(source.refresh());
        } catch (FreshCredentialsException e) {
            throw new SdkClientException(e.getMessage(), e);
        }
    }

    /**
     * The SDK's default retry policy, plus one retry of a call whose credentials AWS rejected
     * before their expiry ({@link RejectionRetryCondition}); give it to clients built with this
     * provider, with {@link #rejectionHandler()}:
     *
     * <pre>{@code
     * AmazonS3 s3 = AmazonS3ClientBuilder.standard()
     *     .withCredentials(provider)
     *     .withClientConfiguration(new ClientConfiguration().withRetryPolicy(provider.retryPolicy()))
     *     .withRequestHandlers(provider.rejectionHandler())
     *     .build();
     * }</pre>
     *
     * @return a retry policy (the default backoff and retry count)
     */
    public RetryPolicy retryPolicy() {
        return new RetryPolicy(new RejectionRetryCondition(this, PredefinedRetryPolicies.DEFAULT_RETRY_CONDITION),
                PredefinedRetryPolicies.DEFAULT_BACKOFF_STRATEGY, PredefinedRetryPolicies.DEFAULT_MAX_ERROR_RETRY, true);
    }

    /**
     * The request handler that goes with {@link #retryPolicy()}: notes the key each attempt is
     * signed with, and reports a rejected key when a call fails.
     *
     * @return a new handler bound to this provider
     */
    public RejectionHandler rejectionHandler() {
        return new RejectionHandler(this);
    }

    /**
     * The source behind this provider.
     *
     * @return the source
     */
    public FreshCredentialsSource source() {
        return source;
    }

    /** Stops the background refresh and frees the native side. */
    @Override
    public void close() {
        source.close();
    }

    private AWSCredentials convert(FreshCredentials f) {
        return converted.of(f);
    }

    private static AWSCredentials toSdk(FreshCredentials f) {
        return f.getSessionToken() == null
                ? new BasicAWSCredentials(f.getAccessKeyId(), f.getSecretAccessKey())
                : new BasicSessionCredentials(f.getAccessKeyId(), f.getSecretAccessKey(), f.getSessionToken());
    }

    @Override
    public String toString() {
        return "FreshCredentialsProvider{" + source + "}";
    }
}

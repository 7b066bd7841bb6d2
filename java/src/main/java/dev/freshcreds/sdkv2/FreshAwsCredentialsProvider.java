package dev.freshcreds.sdkv2;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import dev.freshcreds.FreshCredentials;
import dev.freshcreds.FreshCredentialsException;
import dev.freshcreds.FreshCredentialsOptions;
import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.InsufficientValidityException;
import dev.freshcreds.internal.ConvertedCredentials;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.ResolveIdentityRequest;
import software.amazon.awssdk.utils.SdkAutoCloseable;
import software.amazon.awssdk.utils.ToString;
import software.amazon.awssdk.utils.builder.CopyableBuilder;
import software.amazon.awssdk.utils.builder.ToCopyableBuilder;

/**
 * An AWS SDK for Java 2.x credentials provider backed by a {@link FreshCredentialsSource}:
 * credentials are refreshed early in the background, and {@link #resolveCredentials()} answers
 * from memory.
 *
 * <pre>{@code
 * StsClient sts = StsClient.builder()
 *     .credentialsProvider(FreshAwsCredentialsProvider.create())
 *     .build();
 * }</pre>
 */
public final class FreshAwsCredentialsProvider
        implements AwsCredentialsProvider, SdkAutoCloseable,
                ToCopyableBuilder<FreshAwsCredentialsProvider.Builder, FreshAwsCredentialsProvider> {
    private static final String PROVIDER_NAME = "FreshAwsCredentialsProvider";

    private final FreshCredentialsOptions options;
    private final FreshCredentialsSource source;

    /** Whether {@link #close()} closes the source: only one this provider created. */
    private final boolean ownsSource;

    private final ConvertedCredentials<AwsCredentials> converted = new ConvertedCredentials<AwsCredentials>() {
        @Override
        protected AwsCredentials convert(FreshCredentials f) {
            return toSdk(f);
        }
    };

    private FreshAwsCredentialsProvider(BuilderImpl builder) {
        if (builder.source != null) {
            this.source = builder.source;
            this.options = builder.source.options();
            this.ownsSource = false;
        } else {
            this.options = builder.options != null ? builder.options : FreshCredentialsOptions.defaults();
            this.source = FreshCredentialsSource.create(options);
            this.ownsSource = true;
        }
    }

    /**
     * A provider with the default options (the default chain, system properties applied).
     *
     * @return a new provider; close it when done
     */
    public static FreshAwsCredentialsProvider create() {
        return builder().build();
    }

    /**
     * A provider of role credentials assumed with the default chain's credentials, refreshed
     * early in the background (the role session and, on its own, the base): the drop-in for
     * {@code StsAssumeRoleCredentialsProvider.builder().stsClient(sts).refreshRequest(r -> r
     * .roleArn(roleArn).roleSessionName(roleSessionName)).build()}. Other role settings:
     * {@link FreshCredentialsOptions.Builder#assumeRole(String, String)}.
     *
     * @param roleArn the role's ARN
     * @param roleSessionName the role session name
     * @return a new provider; close it when done
     */
    public static FreshAwsCredentialsProvider assumeRole(String roleArn, String roleSessionName) {
        return builder()
                .options(FreshCredentialsOptions.builder().assumeRole(roleArn, roleSessionName).build())
                .build();
    }

    /**
     * A builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new BuilderImpl();
    }

    /**
     * The current credentials: {@link AwsSessionCredentials} (with their expiration time) for
     * temporary credentials, {@link AwsBasicCredentials} for long-term keys.
     *
     * @throws SdkClientException when no credentials can be had, as the SDK's own providers
     *     throw it; its cause is the {@link FreshCredentialsException} with the kind and detail
     */
    @Override
    public AwsCredentials resolveCredentials() {
        FreshCredentials f;
        try {
            f = source.credentials();
        } catch (FreshCredentialsException e) {
            throw SdkClientException.builder().message(e.getMessage()).cause(e).build();
        }
        return converted.of(f);
    }

    /**
     * The credentials as the SDK's identity API asks for them, never blocking the calling thread
     * (an asynchronous client resolves identities on its event loop): from the snapshot, a future
     * that is already complete; with none (the first fetch in flight, or the snapshot due), a
     * future that the library's {@code freshcreds-identity} thread completes with
     * {@link #resolveCredentials()}'s answer or failure.
     */
    @Override
    public CompletableFuture<AwsCredentialsIdentity> resolveIdentity(ResolveIdentityRequest request) {
        FreshCredentials cached = source.credentialsIfCached();
        if (cached != null) {
            return CompletableFuture.<AwsCredentialsIdentity>completedFuture(converted.of(cached));
        }
        final CompletableFuture<AwsCredentialsIdentity> result = new CompletableFuture<AwsCredentialsIdentity>();
        try {
            IdentityThread.EXECUTOR.execute(new Runnable() {
                @Override
                public void run() {
                    try {
                        result.complete(resolveCredentials());
                    } catch (RuntimeException | Error e) {
                        result.completeExceptionally(e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    /**
     * The one library thread that resolves identities for callers that must not block, started
     * on demand and stopped after {@value #IDLE_SECONDS} s idle. One is enough: callers queued
     * behind a first fetch are answered from the cache as soon as it completes.
     */
    private static final class IdentityThread implements ThreadFactory {
        static final long IDLE_SECONDS = 30;
        static final ThreadPoolExecutor EXECUTOR = executor();

        private static ThreadPoolExecutor executor() {
            ThreadPoolExecutor e = new ThreadPoolExecutor(1, 1, IDLE_SECONDS, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<Runnable>(), new IdentityThread());
            e.allowCoreThreadTimeOut(true);
            return e;
        }

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "freshcreds-identity");
            t.setDaemon(true);
            return t;
        }
    }

    /**
     * Credentials valid for at least {@code minimumValidity} from now, for work that outlives a
     * request (a presigned URL, a database token): see
     * {@link FreshCredentialsSource#credentials(Duration)}. Never shorter-lived ones.
     *
     * @param minimumValidity how long the credentials must stay valid, from now
     * @return {@link AwsSessionCredentials} whose expiration time is at least that far away,
     *     or {@link AwsBasicCredentials} for long-term keys
     * @throws InsufficientValidityException when the source cannot give that much; it says the
     *     longest validity available and when more may be
     * @throws SdkClientException when no credentials can be had at all (its cause is the
     *     {@link FreshCredentialsException})
     */
    public AwsCredentials resolveCredentials(Duration minimumValidity) {
        FreshCredentials f;
        try {
            f = source.credentials(minimumValidity);
        } catch (InsufficientValidityException e) {
            throw e;
        } catch (FreshCredentialsException e) {
            throw SdkClientException.builder().message(e.getMessage()).cause(e).build();
        }
        return converted.of(f);
    }

    private static AwsCredentials toSdk(FreshCredentials f) {
        if (f.getAccountId() != null && WithAccountId.SUPPORTED) {
            return WithAccountId.toSdk(f);
        }
        if (WithProviderName.SUPPORTED) {
            return WithProviderName.toSdk(f);
        }
        // SDK v2 before 2.26-ish: no provider names, and no builder for basic credentials.
        if (f.getSessionToken() == null) {
            return AwsBasicCredentials.create(f.getAccessKeyId(), f.getSecretAccessKey());
        }
        return AwsSessionCredentials.builder()
                .accessKeyId(f.getAccessKeyId())
                .secretAccessKey(f.getSecretAccessKey())
                .sessionToken(f.getSessionToken())
                .expirationTime(f.getExpiration())
                .build();
    }

    /**
     * The credentials as SDK v2 versions that name their provider build them. A class of its
     * own, loaded only when that API exists, so that older SDKs never resolve its methods.
     */
    private static final class WithProviderName {
        static final boolean SUPPORTED = providerNameExists();

        private WithProviderName() {
        }

        private static boolean providerNameExists() {
            try {
                AwsSessionCredentials.Builder.class.getMethod("providerName", String.class);
                AwsBasicCredentials.class.getMethod("builder");
                return true;
            } catch (NoSuchMethodException | RuntimeException | LinkageError e) {
                return false;
            }
        }

        static AwsCredentials toSdk(FreshCredentials f) {
            return f.getSessionToken() == null ? basic(f).build() : session(f).build();
        }

        /** Long-term keys, named for this provider. */
        static AwsBasicCredentials.Builder basic(FreshCredentials f) {
            return AwsBasicCredentials.builder()
                    .accessKeyId(f.getAccessKeyId())
                    .secretAccessKey(f.getSecretAccessKey())
                    .providerName(PROVIDER_NAME);
        }

        /** Temporary credentials with their expiration time, named for this provider. */
        static AwsSessionCredentials.Builder session(FreshCredentials f) {
            return AwsSessionCredentials.builder()
                    .accessKeyId(f.getAccessKeyId())
                    .secretAccessKey(f.getSecretAccessKey())
                    .sessionToken(f.getSessionToken())
                    .expirationTime(f.getExpiration())
                    .providerName(PROVIDER_NAME);
        }
    }

    /**
     * The credentials with their account id, as SDK v2 versions that carry one build them
     * (account-based endpoints). A class of its own, loaded only when that API exists (the
     * oldest supported SDK v2 has neither it nor provider names), so that older SDKs never
     * resolve its methods: there the credentials go without the account id.
     */
    private static final class WithAccountId {
        static final boolean SUPPORTED = WithProviderName.SUPPORTED && accountIdExists();

        private WithAccountId() {
        }

        private static boolean accountIdExists() {
            try {
                AwsSessionCredentials.Builder.class.getMethod("accountId", String.class);
                AwsBasicCredentials.Builder.class.getMethod("accountId", String.class);
                return true;
            } catch (NoSuchMethodException | RuntimeException | LinkageError e) {
                return false;
            }
        }

        static AwsCredentials toSdk(FreshCredentials f) {
            if (f.getSessionToken() == null) {
                return WithProviderName.basic(f).accountId(f.getAccountId()).build();
            }
            return WithProviderName.session(f).accountId(f.getAccountId()).build();
        }
    }

    /**
     * Forces a refresh now and waits for it.
     *
     * @return the new credentials
     */
    public FreshCredentials refresh() {
        return source.refresh();
    }

    /**
     * The source behind this provider.
     *
     * @return the source
     */
    public FreshCredentialsSource source() {
        return source;
    }

    /**
     * Stops the background refresh and frees the native side when this provider created its
     * source; a source given to {@link Builder#source} stays open (its creator closes it). An SDK
     * v2 client closes the provider it was given when the client is closed, so providers built
     * over one source can be handed to clients that are closed independently.
     */
    @Override
    public void close() {
        if (ownsSource) {
            source.close();
        }
    }

    /**
     * A builder with this provider's options; {@code build()} creates a new, independent provider.
     */
    @Override
    public Builder toBuilder() {
        return new BuilderImpl(this);
    }

    @Override
    public String toString() {
        return ToString.builder(PROVIDER_NAME).add("freshSource", source).build();
    }

    /** Builds a {@link FreshAwsCredentialsProvider}. */
    public interface Builder extends CopyableBuilder<Builder, FreshAwsCredentialsProvider> {
        /**
         * The options (default: {@link FreshCredentialsOptions#defaults()}).
         *
         * @param options the options
         * @return this builder
         */
        Builder options(FreshCredentialsOptions options);

        /**
         * An existing source to read from instead of creating one (for example
         * {@link FreshCredentialsSource#shared()}, or the source of an SDK v1 provider): one
         * refresher behind several providers. The provider does not own it: closing the
         * provider leaves the source open, and whoever created the source closes it. Takes
         * precedence over {@link #options}.
         *
         * @param source the source
         * @return this builder
         */
        Builder source(FreshCredentialsSource source);

        /**
         * Creates the provider; its first fetch starts in the background at once.
         *
         * @return a new provider; close it when done
         */
        @Override
        FreshAwsCredentialsProvider build();
    }

    private static final class BuilderImpl implements Builder {
        private FreshCredentialsOptions options;
        private FreshCredentialsSource source;

        BuilderImpl() {
        }

        BuilderImpl(FreshAwsCredentialsProvider provider) {
            this.options = provider.options;
        }

        @Override
        public Builder options(FreshCredentialsOptions options) {
            this.options = options;
            return this;
        }

        @Override
        public Builder source(FreshCredentialsSource source) {
            if (source == null) {
                throw new NullPointerException("a source is required");
            }
            this.source = source;
            return this;
        }

        @Override
        public FreshAwsCredentialsProvider build() {
            return new FreshAwsCredentialsProvider(this);
        }
    }
}

package dev.freshcreds.sdkv2.s3;

import java.time.Duration;
import java.time.Instant;
import java.util.function.BiFunction;
import java.util.function.Consumer;

import dev.freshcreds.FreshCredentials;
import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.InsufficientValidityException;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.presigner.PresignedRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.GetObjectPresignRequest;
import software.amazon.awssdk.services.s3.presigner.model.PresignedGetObjectRequest;
import software.amazon.awssdk.services.s3.presigner.model.PresignedPutObjectRequest;
import software.amazon.awssdk.services.s3.presigner.model.PutObjectPresignRequest;

/**
 * Presigned S3 URLs that live as long as asked, over SDK v2's {@link S3Presigner}: a presigned
 * URL stops working when the credentials that signed it expire, whatever
 * {@code signatureDuration} says, and the SDK's presigner signs a one-hour URL with credentials
 * that expire in five minutes. This one chooses the credentials for the URL's lifetime, in one of
 * three {@link Mode modes}, and says how long the URL really lives.
 *
 * <p>Optional: needs {@code software.amazon.awssdk:s3} on the classpath (the freshcreds jar does
 * not bring it, and nothing else in freshcreds loads this class).
 *
 * <pre>{@code
 * FreshS3Presigner presigner = FreshS3Presigner.create(provider, b -> b.region(Region.EU_WEST_1));
 * FreshS3Presigner.Presigned<PresignedGetObjectRequest> url = presigner.presignGetObject(
 *     GetObjectRequest.builder().bucket("reports").key("q3.pdf").build(),
 *     Duration.ofHours(1), FreshS3Presigner.Mode.REQUIRE);
 * }</pre>
 */
public final class FreshS3Presigner {
    /** How the credentials for a URL are chosen when the cached ones expire before it would. */
    public enum Mode {
        /**
         * Ask for credentials valid for the URL's whole lifetime (a refresh when the cached ones
         * expire sooner); when the source cannot give that much (a role session shorter than the
         * URL), sign with the best ones and cap the URL to their real remaining life, reported
         * by {@link Presigned#capped()}.
         */
        REFRESH_IF_NEEDED,
        /**
         * Sign with the cached credentials as they are, without waiting for a refresh, and cap
         * the URL to their real remaining life, reported by {@link Presigned#capped()}.
         */
        CAP_AND_REPORT,
        /**
         * Credentials valid for the URL's whole lifetime, or an
         * {@link InsufficientValidityException}: never a URL that dies early.
         */
        REQUIRE
    }

    /**
     * A presigned request and how long it really lives.
     *
     * @param <T> the SDK's presigned request type
     */
    public static final class Presigned<T> {
        private final T request;
        private final Duration requested;
        private final Duration lifetime;
        private final Instant expiration;

        Presigned(T request, Duration requested, Duration lifetime, Instant expiration) {
            this.request = request;
            this.requested = requested;
            this.lifetime = lifetime;
            this.expiration = expiration;
        }

        /** @return the SDK's presigned request (its {@code url()} is the URL) */
        public T request() {
            return request;
        }

        /** @return the lifetime asked for */
        public Duration requestedLifetime() {
            return requested;
        }

        /** @return the URL's real lifetime: its signature duration, within the credentials' life */
        public Duration lifetime() {
            return lifetime;
        }

        /** @return when the URL stops working */
        public Instant expiration() {
            return expiration;
        }

        /** @return true when the URL lives shorter than asked (the credentials expire sooner) */
        public boolean capped() {
            return lifetime.compareTo(requested) < 0;
        }

        @Override
        public String toString() {
            return "Presigned{lifetime=" + lifetime + ", requested=" + requested
                    + (capped() ? ", capped" : "") + ", expiration=" + expiration + "}";
        }
    }

    private final FreshCredentialsSource source;
    private final Consumer<S3Presigner.Builder> configuration;

    private FreshS3Presigner(FreshCredentialsSource source, Consumer<S3Presigner.Builder> configuration) {
        this.source = source;
        this.configuration = configuration;
    }

    /**
     * A presigner over the provider's credentials.
     *
     * @param provider where the credentials come from
     * @param configuration sets the presigner's region, endpoint and S3 options (its credentials
     *     are set per URL)
     * @return a new presigner
     */
    public static FreshS3Presigner create(FreshAwsCredentialsProvider provider,
            Consumer<S3Presigner.Builder> configuration) {
        if (provider == null || configuration == null) {
            throw new NullPointerException("provider and configuration are required");
        }
        return new FreshS3Presigner(provider.source(), configuration);
    }

    /**
     * Presigns a GET.
     *
     * @param request the object to get
     * @param lifetime how long the URL should work (at most 7 days, S3's limit)
     * @param mode how to choose the credentials
     * @return the presigned request and its real lifetime
     * @throws InsufficientValidityException in {@link Mode#REQUIRE} when no credentials last
     *     that long, and in the other modes when none are valid at all
     */
    public Presigned<PresignedGetObjectRequest> presignGetObject(final GetObjectRequest request, Duration lifetime,
            Mode mode) {
        return presign(lifetime, mode, (presigner, duration) -> presigner.presignGetObject(
                GetObjectPresignRequest.builder().signatureDuration(duration).getObjectRequest(request).build()));
    }

    /**
     * Presigns a PUT.
     *
     * @param request the object to put
     * @param lifetime how long the URL should work (at most 7 days, S3's limit)
     * @param mode how to choose the credentials
     * @return the presigned request and its real lifetime
     * @throws InsufficientValidityException as {@link #presignGetObject}
     */
    public Presigned<PresignedPutObjectRequest> presignPutObject(final PutObjectRequest request, Duration lifetime,
            Mode mode) {
        return presign(lifetime, mode, (presigner, duration) -> presigner.presignPutObject(
                PutObjectPresignRequest.builder().signatureDuration(duration).putObjectRequest(request).build()));
    }

    /**
     * Presigns one request with {@code how} (given the presigner and the signature duration),
     * with credentials chosen for {@code lifetime} in {@code mode}.
     */
    private <P extends PresignedRequest> Presigned<P> presign(Duration lifetime, Mode mode,
            BiFunction<S3Presigner, Duration, P> how) {
        final Signing s = signing(lifetime, mode);
        try (S3Presigner presigner = s.presigner()) {
            P p = how.apply(presigner, s.lifetime);
            return new Presigned<P>(p, lifetime, s.lifetime, p.expiration());
        }
    }

    /** The credentials and the signature duration for one URL. */
    private final class Signing {
        final AwsCredentials credentials;
        final Duration lifetime;

        Signing(AwsCredentials credentials, Duration lifetime) {
            this.credentials = credentials;
            this.lifetime = lifetime;
        }

        S3Presigner presigner() {
            S3Presigner.Builder b = S3Presigner.builder();
            configuration.accept(b);
            return b.credentialsProvider(StaticCredentialsProvider.create(credentials)).build();
        }
    }

    private Signing signing(Duration lifetime, Mode mode) {
        if (lifetime == null || mode == null) {
            throw new NullPointerException("lifetime and mode are required");
        }
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("the URL's lifetime must be positive: " + lifetime);
        }
        FreshCredentials f;
        switch (mode) {
            case REQUIRE:
                f = source.credentials(lifetime);
                break;
            case REFRESH_IF_NEEDED:
                try {
                    f = source.credentials(lifetime);
                } catch (InsufficientValidityException e) {
                    f = source.credentials();
                }
                break;
            default:
                f = source.credentials();
                break;
        }
        return new Signing(toSdk(f), capped(f, lifetime));
    }

    /** {@code lifetime}, capped to the whole seconds left on {@code f}. */
    private static Duration capped(FreshCredentials f, Duration lifetime) {
        if (f.getExpiration() == null) {
            return lifetime;
        }
        long left = (f.getExpiration().toEpochMilli() - System.currentTimeMillis()) / 1000;
        if (f.isStale() || left < 1) {
            throw new InsufficientValidityException("credentials " + f.getAccessKeyId() + " from "
                    + f.getSource() + " are expired: no URL signed with them would work", toMillis(lifetime), 0,
                    Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE);
        }
        Duration available = Duration.ofSeconds(left);
        return available.compareTo(lifetime) < 0 ? available : lifetime;
    }

    private static long toMillis(Duration d) {
        try {
            return d.toMillis();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static AwsCredentials toSdk(FreshCredentials f) {
        return f.getSessionToken() == null
                ? AwsBasicCredentials.create(f.getAccessKeyId(), f.getSecretAccessKey())
                : AwsSessionCredentials.create(f.getAccessKeyId(), f.getSecretAccessKey(), f.getSessionToken());
    }
}

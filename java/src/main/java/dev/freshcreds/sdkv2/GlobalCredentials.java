package dev.freshcreds.sdkv2;

import java.lang.reflect.Field;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.function.Supplier;

import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.internal.Global;
import dev.freshcreds.internal.Lazy;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.SdkInternalExecutionAttribute;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.identity.spi.IdentityProviders;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.profiles.ProfileFileSystemSetting;

/**
 * What {@link GlobalInterceptor} does once it runs: which calls get freshcreds' credentials, and
 * how.
 *
 * <p>Which: a call keeps its own credentials when they are anonymous
 * ({@code AnonymousCredentialsProvider}) or come from a request-level override, in every mode.
 * In mode {@code all} every other call gets freshcreds' credentials. In the default mode only a
 * call whose provider is truly the default chain does: a {@code DefaultCredentialsProvider}
 * (the one the SDK builds for a client configured without credentials, or one the application
 * built) that resolves no other profile name and no other profiles than the environment's: one
 * whose client chose a {@code defaultProfileName} or {@code defaultProfileFile} in its override
 * configuration, or whose builder was given a profile name or file, keeps its own.
 * A read-only client of {@code DefaultCredentialsProvider.builder().profileName("readonly")}
 * stays read-only.
 *
 * <p>How: it replaces the call's identity providers before the SDK resolves the identity,
 * through the SDK's execution attribute {@code SdkInternalExecutionAttribute.IDENTITY_PROVIDERS},
 * an internal API of SDK v2 (tested with the SDK versions the README names). The profile a
 * {@code DefaultCredentialsProvider} names is read from its private fields (the SDK has no
 * accessor); when they cannot be read, such clients keep their own credentials, with a warning.
 */
final class GlobalCredentials {
    /** Whether this SDK's clients choose their identity per call (null: not known yet). */
    private static volatile Boolean choosesIdentityPerCall;
    /** The provider over the JVM's shared source, one per class loader of the SDK. */
    private static final Lazy<FreshAwsCredentialsProvider> PROVIDER = new Lazy<FreshAwsCredentialsProvider>() {
        @Override
        protected FreshAwsCredentialsProvider create() {
            return FreshAwsCredentialsProvider.builder().source(FreshCredentialsSource.shared()).build();
        }
    };
    /** Per profile file supplier of a default chain: whether it gives the environment's profiles. */
    private static final Map<Object, Boolean> ENVIRONMENT_FILE = Collections.synchronizedMap(new WeakHashMap<Object, Boolean>());

    private GlobalCredentials() {
    }

    static void apply(Global.Mode mode, Context.BeforeExecution context, ExecutionAttributes attributes) {
        IdentityProviders providers = attributes.getAttribute(SdkInternalExecutionAttribute.IDENTITY_PROVIDERS);
        if (providers == null || !choosesIdentityPerCall()) {
            warnTooOld(context.request());
            return;
        }
        IdentityProvider<AwsCredentialsIdentity> current = providers.identityProvider(AwsCredentialsIdentity.class);
        if (current instanceof FreshAwsCredentialsProvider || !replaces(mode, current, context.request())) {
            return;
        }
        attributes.putAttribute(SdkInternalExecutionAttribute.IDENTITY_PROVIDERS,
                providers.toBuilder().putIdentityProvider(provider()).build());
    }

    /**
     * Whether this SDK's clients resolve their identity per call from the identity providers the
     * hook replaces: those generated from {@link Global#SDKV2_OLDEST_HOOKED} on. Older ones (SDK
     * v2 2.21 to 2.24.12 have the attribute but their clients do not read it) sign with the
     * credentials they resolved themselves, whatever the hook puts there. Told by the version of
     * the SDK's core (read at run time: the constant is inlined at compile time); a version that
     * cannot be read counts as new.
     */
    static boolean choosesIdentityPerCall() {
        Boolean known = choosesIdentityPerCall;
        if (known == null) {
            String version = sdkVersion();
            known = version == null || !olderThan(version, Global.SDKV2_OLDEST_HOOKED);
            choosesIdentityPerCall = known;
        }
        return known;
    }

    private static String sdkVersion() {
        try {
            Class<?> info = Class.forName("software.amazon.awssdk.core.util.VersionInfo", false,
                    SdkRequest.class.getClassLoader());
            Object v = info.getField("SDK_VERSION").get(null);
            return v instanceof String ? (String) v : null;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** Whether {@code version} (like {@code 2.21.0}) is older than {@code than}; digits only are compared. */
    static boolean olderThan(String version, String than) {
        String[] a = version.split("[.-]");
        String[] b = than.split("[.-]");
        for (int i = 0; i < Math.min(3, Math.min(a.length, b.length)); i++) {
            int x;
            int y;
            try {
                x = Integer.parseInt(a[i]);
                y = Integer.parseInt(b[i]);
            } catch (NumberFormatException e) {
                return false;
            }
            if (x != y) {
                return x < y;
            }
        }
        return false;
    }

    private static void warnTooOld(SdkRequest request) {
        String version = sdkVersion();
        Global.warnOnce("sdkv2-too-old", Global.SDKV2_TOO_OLD + " (SDK v2 " + (version == null ? "of unknown version" : version)
                + ": the client of " + request.getClass().getSimpleName() + " resolves its credentials before the hooks"
                + " run); its clients keep their own credentials."
                + " Fix: use SDK v2 " + Global.SDKV2_OLDEST_HOOKED + " or later, or give clients"
                + " FreshAwsCredentialsProvider explicitly");
    }

    /** Whether the call gets freshcreds' credentials instead of {@code current}'s. */
    static boolean replaces(Global.Mode mode, IdentityProvider<AwsCredentialsIdentity> current, SdkRequest request) {
        if (current instanceof AnonymousCredentialsProvider || hasRequestCredentials(request)) {
            return false;
        }
        if (mode == Global.Mode.ALL_CLIENTS) {
            return true;
        }
        return current instanceof DefaultCredentialsProvider && !choosesProfile((DefaultCredentialsProvider) current);
    }

    /** A credentials provider in the request's override configuration. */
    private static boolean hasRequestCredentials(SdkRequest request) {
        Optional<? extends software.amazon.awssdk.core.RequestOverrideConfiguration> o = request.overrideConfiguration();
        return o.isPresent() && o.get() instanceof AwsRequestOverrideConfiguration
                && ((AwsRequestOverrideConfiguration) o.get()).credentialsIdentityProvider().isPresent();
    }

    /**
     * Whether a default chain resolves another profile than the environment's: a profile name
     * other than {@code aws.profile} / {@code AWS_PROFILE} / {@code default}, or a profile file
     * whose profiles differ from the environment's config and credentials files. The SDK builds
     * a client's chain with the client's {@code defaultProfileName} and {@code defaultProfileFile},
     * so this one look at the provider covers both. Undecidable (fields not found) counts as chosen.
     */
    static boolean choosesProfile(DefaultCredentialsProvider chain) {
        Object name;
        Object file;
        try {
            name = ChainFields.PROFILE_NAME.get(chain);
            file = ChainFields.PROFILE_FILE.get(chain);
        } catch (ReflectiveOperationException | RuntimeException | ExceptionInInitializerError | NoClassDefFoundError e) {
            Global.warnOnce("sdkv2-profile", "freshcreds: cannot tell which profile an SDK v2 DefaultCredentialsProvider"
                    + " of this SDK version uses (" + e + "); clients of the default chain keep their own credentials."
                    + " Fix: use an SDK v2 version freshcreds is tested with (README, zero-code section), or mode all");
            return true;
        }
        if (name != null && !name.equals(ProfileFileSystemSetting.AWS_PROFILE.getStringValueOrThrow())) {
            return true;
        }
        return file instanceof Supplier && !isEnvironmentsProfileFile((Supplier<?>) file);
    }

    /**
     * Whether a chain's profile file supplier gives the environment's profiles (the SDK gives
     * every client a supplier of its own, the default one included, so only the content tells).
     * Decided once per supplier: reading the files on every call would cost more than the call.
     */
    private static boolean isEnvironmentsProfileFile(Supplier<?> file) {
        Boolean known = ENVIRONMENT_FILE.get(file);
        if (known == null) {
            known = ProfileFile.defaultProfileFile().equals(file.get());
            ENVIRONMENT_FILE.put(file, known);
        }
        return known;
    }

    /** The private fields of {@code DefaultCredentialsProvider} that name its profile. */
    private static final class ChainFields {
        static final Field PROFILE_NAME = field("profileName");
        static final Field PROFILE_FILE = field("profileFile");

        private static Field field(String name) {
            try {
                Field f = DefaultCredentialsProvider.class.getDeclaredField(name);
                f.setAccessible(true);
                return f;
            } catch (NoSuchFieldException e) {
                throw new IllegalStateException("DefaultCredentialsProvider has no field " + name, e);
            }
        }
    }

    /** The provider over the JVM's shared source, one per class loader of the SDK. */
    static FreshAwsCredentialsProvider provider() {
        return PROVIDER.get();
    }
}

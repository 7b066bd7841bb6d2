package dev.freshcreds.sdkv2;

import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.internal.Global;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.SdkInternalExecutionAttribute;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.identity.spi.IdentityProviders;

/**
 * What {@link GlobalInterceptor} does once it runs: which calls get freshcreds' credentials, and
 * how. It replaces the call's identity providers before the SDK resolves the identity, through
 * the SDK's execution attribute {@code SdkInternalExecutionAttribute.IDENTITY_PROVIDERS}, an
 * internal API of SDK v2 (tested with the SDK versions the README names).
 */
final class GlobalCredentials {
    private static volatile FreshAwsCredentialsProvider provider;

    private GlobalCredentials() {
    }

    static void apply(Global.Mode mode, Context.BeforeExecution context, ExecutionAttributes attributes) {
        IdentityProviders providers = attributes.getAttribute(SdkInternalExecutionAttribute.IDENTITY_PROVIDERS);
        if (providers == null) {
            return;
        }
        IdentityProvider<AwsCredentialsIdentity> current = providers.identityProvider(AwsCredentialsIdentity.class);
        if (mode == Global.Mode.DEFAULT_CLIENTS && current != null && !(current instanceof DefaultCredentialsProvider)) {
            return;
        }
        FreshAwsCredentialsProvider fresh = provider();
        if (current == fresh) {
            return;
        }
        attributes.putAttribute(SdkInternalExecutionAttribute.IDENTITY_PROVIDERS,
                providers.toBuilder().putIdentityProvider(fresh).build());
    }

    /** The provider over the JVM's shared source, one per class loader of the SDK. */
    static FreshAwsCredentialsProvider provider() {
        FreshAwsCredentialsProvider p = provider;
        if (p == null) {
            synchronized (GlobalCredentials.class) {
                p = provider;
                if (p == null) {
                    p = FreshAwsCredentialsProvider.builder().source(FreshCredentialsSource.shared()).build();
                    provider = p;
                }
            }
        }
        return p;
    }
}

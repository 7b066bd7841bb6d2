package dev.freshcreds.sdkv2;

import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.internal.Global;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkInternalExecutionAttribute;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.identity.spi.IdentityProviders;

/**
 * The SDK v2 global hook (declared in {@code software/amazon/awssdk/global/handlers/execution.interceptors}):
 * when {@link Global} switches it on, every call of a client that would use the default
 * credentials chain (or of every client, in mode {@code all}) resolves its credentials from the
 * JVM's {@link FreshCredentialsSource#shared() shared source}. Does nothing while off.
 *
 * <p>It replaces the call's identity providers before the SDK resolves the identity, through the
 * SDK's execution attribute {@code SdkInternalExecutionAttribute.IDENTITY_PROVIDERS}, an internal
 * API of SDK v2 (tested with the SDK version of this build).
 */
public final class GlobalInterceptor implements ExecutionInterceptor {
    private static volatile FreshAwsCredentialsProvider provider;

    /** Created by the SDK for every client. */
    public GlobalInterceptor() {
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        Global.Mode mode = Global.mode();
        if (mode == Global.Mode.OFF) {
            return;
        }
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

    private static FreshAwsCredentialsProvider provider() {
        FreshAwsCredentialsProvider p = provider;
        if (p == null) {
            synchronized (GlobalInterceptor.class) {
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

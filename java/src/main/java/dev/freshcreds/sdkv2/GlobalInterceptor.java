package dev.freshcreds.sdkv2;

import dev.freshcreds.internal.Global;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * The SDK v2 global hook (declared in {@code software/amazon/awssdk/global/handlers/execution.interceptors}
 * by the agent or the global jar):
 * when {@link Global} switches it on, calls of clients that would use the default credentials
 * chain (or of every client, in mode {@code all}) resolve their credentials from the JVM's
 * {@link dev.freshcreds.FreshCredentialsSource#shared() shared source} ({@link GlobalCredentials}
 * decides which). Does nothing while off.
 *
 * <p>The SDK fails to build a client when a declared hook cannot be loaded, so this class links
 * against nothing but the SDK's {@code ExecutionInterceptor} and its arguments: whatever else
 * cannot link or initialise in the application's SDK (another SDK version, a missing module,
 * the native library) is caught here, logged once as a warning with the fix, and the clients
 * keep their own credentials.
 */
public final class GlobalInterceptor implements ExecutionInterceptor {
    /** Set when this SDK lacks what the hooks use: then they do nothing (this and {@link RejectionInterceptor}). */
    static volatile boolean unusable;

    /** Created by the SDK for every client. */
    public GlobalInterceptor() {
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        if (unusable) {
            return;
        }
        try {
            Global.Mode mode = Global.mode();
            if (mode != Global.Mode.OFF) {
                GlobalCredentials.apply(mode, context, attributes);
            }
        } catch (LinkageError e) {
            cannotLink(e);
        } catch (RuntimeException e) {
            Global.warnOnce("sdkv2-failed", "freshcreds: the SDK v2 global hook failed (" + e
                    + "); this call keeps the client's own credentials");
        }
    }

    /**
     * This SDK (or the native library) lacks what the hooks use: one warning per JVM, and
     * nothing more from the hooks of this class loader.
     */
    static void cannotLink(LinkageError e) {
        unusable = true;
        Global.hookCannotLink(Global.SDKV2_CANNOT_LINK, e, "SDK v2 clients keep their own credentials, and calls"
                + " rejected before their credentials expire are not retried.", "use an SDK v2 version freshcreds is"
                + " tested with (README, zero-code section), or give clients FreshAwsCredentialsProvider explicitly");
    }
}

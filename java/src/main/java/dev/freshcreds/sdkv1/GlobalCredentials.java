package dev.freshcreds.sdkv1;

import com.amazonaws.AmazonWebServiceRequest;
import com.amazonaws.Request;
import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.internal.Global;

/**
 * What {@link GlobalRequestHandler} does once it runs: in mode {@code all}, every request that
 * carries no request-level credentials provider is signed with the shared source's credentials.
 */
final class GlobalCredentials {
    private static volatile FreshCredentialsProvider provider;

    private GlobalCredentials() {
    }

    static void beforeExecution(Global.Mode mode, AmazonWebServiceRequest request) {
        if (mode == Global.Mode.DEFAULT_CLIENTS) {
            Global.warnOnce("sdkv1-default", "SDK v1 clients keep their own credentials provider:"
                    + " the v1 hook cannot tell default clients from explicitly configured ones;"
                    + " set -D" + Global.PROPERTY + "=all (or the agent argument all) to give every v1 client"
                    + " freshcreds' credentials");
            return;
        }
        if (request.getRequestCredentialsProvider() == null) {
            request.setRequestCredentialsProvider(provider());
        }
    }

    static void afterError(Request<?> request, Exception e) {
        FreshCredentialsProvider p = provider;
        AmazonWebServiceRequest original = request.getOriginalRequest();
        if (p != null && original != null && original.getRequestCredentialsProvider() == p) {
            RejectionHandler.invalidateIfRejected(p, request, e);
        }
    }

    /** The provider over the JVM's shared source, one per class loader of the SDK. */
    static FreshCredentialsProvider provider() {
        FreshCredentialsProvider p = provider;
        if (p == null) {
            synchronized (GlobalCredentials.class) {
                p = provider;
                if (p == null) {
                    p = new FreshCredentialsProvider(FreshCredentialsSource.shared());
                    provider = p;
                }
            }
        }
        return p;
    }
}

package dev.freshcreds.sdkv1;

import com.amazonaws.AmazonWebServiceRequest;
import com.amazonaws.Request;
import com.amazonaws.Response;
import com.amazonaws.handlers.RequestHandler2;
import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.internal.Global;
import java.util.logging.Logger;

/**
 * The SDK v1 global hook (declared in {@code com/amazonaws/global/handlers/request.handler2s}):
 * in mode {@code all} ({@link Global}), every request that carries no request-level credentials
 * provider is signed with credentials from the JVM's
 * {@link FreshCredentialsSource#shared() shared source}.
 *
 * <p>SDK v1 gives a request handler no way to see the provider its client was built with, so in
 * the default mode (clients of the default chain only) this hook cannot tell those clients from
 * explicitly configured ones: it leaves every client alone and says so once in the log.
 */
public final class GlobalRequestHandler extends RequestHandler2 {
    private static volatile FreshCredentialsProvider provider;
    private static volatile boolean told;

    /** Created by the SDK for every client. */
    public GlobalRequestHandler() {
    }

    @Override
    public AmazonWebServiceRequest beforeExecution(AmazonWebServiceRequest request) {
        Global.Mode mode = Global.mode();
        if (mode == Global.Mode.OFF) {
            return request;
        }
        if (mode == Global.Mode.DEFAULT_CLIENTS) {
            if (!told) {
                told = true;
                Logger.getLogger("dev.freshcreds.global").info("SDK v1 clients keep their own credentials provider:"
                        + " the v1 hook cannot tell default clients from explicitly configured ones;"
                        + " set -D" + Global.PROPERTY + "=all (or the agent argument all) to give every v1 client"
                        + " freshcreds' credentials");
            }
            return request;
        }
        if (request.getRequestCredentialsProvider() == null) {
            request.setRequestCredentialsProvider(provider());
        }
        return request;
    }

    /**
     * A call signed with the shared source's credentials failed: when AWS rejected them
     * ({@link dev.freshcreds.RejectionCodes}), the rejected key is reported to the source so that
     * the next call gets new ones. SDK v1 gives a request handler no way to retry the call (the
     * retry policy belongs to the client's configuration): clients that should retry it use
     * {@link FreshCredentialsProvider#retryPolicy()}.
     */
    @Override
    public void afterError(Request<?> request, Response<?> response, Exception e) {
        FreshCredentialsProvider p = provider;
        AmazonWebServiceRequest original = request.getOriginalRequest();
        if (p != null && original != null && original.getRequestCredentialsProvider() == p) {
            RejectionHandler.invalidateIfRejected(p, request, e);
        }
    }

    private static FreshCredentialsProvider provider() {
        FreshCredentialsProvider p = provider;
        if (p == null) {
            synchronized (GlobalRequestHandler.class) {
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

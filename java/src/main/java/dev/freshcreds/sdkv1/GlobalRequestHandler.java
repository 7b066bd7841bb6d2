package dev.freshcreds.sdkv1;

import com.amazonaws.AmazonWebServiceRequest;
import com.amazonaws.Request;
import com.amazonaws.Response;
import com.amazonaws.handlers.RequestHandler2;
import dev.freshcreds.internal.Global;

/**
 * The SDK v1 global hook (declared in {@code com/amazonaws/global/handlers/request.handler2s} by
 * the agent or the global jar):
 * when {@link Global} switches it on, clients get credentials from the JVM's
 * {@link dev.freshcreds.FreshCredentialsSource#shared() shared source} as
 * {@link GlobalCredentials} describes. Does nothing while off.
 *
 * <p>The SDK fails to build a client when a declared handler cannot be loaded, so this class
 * links against nothing but the SDK's {@code RequestHandler2}: whatever else cannot link or
 * initialise is caught here, logged once as a warning with the fix, and the clients keep their
 * own credentials.
 */
public final class GlobalRequestHandler extends RequestHandler2 {
    private static volatile boolean unusable;

    /** Created by the SDK for every client. */
    public GlobalRequestHandler() {
    }

    @Override
    public AmazonWebServiceRequest beforeExecution(AmazonWebServiceRequest request) {
        if (unusable) {
            return request;
        }
        try {
            Global.Mode mode = Global.mode();
            if (mode != Global.Mode.OFF) {
                GlobalCredentials.beforeExecution(mode, request);
            }
        } catch (LinkageError e) {
            disable(e);
        } catch (RuntimeException e) {
            Global.warnOnce("sdkv1-failed", "freshcreds: the SDK v1 global hook failed (" + e
                    + "); this call keeps the client's own credentials");
        }
        return request;
    }

    /**
     * A call failed: when AWS rejected freshcreds' credentials ({@link dev.freshcreds.RejectionCodes}),
     * the rejected key is reported to the source so that the next call gets new ones. SDK v1 gives
     * a request handler no way to retry the call (the retry policy belongs to the client's
     * configuration): clients that should retry it use {@link FreshCredentialsProvider#retryPolicy()}.
     */
    @Override
    public void afterError(Request<?> request, Response<?> response, Exception e) {
        if (unusable) {
            return;
        }
        try {
            GlobalCredentials.afterError(request, e);
        } catch (LinkageError failure) {
            disable(failure);
        } catch (RuntimeException failure) {
            Global.LOG.fine("could not look at a failed SDK v1 call: " + failure);
        }
    }

    private static void disable(LinkageError e) {
        unusable = true;
        Global.hookCannotLink(Global.SDKV1_CANNOT_LINK, e, "SDK v1 clients keep their own credentials.",
                "use an SDK v1 version freshcreds is tested with (README, zero-code section), or give clients"
                + " FreshCredentialsProvider explicitly");
    }
}

package dev.freshcreds.sdkv1;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.LinkedList;
import java.util.List;

import com.amazonaws.AmazonWebServiceRequest;
import com.amazonaws.Request;
import com.amazonaws.auth.AWSCredentialsProvider;
import com.amazonaws.auth.AWSCredentialsProviderChain;
import com.amazonaws.auth.DefaultAWSCredentialsProviderChain;
import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.internal.Global;
import dev.freshcreds.internal.Lazy;

/**
 * What {@link GlobalRequestHandler} does once it runs.
 *
 * <p>SDK v1 shows a request handler the request, never the client's credentials provider, so
 * the default mode works on the provider instead: every client built without credentials (a
 * builder's {@code build()} or {@code defaultClient()}, the no-argument constructors) uses the
 * one instance {@code DefaultAWSCredentialsProviderChain.getInstance()}, and the hook puts
 * freshcreds' provider first in that chain (once per class loader of the SDK, before the first
 * call of such a client resolves credentials). Clients built with any provider of their own
 * (a {@code ProfileCredentialsProvider}, static or anonymous credentials, even a
 * {@code new DefaultAWSCredentialsProviderChain()}) and requests with a request-level provider
 * keep theirs. When freshcreds has no credentials, the chain goes on to the SDK's own sources.
 * The chain's provider list is a private field (read and replaced, not modified in place, so a
 * call iterating it meanwhile is not disturbed); when it cannot be reached, v1 clients keep
 * their credentials, with one warning.
 *
 * <p>In mode {@code all} every request that carries no request-level credentials provider gets
 * freshcreds' provider as its request-level provider; a request handler cannot see a client's
 * anonymous credentials, so in this mode anonymous v1 clients are signed too.
 */
final class GlobalCredentials {
    /** The provider over the JVM's shared source, one per class loader of the SDK. */
    private static final Lazy<FreshCredentialsProvider> PROVIDER = new Lazy<FreshCredentialsProvider>() {
        @Override
        protected FreshCredentialsProvider create() {
            return new FreshCredentialsProvider(FreshCredentialsSource.shared());
        }
    };
    /** Set once freshcreds' provider leads the shared default chain of this class loader's SDK. */
    private static volatile boolean inDefaultChain;

    private GlobalCredentials() {
    }

    static void beforeExecution(Global.Mode mode, AmazonWebServiceRequest request) {
        if (mode == Global.Mode.DEFAULT_CLIENTS) {
            if (!inDefaultChain) {
                leadDefaultChain();
            }
        } else if (request.getRequestCredentialsProvider() == null) {
            request.setRequestCredentialsProvider(provider());
        }
    }

    /** Puts freshcreds' provider first in {@code DefaultAWSCredentialsProviderChain.getInstance()}. */
    private static synchronized void leadDefaultChain() {
        if (inDefaultChain) {
            return;
        }
        AWSCredentialsProviderChain chain = DefaultAWSCredentialsProviderChain.getInstance();
        try {
            Field list = AWSCredentialsProviderChain.class.getDeclaredField("credentialsProviders");
            Field last = AWSCredentialsProviderChain.class.getDeclaredField("lastUsedProvider");
            list.setAccessible(true);
            last.setAccessible(true);
            FreshCredentialsProvider fresh = provider();
            synchronized (chain) {
                @SuppressWarnings("unchecked")
                List<AWSCredentialsProvider> current = new ArrayList<AWSCredentialsProvider>(
                        (List<AWSCredentialsProvider>) list.get(chain));
                if (current.isEmpty() || current.get(0) != fresh) {
                    List<AWSCredentialsProvider> led = new LinkedList<AWSCredentialsProvider>();
                    led.add(fresh);
                    led.addAll(current);
                    list.set(chain, led);
                    // A chain that remembers the source it used last would not ask freshcreds.
                    last.set(chain, null);
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            Global.warnOnce("sdkv1-chain", "freshcreds: cannot put its provider into the SDK v1 default chain of this"
                    + " SDK version (" + e + "); SDK v1 clients keep their own credentials. Fix: use an SDK v1 version"
                    + " freshcreds is tested with (README, zero-code section), or mode all");
        }
        inDefaultChain = true;
    }

    /**
     * A failed call: when it was signed with freshcreds' credentials and AWS rejected them, the
     * key is reported to the source (which ignores keys it did not serve).
     */
    static void afterError(Request<?> request, Exception e) {
        FreshCredentialsProvider p = PROVIDER.ifCreated();
        AmazonWebServiceRequest original = request.getOriginalRequest();
        if (p != null && original != null && RejectionHandler.servedBy(original, p)) {
            RejectionHandler.invalidateIfRejected(p, request, e);
        }
    }

    /** The provider over the JVM's shared source, one per class loader of the SDK. */
    static FreshCredentialsProvider provider() {
        return PROVIDER.get();
    }
}

package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import dev.freshcreds.simkit.SimulatorProcess;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.ResolveIdentityRequest;

/**
 * The SDK v2 adapter's {@code resolveIdentity} never blocks its caller (an asynchronous
 * client's event loop): with credentials cached it answers with a completed future; with none
 * yet (the first fetch in flight) it returns at once a future that the library's
 * {@code freshcreds-identity} thread completes.
 */
public class ResolveIdentityTest {
    /** How long resolveIdentity may take on the caller's thread while a first fetch hangs. */
    private static final long MAX_CALLER_MILLIS = 500;

    @Test
    public void withCredentialsCachedTheFutureIsAlreadyComplete() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start();
                FreshAwsCredentialsProvider p = FreshAwsCredentialsProvider.builder()
                        .options(FreshCredentialsOptions.builder().readSystemProperties(false)
                                .source("imds").imdsEndpoint(sim.baseUrl()).build())
                        .build()) {
            String key = p.resolveCredentials().accessKeyId();
            CompletableFuture<? extends AwsCredentialsIdentity> f =
                    p.resolveIdentity(ResolveIdentityRequest.builder().build());
            assertTrue("completed on the caller's thread", f.isDone());
            assertEquals(key, f.get().accessKeyId());
        }
    }

    @Test
    public void withNothingCachedTheCallerDoesNotWaitForTheFirstFetch() throws Exception {
        // An IMDS that accepts connections and never answers: the first fetch hangs until the
        // first-fetch timeout.
        final List<Socket> held = new ArrayList<Socket>();
        try (final ServerSocket imds = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(new Runnable() {
                @Override
                public void run() {
                    while (!imds.isClosed()) {
                        try {
                            Socket s = imds.accept();
                            synchronized (held) {
                                held.add(s);
                            }
                        } catch (IOException closed) {
                            return;
                        }
                    }
                }
            }, "test-silent-imds");
            acceptor.setDaemon(true);
            acceptor.start();
            try (FreshAwsCredentialsProvider p = FreshAwsCredentialsProvider.builder()
                    .options(FreshCredentialsOptions.builder().readSystemProperties(false)
                            .source("imds").imdsEndpoint("http://127.0.0.1:" + imds.getLocalPort())
                            .firstFetchTimeout(Duration.ofSeconds(2)).build())
                    .build()) {
                long start = System.nanoTime();
                CompletableFuture<? extends AwsCredentialsIdentity> f =
                        p.resolveIdentity(ResolveIdentityRequest.builder().build());
                long callerMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue("resolveIdentity took " + callerMillis + " ms on the caller's thread",
                        callerMillis < MAX_CALLER_MILLIS);
                assertFalse("no credentials can exist yet", f.isDone());
                // The first fetch waits on the library's thread, not on the caller's.
                boolean waiting = false;
                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    waiting |= t.getName().equals("freshcreds-identity") && t.isAlive();
                }
                assertTrue("a freshcreds-identity thread waits for the first fetch", waiting);
                try {
                    f.get(30, TimeUnit.SECONDS);
                    fail("credentials from an IMDS that never answers");
                } catch (ExecutionException e) {
                    assertTrue(String.valueOf(e.getCause()), e.getCause() instanceof SdkClientException);
                    assertTrue(e.getCause().getMessage(), e.getCause().getMessage().contains("no credentials"));
                }
            } finally {
                synchronized (held) {
                    for (Socket s : held) {
                        s.close();
                    }
                }
            }
        }
    }
}

package dev.freshcreds.example;

import java.io.File;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.amazonaws.AmazonServiceException;
import com.amazonaws.ClientConfiguration;
import com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration;
import com.amazonaws.services.securitytoken.AWSSecurityTokenService;
import com.amazonaws.services.securitytoken.AWSSecurityTokenServiceClientBuilder;
import com.amazonaws.services.securitytoken.model.GetCallerIdentityRequest;
import dev.freshcreds.FreshCredentialsOptions;
import dev.freshcreds.sdkv1.FreshCredentialsProvider;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import dev.freshcreds.sdkv2.RejectionInterceptor;
import dev.freshcreds.simkit.SimulatorProcess;
import software.amazon.awssdk.auth.credentials.InstanceProfileCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * {@code RotationDemo --revoke}: AWS rejects the live instance-role key before its expiry (the
 * simulator's revoke fault: STS answers {@code ExpiredToken} for it, IMDS already serves a new
 * one, as after "Revoke active sessions" or an instance-profile swap). Four STS clients call
 * {@code GetCallerIdentity} in the same run, each with its SDK's default retry settings: SDK v1
 * and v2 with freshcreds' providers (v1 with {@code retryPolicy()} and {@code rejectionHandler()};
 * v2 with {@code RejectionInterceptor} added), and SDK v1 and v2 with the SDKs' own
 * {@code InstanceProfileCredentialsProvider}. Prints the calls, failures and successes after the
 * revocation per client; exits 1 when a freshcreds call failed, when a freshcreds client had no
 * successful call after the revocation (a client that stopped calling has not "0 failed"), when a
 * client's thread is still running at the end (a hung call), when the simulator revoked no key,
 * or when the SDKs' providers did not fail (the fault did not bite).
 */
final class RevokeDemo {
    /** Credential lifetime in the simulator: long, so that no provider refreshes on its own in the run. */
    static final int LIFETIME_SECS = 6 * 3600;
    /** Default length of the run. */
    static final int DEFAULT_DURATION_SECS = 30;
    /** The live key is revoked this far into the run (a fraction of the duration). */
    static final double REVOKE_AT = 1.0 / 3;
    /** Calling threads per client. */
    static final int THREADS_PER_CLIENT = 2;
    /** Pause of each thread between its calls. */
    static final int INTERVAL_MILLIS = 25;
    /**
     * How long after the run's end the client threads may take to finish their last call (the
     * SDKs' default timeouts are shorter); a thread still running then is a hung client.
     */
    static final int JOIN_GRACE_SECS = 60;

    /** One client's tally. */
    private static final class Client {
        final String name;
        final boolean freshcreds;
        final Runnable call;
        final AtomicLong calls = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong failedAfterRevocation = new AtomicLong();
        final AtomicLong okAfterRevocation = new AtomicLong();
        volatile String lastError;

        Client(String name, boolean freshcreds, Runnable call) {
            this.name = name;
            this.freshcreds = freshcreds;
            this.call = call;
        }
    }

    private RevokeDemo() {
    }

    /**
     * Runs the demo.
     *
     * @param simBinary the freshcreds-sim binary
     * @param durationSecs how long the clients call
     * @return the exit status: 0 when every freshcreds call succeeded and the SDKs' providers failed
     */
    static int run(String simBinary, int durationSecs) throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start(new File(simBinary),
                "--lifetime", Integer.toString(LIFETIME_SECS));
                FreshCredentialsProvider freshV1 = new FreshCredentialsProvider(options(sim));
                FreshAwsCredentialsProvider freshV2 = FreshAwsCredentialsProvider.builder().options(options(sim)).build()) {
            System.setProperty("com.amazonaws.sdk.ec2MetadataServiceEndpointOverride", sim.baseUrl());
            System.setProperty("aws.ec2MetadataServiceEndpoint", sim.baseUrl());
            com.amazonaws.auth.InstanceProfileCredentialsProvider stockV1 =
                    new com.amazonaws.auth.InstanceProfileCredentialsProvider(false);
            InstanceProfileCredentialsProvider stockV2 = InstanceProfileCredentialsProvider.builder().build();
            String endpoint = sim.baseUrl() + "/";
            final AWSSecurityTokenService freshV1Client = AWSSecurityTokenServiceClientBuilder.standard()
                    .withEndpointConfiguration(new EndpointConfiguration(endpoint, "us-east-1"))
                    .withClientConfiguration(new ClientConfiguration().withRetryPolicy(freshV1.retryPolicy()))
                    .withRequestHandlers(freshV1.rejectionHandler())
                    .withCredentials(freshV1).build();
            final AWSSecurityTokenService stockV1Client = AWSSecurityTokenServiceClientBuilder.standard()
                    .withEndpointConfiguration(new EndpointConfiguration(endpoint, "us-east-1"))
                    .withCredentials(stockV1).build();
            final StsClient freshV2Client = v2(endpoint, freshV2);
            final StsClient stockV2Client = v2(endpoint, stockV2);
            List<Client> clients = new ArrayList<Client>();
            clients.add(new Client("SDK v1, freshcreds", true, () -> freshV1Client.getCallerIdentity(new GetCallerIdentityRequest())));
            clients.add(new Client("SDK v2, freshcreds", true, () -> freshV2Client.getCallerIdentity()));
            clients.add(new Client("SDK v1, InstanceProfileCredentialsProvider", false,
                    () -> stockV1Client.getCallerIdentity(new GetCallerIdentityRequest())));
            clients.add(new Client("SDK v2, InstanceProfileCredentialsProvider", false, () -> stockV2Client.getCallerIdentity()));

            System.out.printf(Locale.ROOT, "freshcreds revoke demo: %d clients x %d threads call STS GetCallerIdentity for %d s"
                    + " (SDK default retry settings); the live instance-role key (lifetime %d h) is revoked at %d s%n",
                    clients.size(), THREADS_PER_CLIENT, durationSecs, LIFETIME_SECS / 3600, (int) (durationSecs * REVOKE_AT));
            long start = System.nanoTime();
            final long deadline = start + TimeUnit.SECONDS.toNanos(durationSecs);
            final long revokeAt = start + (long) (TimeUnit.SECONDS.toNanos(durationSecs) * REVOKE_AT);
            final java.util.concurrent.atomic.AtomicBoolean revoked = new java.util.concurrent.atomic.AtomicBoolean();
            List<Thread> threads = new ArrayList<Thread>();
            for (final Client c : clients) {
                for (int t = 0; t < THREADS_PER_CLIENT; t++) {
                    Thread th = new Thread(() -> loop(c, deadline, revoked), "revoke-demo " + c.name + " " + t);
                    th.setDaemon(true);
                    th.start();
                    threads.add(th);
                }
            }
            TimeUnit.NANOSECONDS.sleep(Math.max(0, revokeAt - System.nanoTime()));
            long roundsV1 = freshV1.source().typedStatus().getRounds();
            long roundsV2 = freshV2.source().typedStatus().getRounds();
            String answer = sim.admin("POST", "/_sim/revoke");
            revoked.set(true);
            java.util.regex.Matcher key = java.util.regex.Pattern.compile("\"revoked\":\\[\"([^\"]+)\"").matcher(answer);
            boolean revocationApplied = key.find();
            System.out.printf(Locale.ROOT, "   %5.1f s  revoked %s (STS answers ExpiredToken for it; IMDS serves a new key)%n",
                    (System.nanoTime() - start) / 1e9, revocationApplied ? key.group(1) : "nothing: " + answer);
            long joinBy = deadline + TimeUnit.SECONDS.toNanos(JOIN_GRACE_SECS);
            for (Thread th : threads) {
                th.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinBy - System.nanoTime())));
            }
            String counts = sim.counts();
            System.out.println();
            System.out.printf(Locale.ROOT, "   %-44s %8s %8s %14s %s%n", "client", "calls", "failed", "ok after revoke", "");
            int status = 0;
            if (!revocationApplied) {
                System.out.println("FAILED: the simulator revoked no key: " + answer);
                status = 1;
            }
            for (Client c : clients) {
                System.out.printf(Locale.ROOT, "   %-44s %8d %8d %14d %s%n", c.name, c.calls.get(), c.failed.get(),
                        c.okAfterRevocation.get(), c.lastError == null ? "" : "(" + c.lastError + ")");
                if (c.freshcreds && c.failed.get() > 0) {
                    System.out.printf("FAILED: %d calls of %s failed%n", c.failed.get(), c.name);
                    status = 1;
                }
                if (c.freshcreds && c.okAfterRevocation.get() == 0) {
                    System.out.printf("FAILED: %s made no successful call after the revocation%n", c.name);
                    status = 1;
                }
                if (!c.freshcreds && c.failedAfterRevocation.get() == 0) {
                    System.out.printf("FAILED: %s did not fail after the revocation: the fault did not bite%n", c.name);
                    status = 1;
                }
            }
            for (Thread th : threads) {
                if (th.isAlive()) {
                    System.out.printf("FAILED: thread '%s' is still running %d s after the run ended (a hung call):%n",
                            th.getName(), JOIN_GRACE_SECS);
                    for (StackTraceElement e : th.getStackTrace()) {
                        System.out.println("      at " + e);
                    }
                    status = 1;
                }
            }
            System.out.printf(Locale.ROOT, "   simulator: %d STS requests, %d rejected as revoked, %d IMDS credential requests%n",
                    SimulatorProcess.count(counts, "sts"), SimulatorProcess.count(counts, "sts_revoked"),
                    SimulatorProcess.count(counts, "imds_credentials"));
            System.out.printf(Locale.ROOT, "   freshcreds sources: the rejected key reported %d (v1) and %d (v2) times;"
                    + " refresh rounds after the revocation: %d (v1) and %d (v2)%n",
                    freshV1.source().typedStatus().getInvalidations(), freshV2.source().typedStatus().getInvalidations(),
                    freshV1.source().typedStatus().getRounds() - roundsV1, freshV2.source().typedStatus().getRounds() - roundsV2);
            System.out.println("   the SDKs' providers keep the revoked key until their next refresh, near its expiry ("
                    + LIFETIME_SECS / 3600 + " h after issue): every later call fails");
            if (status == 0) {
                System.out.println("OK: every call through freshcreds succeeded after the revocation");
            }
            freshV1Client.shutdown();
            stockV1Client.shutdown();
            freshV2Client.close();
            stockV2Client.close();
            stockV1.close();
            stockV2.close();
            return status;
        }
    }

    private static FreshCredentialsOptions options(SimulatorProcess sim) {
        return FreshCredentialsOptions.builder().source("imds").imdsEndpoint(sim.baseUrl()).build();
    }

    private static StsClient v2(String endpoint, software.amazon.awssdk.auth.credentials.AwsCredentialsProvider provider) {
        return StsClient.builder().endpointOverride(URI.create(endpoint)).region(Region.US_EAST_1)
                .httpClient(UrlConnectionHttpClient.create()).credentialsProvider(provider)
                // It acts only on calls signed with freshcreds' credentials: the SDK's own
                // provider's client is left alone.
                .overrideConfiguration(o -> o.addExecutionInterceptor(new RejectionInterceptor())).build();
    }

    private static void loop(Client c, long deadline, java.util.concurrent.atomic.AtomicBoolean revoked) {
        while (System.nanoTime() < deadline) {
            boolean after = revoked.get();
            c.calls.incrementAndGet();
            try {
                c.call.run();
                if (after) {
                    c.okAfterRevocation.incrementAndGet();
                }
            } catch (AmazonServiceException e) {
                fail(c, after, e.getErrorCode());
            } catch (AwsServiceException e) {
                fail(c, after, e.awsErrorDetails().errorCode());
            } catch (RuntimeException e) {
                fail(c, after, e.getClass().getSimpleName());
            }
            try {
                TimeUnit.MILLISECONDS.sleep(INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static void fail(Client c, boolean afterRevocation, String what) {
        c.failed.incrementAndGet();
        if (afterRevocation) {
            c.failedAfterRevocation.incrementAndGet();
        }
        c.lastError = what;
    }
}

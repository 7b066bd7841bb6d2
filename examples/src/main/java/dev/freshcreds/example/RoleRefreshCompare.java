package dev.freshcreds.example;

import com.amazonaws.ClientConfiguration;
import com.amazonaws.auth.AWSCredentialsProvider;
import com.amazonaws.auth.AWSStaticCredentialsProvider;
import com.amazonaws.auth.BasicAWSCredentials;
import com.amazonaws.auth.STSAssumeRoleSessionCredentialsProvider;
import com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration;
import com.amazonaws.services.securitytoken.AWSSecurityTokenServiceClientBuilder;
import dev.freshcreds.FreshCredentialsOptions;
import dev.freshcreds.sdkv1.FreshCredentialsProvider;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import dev.freshcreds.simkit.SimulatorProcess;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;

/**
 * Do callers wait while a role session is refreshed? Four role providers run side by side in one
 * JVM against one simulator whose STS answers every request after {@code --sts-latency-ms} (2 s by
 * default): freshcreds through its SDK v1 and v2 adapters, and the SDKs' own
 * {@code STSAssumeRoleSessionCredentialsProvider} (v1) and {@code StsAssumeRoleCredentialsProvider}
 * (v2, default settings: no {@code asyncCredentialUpdateEnabled}). All assume the same role with
 * the simulator's static keys as the base, with 900-second sessions (the shortest STS grants, and
 * the SDK v1 provider's fixed default), and {@code --threads} threads each ask their provider for
 * credentials every millisecond. The run lasts {@code --duration} seconds (default 660: every
 * provider refreshes its session once, ten minutes in); the first call of each thread (the first
 * fetch) is left out. Printed per provider: calls, the longest call, calls of 10 ms or more, of
 * 100 ms or more and of 1 s or more, and how many sessions were seen.
 */
public final class RoleRefreshCompare {
    /** The simulator's static keys (rust/sim: STATIC_ACCESS_KEY_ID, STATIC_SECRET_ACCESS_KEY). */
    private static final String SIM_KEY_ID = "AKIDSIMSTATIC";
    private static final String SIM_SECRET = "freshcreds-sim/static/secret/key/for/tests";
    private static final String ROLE = "arn:aws:iam::123456789012:role/compare";
    private static final int SESSION_SECS = 900;

    private RoleRefreshCompare() {
    }

    /** One provider under load: a credential read, and what its callers saw. */
    private static final class Subject {
        final String name;
        final java.util.concurrent.Callable<String> read;
        long calls;
        long maxNanos;
        long over10ms;
        long over100ms;
        long over1s;
        final Set<String> keys = new HashSet<String>();

        Subject(String name, java.util.concurrent.Callable<String> read) {
            this.name = name;
            this.read = read;
        }

        synchronized void add(long calls, long maxNanos, long over10, long over100, long over1000, Set<String> keys) {
            this.calls += calls;
            this.maxNanos = Math.max(this.maxNanos, maxNanos);
            this.over10ms += over10;
            this.over100ms += over100;
            this.over1s += over1000;
            this.keys.addAll(keys);
        }
    }

    public static void main(String[] args) throws Exception {
        int duration = 660;
        int threads = 2;
        int latencyMs = 2000;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--duration")) {
                duration = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--threads")) {
                threads = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--sts-latency-ms")) {
                latencyMs = Integer.parseInt(args[++i]);
            } else {
                System.err.println("Usage: RoleRefreshCompare [--duration SECS] [--threads N] [--sts-latency-ms MS]");
                System.exit(2);
            }
        }
        try (SimulatorProcess sim = SimulatorProcess.start("--lifetime", Integer.toString(SESSION_SECS))) {
            sim.fault("sts", String.format(Locale.ROOT, "{\"latency_ms\":%d}", latencyMs));
            System.out.printf(Locale.ROOT, "simulator %s, STS latency %d ms, %d-s sessions, %d s, %d threads per provider%n",
                    sim.baseUrl(), latencyMs, SESSION_SECS, duration, threads);
            run(sim, duration, threads);
        }
    }

    private static void run(SimulatorProcess sim, int duration, int threads) throws Exception {
        // freshcreds: the base is the system-properties source (the simulator's static keys).
        System.setProperty("aws.accessKeyId", SIM_KEY_ID);
        System.setProperty("aws.secretAccessKey", SIM_SECRET);
        FreshCredentialsOptions fresh = FreshCredentialsOptions.builder()
                .source("systemProperties")
                .assumeRole(ROLE, "freshcreds")
                .duration(java.time.Duration.ofSeconds(SESSION_SECS))
                .stsEndpoint(sim.baseUrl())
                .build();
        final FreshCredentialsProvider freshV1 = new FreshCredentialsProvider(fresh);
        final FreshAwsCredentialsProvider freshV2 = FreshAwsCredentialsProvider.builder().options(fresh).build();

        AWSCredentialsProvider v1Base = new AWSStaticCredentialsProvider(new BasicAWSCredentials(SIM_KEY_ID, SIM_SECRET));
        final STSAssumeRoleSessionCredentialsProvider sdkV1 = new STSAssumeRoleSessionCredentialsProvider.Builder(ROLE, "sdk-v1")
                .withStsClient(AWSSecurityTokenServiceClientBuilder.standard()
                        .withEndpointConfiguration(new EndpointConfiguration(sim.baseUrl() + "/", "us-east-1"))
                        .withClientConfiguration(new ClientConfiguration().withSocketTimeout(30_000))
                        .withCredentials(v1Base)
                        .build())
                .build();
        AwsCredentialsProvider v2Base = StaticCredentialsProvider.create(AwsBasicCredentials.create(SIM_KEY_ID, SIM_SECRET));
        final StsClient v2Sts = StsClient.builder()
                .endpointOverride(URI.create(sim.baseUrl() + "/"))
                .region(Region.US_EAST_1)
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(v2Base)
                .build();
        final StsAssumeRoleCredentialsProvider sdkV2 = StsAssumeRoleCredentialsProvider.builder()
                .stsClient(v2Sts)
                .refreshRequest(r -> r.roleArn(ROLE).roleSessionName("sdk-v2").durationSeconds(SESSION_SECS))
                .build();

        List<Subject> subjects = new ArrayList<Subject>();
        subjects.add(new Subject("freshcreds (SDK v1 adapter)", () -> freshV1.getCredentials().getAWSAccessKeyId()));
        subjects.add(new Subject("freshcreds (SDK v2 adapter)", () -> freshV2.resolveCredentials().accessKeyId()));
        subjects.add(new Subject("SDK v1 STSAssumeRoleSessionCredentialsProvider", () -> sdkV1.getCredentials().getAWSAccessKeyId()));
        subjects.add(new Subject("SDK v2 StsAssumeRoleCredentialsProvider", () -> sdkV2.resolveCredentials().accessKeyId()));

        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(duration);
        List<Thread> running = new ArrayList<Thread>();
        for (final Subject s : subjects) {
            for (int t = 0; t < threads; t++) {
                Thread thread = new Thread(() -> load(s, end), s.name + "-" + t);
                thread.start();
                running.add(thread);
            }
        }
        long started = System.nanoTime();
        for (Thread t : running) {
            while (t.isAlive()) {
                t.join(60_000);
                if (t.isAlive()) {
                    System.out.printf(Locale.ROOT, "  ... %d s%n", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
                }
            }
        }
        System.out.printf(Locale.ROOT, "%n| provider | calls | longest call | calls >= 10 ms | >= 100 ms | >= 1 s | sessions seen |%n");
        System.out.printf(Locale.ROOT, "|---|---:|---:|---:|---:|---:|---:|%n");
        for (Subject s : subjects) {
            System.out.printf(Locale.ROOT, "| %s | %d | %.1f ms | %d | %d | %d | %d |%n", s.name, s.calls,
                    s.maxNanos / 1e6, s.over10ms, s.over100ms, s.over1s, s.keys.size());
        }
        System.out.printf(Locale.ROOT, "STS AssumeRole calls (all providers): %d%n", sim.count("sts_assume_role"));
        closeQuietly(freshV1);
        freshV2.close();
        sdkV2.close();
        v2Sts.close();
    }

    private static void load(Subject s, long end) {
        long calls = 0;
        long max = 0;
        long over10 = 0;
        long over100 = 0;
        long over1000 = 0;
        Set<String> keys = new HashSet<String>();
        boolean first = true;
        try {
            while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                String key = s.read.call();
                long took = System.nanoTime() - t0;
                keys.add(key);
                if (first) {
                    first = false;
                } else {
                    calls++;
                    max = Math.max(max, took);
                    over10 += took >= TimeUnit.MILLISECONDS.toNanos(10) ? 1 : 0;
                    over100 += took >= TimeUnit.MILLISECONDS.toNanos(100) ? 1 : 0;
                    over1000 += took >= TimeUnit.SECONDS.toNanos(1) ? 1 : 0;
                }
                Thread.sleep(1);
            }
        } catch (Exception e) {
            System.err.println(s.name + ": " + e);
        }
        s.add(calls, max, over10, over100, over1000, keys);
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            System.err.println("close: " + e);
        }
    }
}

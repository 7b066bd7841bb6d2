package dev.freshcreds.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.freshcreds.FreshCredentials;
import dev.freshcreds.FreshCredentialsOptions;
import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.FreshRoleSessions;
import dev.freshcreds.simkit.SimulatorProcess;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;

/**
 * Thousands of role sessions in one JVM: freshcreds ({@link FreshRoleSessions}, one shared base)
 * against SDK v2 {@code StsAssumeRoleCredentialsProvider} ({@code asyncCredentialUpdateEnabled},
 * one shared {@code StsClient}), each side in a fresh child JVM of the same run, against one
 * simulator on loopback. Not a test: {@code gradle :bench:jmh:roles -Psessions=2000,10000}.
 *
 * <p>Each child creates N role sessions, resolves each once from {@link #CALLERS} caller threads,
 * and reports: time to all first credentials, the process's threads ({@code /proc/self/status}
 * {@code Threads}), VmRSS after three full GCs, and when each session will refresh.
 */
public final class RoleSessionsBench {
    /** Caller threads that resolve the sessions, on both sides. */
    static final int CALLERS = 8;
    /** The simulator's static keys (test constants, not secrets). */
    private static final String STATIC_KEY = "AKIDSIMSTATIC";
    private static final String STATIC_SECRET = "freshcreds-sim/static/secret/key/for/tests";

    private RoleSessionsBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 3) {
            child(args[0], Integer.parseInt(args[1]), args[2]);
            return;
        }
        String counts = args.length > 0 ? args[0] : "2000,10000";
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            System.out.println("| roles | side | time to all first credentials | threads | VmRSS after GC | refresh times: span, most in any 10 s |");
            System.out.println("|---|---|---|---|---|---|");
            for (String n : counts.split(",")) {
                Map<String, String> sdk = run("sdk", n.trim(), sim);
                Map<String, String> fresh = run("fresh", n.trim(), sim);
                row(n, "SDK v2", sdk);
                row(n, "freshcreds", fresh);
                System.out.println(String.format(Locale.ROOT, "| %s | freshcreds / SDK | %.2f | %.2f | %.2f | |", n.trim(),
                        ratio(fresh, sdk, "millis"), ratio(fresh, sdk, "threads"), ratio(fresh, sdk, "rssKb")));
            }
        }
    }

    private static double ratio(Map<String, String> a, Map<String, String> b, String key) {
        return Double.parseDouble(a.get(key)) / Double.parseDouble(b.get(key));
    }

    private static void row(String n, String side, Map<String, String> r) {
        System.out.println(String.format(Locale.ROOT, "| %s | %s | %.2f s | %s | %d MB | %s s, %s |", n.trim(), side,
                Double.parseDouble(r.get("millis")) / 1000, r.get("threads"), Long.parseLong(r.get("rssKb")) / 1024,
                r.get("spanSecs"), r.get("maxPer10s")));
    }

    private static Map<String, String> run(String side, String n, SimulatorProcess sim) throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<String>(Arrays.asList(java, "-Xmx2g",
                "-Daws.java.v1.disableDeprecationAnnouncement=true", "-Dfreshcreds.jmx=false",
                "-cp", System.getProperty("java.class.path"), RoleSessionsBench.class.getName(), side, n, sim.baseUrl()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("AWS_ACCESS_KEY_ID", STATIC_KEY);
        pb.environment().put("AWS_SECRET_ACCESS_KEY", STATIC_SECRET);
        pb.environment().put("AWS_REGION", "us-east-1");
        pb.environment().put("AWS_EC2_METADATA_DISABLED", "true");
        Process p = pb.start();
        Map<String, String> out = new LinkedHashMap<String, String>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null;) {
                if (line.startsWith("RESULT ")) {
                    for (String kv : line.substring(7).split(" ")) {
                        int eq = kv.indexOf('=');
                        out.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                } else {
                    System.err.println("[" + side + " " + n + "] " + line);
                }
            }
        }
        if (p.waitFor() != 0 || out.isEmpty()) {
            throw new IllegalStateException(side + " " + n + " failed (exit " + p.exitValue() + ")");
        }
        System.err.println("[" + side + " " + n + "] " + out);
        return out;
    }

    private static void child(String side, int n, String sim) throws Exception {
        List<Instant> refreshAt = new ArrayList<Instant>();
        List<AutoCloseable> keep = new ArrayList<AutoCloseable>();
        ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
        long start = System.nanoTime();
        if (side.equals("sdk")) {
            StsClient sts = StsClient.builder().region(Region.US_EAST_1).endpointOverride(URI.create(sim))
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(STATIC_KEY, STATIC_SECRET)))
                    .build();
            List<Future<AwsCredentials>> resolved = new ArrayList<Future<AwsCredentials>>();
            for (int i = 0; i < n; i++) {
                final String arn = "arn:aws:iam::123456789012:role/tenant-" + i;
                final StsAssumeRoleCredentialsProvider p = StsAssumeRoleCredentialsProvider.builder().stsClient(sts)
                        .asyncCredentialUpdateEnabled(true)
                        .refreshRequest(r -> r.roleArn(arn).roleSessionName("tenant")).build();
                keep.add(p);
                resolved.add(callers.submit(p::resolveCredentials));
            }
            for (Future<AwsCredentials> f : resolved) {
                AwsCredentials c = f.get();
                // The SDK's prefetch (asynchronous refresh) time: 5 minutes before expiry.
                refreshAt.add(((AwsSessionCredentials) c).expirationTime().get().minus(Duration.ofMinutes(5)));
            }
            keep.add(sts);
        } else {
            FreshRoleSessions sessions = FreshRoleSessions.over(FreshCredentialsOptions.builder()
                    .source("environment").stsEndpoint(sim).build(), n);
            keep.add(sessions);
            List<Future<FreshCredentialsSource>> resolved = new ArrayList<Future<FreshCredentialsSource>>();
            for (int i = 0; i < n; i++) {
                final String arn = "arn:aws:iam::123456789012:role/tenant-" + i;
                resolved.add(callers.submit(() -> {
                    FreshCredentialsSource s = sessions.session(arn, "tenant");
                    FreshCredentials c = s.credentials();
                    if (c.getAccessKeyId() == null) {
                        throw new IllegalStateException("no credentials");
                    }
                    return s;
                }));
            }
            List<FreshCredentialsSource> all = new ArrayList<FreshCredentialsSource>();
            for (Future<FreshCredentialsSource> f : resolved) {
                all.add(f.get());
            }
            Instant now = Instant.now();
            for (FreshCredentialsSource s : all) {
                refreshAt.add(now.plus(s.typedStatus().getRefreshIn()));
            }
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        callers.shutdown();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(300);
        }
        String status = new String(Files.readAllBytes(new File("/proc/self/status").toPath()), StandardCharsets.UTF_8);
        long rssKb = field(status, "VmRSS:");
        long threads = field(status, "Threads:");
        Instant[] at = refreshAt.toArray(new Instant[0]);
        Arrays.sort(at);
        long spanSecs = Duration.between(at[0], at[at.length - 1]).getSeconds();
        int maxPer10s = 0;
        for (int i = 0, j = 0; i < at.length; i++) {
            while (Duration.between(at[j], at[i]).getSeconds() >= 10) {
                j++;
            }
            maxPer10s = Math.max(maxPer10s, i - j + 1);
        }
        Runtime rt = Runtime.getRuntime();
        long heapKb = (rt.totalMemory() - rt.freeMemory()) / 1024;
        System.out.println("RESULT millis=" + millis + " threads=" + threads + " rssKb=" + rssKb + " heapUsedKb=" + heapKb
                + " spanSecs=" + spanSecs + " maxPer10s=" + maxPer10s);
        System.out.flush();
        for (AutoCloseable c : keep) {
            c.close();
        }
        System.exit(0);
    }

    private static long field(String status, String name) throws IOException {
        for (String line : status.split("\n")) {
            if (line.startsWith(name)) {
                return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
            }
        }
        throw new IOException(name + " not in /proc/self/status");
    }
}

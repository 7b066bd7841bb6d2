package dev.freshcreds.example;

import com.amazonaws.ClientConfiguration;
import com.amazonaws.auth.AWSCredentials;
import com.amazonaws.auth.AWSCredentialsProvider;
import com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration;
import com.amazonaws.services.securitytoken.AWSSecurityTokenService;
import com.amazonaws.services.securitytoken.AWSSecurityTokenServiceClientBuilder;
import dev.freshcreds.FreshCredentialsOptions;
import dev.freshcreds.sdkv1.FreshCredentialsProvider;
import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;
import dev.freshcreds.simkit.SimulatorProcess;
import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.InstanceProfileCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * Credentials rotating under load: a real AWS SDK for Java v1 STS client and a real SDK v2
 * {@code StsClient} call GetCallerIdentity on the local AWS simulator from several threads while
 * its IMDS serves short-lived instance-profile credentials (60 s by default, replaced 20 s before
 * expiry). STS checks every SigV4 signature and answers {@code ExpiredToken} for credentials past
 * their expiration, as AWS does.
 *
 * <p>The clients get their credentials from the freshcreds providers (refreshLead 20 s). One line
 * is printed each time the credentials a client signs with change, and a summary at the end. The
 * exit status is 1 when any call failed, or when fewer rotations than {@code duration / lifetime}
 * were seen. With {@code --compare}, the same workload then runs with the SDKs' own
 * {@code InstanceProfileCredentialsProvider}s against a new simulator, twice: as the default
 * chain builds them, and in their background-refresh modes (v1 {@code new
 * InstanceProfileCredentialsProvider(true)}, v2 {@code asyncCredentialUpdateEnabled(true)}); the
 * runs are compared (the exit status still reflects the freshcreds run only). With {@code --faults}, a
 * {@link FaultInjector} sets random IMDS faults all run long, and the run also fails when an
 * admin call failed, when the simulator's counters show no 503 or no slow/hung answer served, or
 * when it counted more IMDS credential requests than {@link FaultInjector#credentialRequestBound}.
 */
public final class RotationDemo {
    private static final String USAGE = String.join("\n",
            "Usage: RotationDemo [OPTIONS]",
            "",
            "  --duration SECS       how long each run calls STS (default 210: 3+ rotations)",
            "  --threads N           calling threads, each alternating SDK v1 and v2 calls (default 4)",
            "  --interval-ms MS      pause of each thread between its calls (default 25)",
            "  --lifetime SECS       lifetime of the simulator's credentials (default 60)",
            "  --rotation-lead SECS  IMDS replaces credentials this long before expiry (default 20)",
            "  --refresh-lead SECS   freshcreds refreshes this long before expiry (default 20)",
            "  --compare             then run the same with the SDKs' InstanceProfileCredentialsProvider,",
            "                        first as the default chain builds it, then in its background-refresh mode",
            "                        (v1 new InstanceProfileCredentialsProvider(true), v2 asyncCredentialUpdateEnabled)",
            "  --faults              inject random IMDS faults (503s, latency, hung requests) all run long;",
            "                        defaults become 30 s credentials, IMDS rotation lead 10 s, refresh lead 15 s,",
            "                        150 s (5+ rotations), and the run also fails on a failed admin call, when no",
            "                        fault was served, or when IMDS got more credential requests than the stated bound",
            "  --seed N              seed of the fault sequence (default: random, printed)",
            "  --revoke              instead: revoke the live key mid-run (STS answers ExpiredToken for it before",
            "                        its expiry, IMDS serves a new one) and print failed calls per SDK for freshcreds'",
            "                        providers and the SDKs' InstanceProfileCredentialsProvider in the same run",
            "                        (default duration 30 s; exits 1 when a freshcreds call failed)",
            "  --sim PATH            the freshcreds-sim binary (default: system property freshcreds.sim)",
            "  -h, --help            print this help",
            "",
            "Exits 1 when a call through freshcreds failed (e.g. ExpiredToken), too few rotations were seen,",
            "or (--faults) an admin call failed, no fault was served, or IMDS got more credential requests",
            "than the bound.");

    /** Command-line settings. */
    static final class Settings {
        int durationSecs = 210;
        int threads = 4;
        int intervalMillis = 25;
        int lifetimeSecs = 60;
        int rotationLeadSecs = 20;
        int refreshLeadSecs = 20;
        boolean compare;
        boolean faults;
        boolean revoke;
        long seed = new java.util.Random().nextLong();
        String sim = System.getProperty("freshcreds.sim");

        static Settings parse(String[] args) {
            Settings s = new Settings();
            for (String a : args) {
                if (a.equals("--revoke")) {
                    s.revoke = true;
                    s.durationSecs = RevokeDemo.DEFAULT_DURATION_SECS;
                }
                if (a.equals("--faults")) {
                    // Shorter credentials so that 5 rotations fit in 150 s; explicit flags still win.
                    s.faults = true;
                    s.durationSecs = FaultInjector.DEFAULT_DURATION_SECS;
                    s.lifetimeSecs = FaultInjector.DEFAULT_LIFETIME_SECS;
                    s.rotationLeadSecs = FaultInjector.DEFAULT_ROTATION_LEAD_SECS;
                    s.refreshLeadSecs = FaultInjector.DEFAULT_REFRESH_LEAD_SECS;
                }
            }
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--faults":
                        break;
                    case "--seed":
                        try {
                            s.seed = Long.parseLong(value(args, ++i, a));
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("--seed needs a whole number, got '" + args[i] + "'");
                        }
                        break;
                    case "-h":
                    case "--help":
                        return null;
                    case "--revoke":
                        break;
                    case "--compare":
                        s.compare = true;
                        break;
                    case "--sim":
                        s.sim = value(args, ++i, a);
                        break;
                    case "--duration":
                        s.durationSecs = number(args, ++i, a, 1);
                        break;
                    case "--threads":
                        s.threads = number(args, ++i, a, 1);
                        break;
                    case "--interval-ms":
                        s.intervalMillis = number(args, ++i, a, 0);
                        break;
                    case "--lifetime":
                        s.lifetimeSecs = number(args, ++i, a, 10);
                        break;
                    case "--rotation-lead":
                        s.rotationLeadSecs = number(args, ++i, a, 0);
                        break;
                    case "--refresh-lead":
                        s.refreshLeadSecs = number(args, ++i, a, 1);
                        break;
                    default:
                        throw new IllegalArgumentException("unknown argument '" + a + "'");
                }
            }
            if (s.sim == null || s.sim.isEmpty()) {
                throw new IllegalArgumentException("no simulator: pass --sim PATH or -Dfreshcreds.sim=PATH");
            }
            return s;
        }

        private static String value(String[] args, int i, String flag) {
            if (i >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            return args[i];
        }

        private static int number(String[] args, int i, String flag, int min) {
            String v = value(args, i, flag);
            try {
                int n = Integer.parseInt(v);
                if (n < min) {
                    throw new IllegalArgumentException(flag + " must be at least " + min + ", got " + v);
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " needs a whole number, got '" + v + "'");
            }
        }

        int expectedRotations() {
            return durationSecs / lifetimeSecs;
        }
    }

    /** The credential providers of one run, wrapped so the demo sees what each client signed with. */
    private abstract static class Providers implements Closeable {
        final String name;
        final Workload.RecordingV1 v1;
        final Workload.RecordingV2 v2;

        Providers(String name, AWSCredentialsProvider v1, AwsCredentialsProvider v2) {
            this.name = name;
            this.v1 = new Workload.RecordingV1(v1);
            this.v2 = new Workload.RecordingV2(v2);
        }

        /** Expiry of the credentials the v1 client signs with, when the provider tells it. */
        abstract Instant v1Expiry();

        /** Refreshes done so far by the provider behind {@code sdk}, or -1 when it does not say. */
        abstract long refreshes(String sdk);

        /** The refresh rounds of each provider's engine, or {@code null} when it does not say. */
        String rounds() {
            return null;
        }
    }

    private static final class FreshProviders extends Providers {
        private static final Pattern REFRESHES = Pattern.compile("\"refreshes\"\\s*:\\s*(\\d+)");
        private final FreshCredentialsProvider fv1;
        private final FreshAwsCredentialsProvider fv2;

        private FreshProviders(FreshCredentialsProvider fv1, FreshAwsCredentialsProvider fv2) {
            super("freshcreds", fv1, fv2);
            this.fv1 = fv1;
            this.fv2 = fv2;
        }

        /** Sources behind the two providers (one per SDK). */
        static final int SOURCES = 2;

        static FreshProviders create(String imdsEndpoint, int refreshLeadSecs, boolean faults) {
            // One source per SDK, as two applications would have; both read the simulator's IMDS.
            FreshCredentialsOptions.Builder builder = FreshCredentialsOptions.builder()
                    .source("imds")
                    .imdsEndpoint(imdsEndpoint)
                    .refreshLead(Duration.ofSeconds(refreshLeadSecs));
            if (faults) {
                // Pinned, because the request bound of the fault run is derived from them.
                builder.imdsAttempts(FaultInjector.IMDS_ATTEMPTS)
                        .imdsTimeout(Duration.ofMillis(FaultInjector.IMDS_TIMEOUT_MILLIS));
            }
            FreshCredentialsOptions options = builder.build();
            FreshCredentialsProvider v1 = new FreshCredentialsProvider(options);
            FreshAwsCredentialsProvider v2 = FreshAwsCredentialsProvider.builder().options(options).build();
            return new FreshProviders(v1, v2);
        }

        @Override
        Instant v1Expiry() {
            return fv1.source().credentials().getExpiration();
        }

        @Override
        long refreshes(String sdk) {
            String status = (sdk.equals("SDK v1") ? fv1.source() : fv2.source()).status();
            Matcher m = REFRESHES.matcher(status);
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        }

        @Override
        String rounds() {
            StringBuilder b = new StringBuilder();
            for (String sdk : new String[] {"SDK v1", "SDK v2"}) {
                String status = (sdk.equals("SDK v1") ? fv1.source() : fv2.source()).status();
                b.append(b.length() == 0 ? "" : "; ").append(sdk).append(": ").append(SimulatorProcess.count(status, "rounds"))
                        .append(" rounds (").append(SimulatorProcess.count(status, "refreshes")).append(" new, ")
                        .append(SimulatorProcess.count(status, "unrotatedPolls")).append(" unrotated, ")
                        .append(SimulatorProcess.count(status, "failures")).append(" failed)");
            }
            return b.toString();
        }

        @Override
        public void close() {
            fv1.close();
            fv2.close();
        }
    }

    private static final class StockProviders extends Providers {
        private final com.amazonaws.auth.InstanceProfileCredentialsProvider sv1;
        private final InstanceProfileCredentialsProvider sv2;

        private StockProviders(String name, com.amazonaws.auth.InstanceProfileCredentialsProvider sv1,
                InstanceProfileCredentialsProvider sv2) {
            super(name, sv1, sv2);
            this.sv1 = sv1;
            this.sv2 = sv2;
        }

        /**
         * The SDKs' providers.
         *
         * @param imdsEndpoint the simulator
         * @param background their background-refresh modes (v1: a refresh thread; v2: a
         *     prefetch thread) instead of the default chain's synchronous ones
         */
        static StockProviders create(String imdsEndpoint, boolean background) {
            // How each SDK is pointed at another IMDS endpoint (both read these when building).
            System.setProperty("com.amazonaws.sdk.ec2MetadataServiceEndpointOverride", imdsEndpoint);
            System.setProperty("aws.ec2MetadataServiceEndpoint", imdsEndpoint);
            // The v1 default chain uses InstanceProfileCredentialsProvider.getInstance(), which is
            // this provider with synchronous refresh; a new one keeps the runs independent.
            if (background) {
                return new StockProviders("SDK providers, background refresh",
                        new com.amazonaws.auth.InstanceProfileCredentialsProvider(true),
                        InstanceProfileCredentialsProvider.builder().asyncCredentialUpdateEnabled(true).build());
            }
            return new StockProviders("SDK InstanceProfileCredentialsProvider",
                    new com.amazonaws.auth.InstanceProfileCredentialsProvider(false),
                    InstanceProfileCredentialsProvider.builder().build());
        }

        @Override
        Instant v1Expiry() {
            return null; // SDK v1 credentials carry no expiry
        }

        @Override
        long refreshes(String sdk) {
            return -1;
        }

        @Override
        public void close() throws IOException {
            sv1.close();
            sv2.close();
        }
    }

    /** What one run measured. */
    private static final class Result {
        final String name;
        final Workload workload;
        final String counts;
        /** {@code GET /_sim/now}: {@code issued} is the credential sets the simulator minted. */
        final String now;
        final int rotationsV1;
        final int rotationsV2;
        /** With {@code --faults}: the injector's failed admin calls and the faults it set. */
        final List<String> adminErrors;
        final long[] injectedByKind;
        /** The engines' rounds ({@link Providers#rounds}), or {@code null}. */
        String rounds;

        Result(String name, Workload workload, String counts, String now, int rotationsV1, int rotationsV2,
                FaultInjector injector) {
            this.name = name;
            this.workload = workload;
            this.counts = counts;
            this.now = now;
            this.rotationsV1 = rotationsV1;
            this.rotationsV2 = rotationsV2;
            this.adminErrors = injector == null ? Collections.<String>emptyList() : injector.adminErrors();
            this.injectedByKind = injector == null ? new long[3] : injector.injectedByKind();
        }

        long count(String key) {
            return SimulatorProcess.count(counts, key);
        }

        long errors() {
            return workload.v1.errors() + workload.v2.errors();
        }
    }

    /** Call latencies are recorded from this many seconds into a run on (JIT and class loading before). */
    private static final int WARM_UP_SECS = 10;

    private RotationDemo() {
    }

    /**
     * Runs the demo.
     *
     * @param args see {@code --help}
     */
    public static void main(String[] args) throws Exception {
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("RotationDemo: " + e.getMessage() + "\n\n" + USAGE);
            System.exit(2);
            return;
        }
        if (settings == null) {
            System.out.println(USAGE);
            return;
        }
        // The SDK v1 end-of-support notice (with a stack trace) would bury the demo's output.
        if (System.getProperty("aws.java.v1.disableDeprecationAnnouncement") == null) {
            System.setProperty("aws.java.v1.disableDeprecationAnnouncement", "true");
        }
        // Bind SLF4J before any background thread logs, so no record is queued and replayed.
        LoggerFactory.getILoggerFactory();
        if (settings.revoke) {
            System.exit(RevokeDemo.run(settings.sim, settings.durationSecs));
            return;
        }
        int runs = settings.compare ? 3 : 1;
        System.out.printf(Locale.ROOT, "freshcreds rotation demo: credentials live %d s and IMDS replaces them %d s before expiry;"
                + " %d threads call STS GetCallerIdentity through SDK v1 and v2 for %d s%s%n",
                settings.lifetimeSecs, settings.rotationLeadSecs, settings.threads, settings.durationSecs,
                settings.compare ? " per run" : "");

        Result fresh = run(settings, 1, runs, true, false);
        boolean failed = false;
        if (fresh.errors() > 0) {
            System.out.printf("FAILED: %d calls through freshcreds failed%n", fresh.errors());
            failed = true;
        }
        int expected = settings.expectedRotations();
        if (fresh.rotationsV1 < expected || fresh.rotationsV2 < expected) {
            System.out.printf("FAILED: expected at least %d rotations per SDK in %d s of %d-second credentials, saw %d (v1) and %d (v2)%n",
                    expected, settings.durationSecs, settings.lifetimeSecs, fresh.rotationsV1, fresh.rotationsV2);
            failed = true;
        }
        if (settings.faults && !checkFaultRun(fresh, settings)) {
            failed = true;
        }
        if (settings.compare) {
            Result stock = run(settings, 2, runs, false, false);
            Result background = run(settings, 3, runs, false, true);
            compare(fresh, stock, background);
        }
        if (failed) {
            System.exit(1);
        }
        System.out.println("OK: every call through freshcreds succeeded across "
                + Math.min(fresh.rotationsV1, fresh.rotationsV2) + " rotations");
    }

    /**
     * The {@code --faults} checks on the simulator's counters: every admin call succeeded, 503s
     * and slow or hung answers were served (not only set), and the IMDS credential requests stay
     * within {@link FaultInjector#credentialRequestBound}. A counter the simulator does not report
     * stops the run ({@link SimulatorProcess#count(String, String)} throws).
     */
    private static boolean checkFaultRun(Result r, Settings settings) {
        boolean ok = true;
        for (String e : r.adminErrors) {
            System.out.println("FAILED: fault injector admin call: " + e);
            ok = false;
        }
        long status = r.count("faults_status");
        long slow = r.count("faults_latency") + r.count("faults_hung");
        System.out.printf(Locale.ROOT, "faults set: %d x 503, %d x latency, %d x hang; served: %d 503 answers, %d delayed,"
                + " %d hung (of them %d credential requests answered by a fault)%n",
                r.injectedByKind[0], r.injectedByKind[1], r.injectedByKind[2], status, r.count("faults_latency"),
                r.count("faults_hung"), r.count("imds_credentials_faulted"));
        if (status == 0 || slow == 0) {
            System.out.println("FAILED: the simulator served no " + (status == 0 ? "503" : "slow or hung") + " answer:"
                    + " the faults were set but never reached a request");
            ok = false;
        }
        long sets = SimulatorProcess.count(r.now, "issued");
        long perSet = FaultInjector.roundsPerSet(settings.lifetimeSecs, settings.refreshLeadSecs, settings.rotationLeadSecs);
        long faulted = r.count("imds_credentials_faulted");
        long bound = FaultInjector.credentialRequestBound(FreshProviders.SOURCES, sets, perSet, faulted);
        long requests = r.count("imds_credentials");
        System.out.printf(Locale.ROOT, "IMDS credential requests under faults: %d (bound %d = %d sources x (%d sets x %d rounds + %d)"
                + " + %d answered by a fault; %d rounds = 1 + polls %d ms apart while IMDS has not rotated)%n",
                requests, bound, FreshProviders.SOURCES, sets, perSet, FaultInjector.EXTRA_ROUNDS_PER_SOURCE, faulted,
                perSet, FaultInjector.MIN_SPACING_MILLIS);
        if (requests > bound) {
            System.out.printf("FAILED: %d IMDS credential requests exceed the bound %d%n", requests, bound);
            ok = false;
        }
        return ok;
    }

    private static Result run(Settings settings, int index, int runs, boolean freshcreds, boolean background)
            throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start(new File(settings.sim),
                "--lifetime", Integer.toString(settings.lifetimeSecs),
                "--rotation-lead", Integer.toString(settings.rotationLeadSecs));
                Providers providers = freshcreds
                        ? FreshProviders.create(sim.baseUrl(), settings.refreshLeadSecs, settings.faults)
                        : StockProviders.create(sim.baseUrl(), background)) {
            System.out.printf("%n== run %d/%d: %s (simulator %s)%n", index, runs,
                    freshcreds ? "freshcreds providers, refreshLead " + settings.refreshLeadSecs + " s" : providers.name,
                    sim.baseUrl());
            AWSSecurityTokenService stsV1 = AWSSecurityTokenServiceClientBuilder.standard()
                    .withEndpointConfiguration(new EndpointConfiguration(sim.baseUrl() + "/", "us-east-1"))
                    .withClientConfiguration(new ClientConfiguration().withMaxErrorRetry(0))
                    .withCredentials(providers.v1)
                    .build();
            // No retries in either client: every failed call is counted.
            StsClient stsV2 = StsClient.builder()
                    .endpointOverride(URI.create(sim.baseUrl() + "/"))
                    .region(Region.US_EAST_1)
                    .httpClient(UrlConnectionHttpClient.create())
                    .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()))
                    .credentialsProvider(providers.v2)
                    .build();
            FaultInjector injector = null;
            try {
                if (settings.faults) {
                    System.out.printf(Locale.ROOT, "   random IMDS faults every %d ms (seed %d): 503 x1-%d, latency up to %d ms, hung requests x1-%d%n",
                            FaultInjector.PERIOD_MILLIS, settings.seed, FaultInjector.MAX_503_TIMES, FaultInjector.MAX_LATENCY_MILLIS,
                            FaultInjector.MAX_HANG_TIMES);
                    injector = FaultInjector.start(sim, settings.seed);
                }
                long start = System.nanoTime();
                long deadline = start + TimeUnit.SECONDS.toNanos(settings.durationSecs);
                long warmUp = TimeUnit.SECONDS.toNanos(Math.min(WARM_UP_SECS, settings.durationSecs / 10));
                Workload workload = new Workload(stsV1, stsV2, start, start + warmUp);
                workload.start(settings.threads, deadline, settings.intervalMillis);
                String lastV1 = null;
                String lastV2 = null;
                int rotationsV1 = -1;
                int rotationsV2 = -1;
                while (System.nanoTime() < deadline) {
                    TimeUnit.MILLISECONDS.sleep(200);
                    AWSCredentials c1 = providers.v1.last;
                    if (c1 != null && !c1.getAWSAccessKeyId().equals(lastV1)) {
                        lastV1 = c1.getAWSAccessKeyId();
                        rotationsV1++;
                        Instant expiry = expiryOrNull(providers, true);
                        line(start, rotationsV1, workload.v1, providers, sim, lastV1, expiry);
                    }
                    AwsCredentials c2 = providers.v2.last;
                    if (c2 != null && !c2.accessKeyId().equals(lastV2)) {
                        lastV2 = c2.accessKeyId();
                        rotationsV2++;
                        Instant expiry = c2 instanceof AwsSessionCredentials
                                ? ((AwsSessionCredentials) c2).expirationTime().orElse(null) : null;
                        line(start, rotationsV2, workload.v2, providers, sim, lastV2, expiry);
                    }
                }
                workload.join();
                if (injector != null) {
                    injector.close();
                    System.out.printf("   %d faults injected%n", injector.injected());
                }
                String counts = sim.counts();
                String now = sim.admin("GET", "/_sim/now");
                Result result = new Result(providers.name, workload, counts, now, Math.max(rotationsV1, 0),
                        Math.max(rotationsV2, 0), injector);
                result.rounds = providers.rounds();
                summary(result, settings);
                return result;
            } finally {
                if (injector != null) {
                    injector.close();
                }
                stsV1.shutdown();
                stsV2.close();
            }
        }
    }

    private static Instant expiryOrNull(Providers providers, boolean v1) {
        try {
            return v1 ? providers.v1Expiry() : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static void line(long start, int rotation, Workload.Tally tally, Providers providers,
            SimulatorProcess sim, String key, Instant expiry) throws IOException {
        double t = (System.nanoTime() - start) / 1e9;
        String expires = "-";
        if (expiry != null) {
            long in = Duration.between(Instant.now(), expiry).getSeconds();
            expires = expiry.truncatedTo(ChronoUnit.SECONDS) + " (in " + in + " s)";
        }
        long refreshes = providers.refreshes(tally.sdk);
        System.out.printf(Locale.ROOT, "[%6.1fs] %-10s %s  %-8s key %s  expires %-30s refreshes %-3s calls %-6d errors %-3d imds_credentials %d%n",
                t, rotation == 0 ? "first" : "rotation " + rotation, tally.sdk, providers instanceof FreshProviders ? "fresh" : "stock",
                key, expires, refreshes < 0 ? "-" : Long.toString(refreshes), tally.calls.get(), tally.errors(),
                sim.count("imds_credentials"));
    }

    private static String latency(long[] sorted) {
        if (sorted.length == 0) {
            return "no calls";
        }
        return String.format(Locale.ROOT, "p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                percentile(sorted, 50) / 1000.0, percentile(sorted, 99) / 1000.0, sorted[sorted.length - 1] / 1000.0);
    }

    private static long percentile(long[] sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static void summary(Result r, Settings settings) {
        System.out.printf("-- %s: %d s, %d threads%n", r.name, settings.durationSecs, settings.threads);
        for (Workload.Tally t : new Workload.Tally[] {r.workload.v1, r.workload.v2}) {
            System.out.printf(Locale.ROOT, "   %s: %d calls, %d ok, %d ExpiredToken, %d other errors; latency after warm-up %s; %d rotations%n",
                    t.sdk, t.calls.get(), t.ok.get(), t.expiredToken.get(), t.otherErrors.get(),
                    latency(t.sortedLatencies()), t == r.workload.v1 ? r.rotationsV1 : r.rotationsV2);
            for (String e : t.firstErrors) {
                System.out.println("      error at " + e);
            }
        }
        System.out.printf("   simulator: IMDS token %d, role list %d, credentials %d; STS ok %d, ExpiredToken %d;"
                + " credential sets minted %d%n",
                r.count("imds_token"), r.count("imds_role_list"), r.count("imds_credentials"),
                r.count("sts_ok"), r.count("sts_expired_token"), SimulatorProcess.count(r.now, "issued"));
        if (r.rounds != null) {
            System.out.println("   engines: " + r.rounds);
        }
    }

    private static void compare(Result... results) {
        System.out.printf("%n== freshcreds vs the SDKs' own InstanceProfileCredentialsProvider (same workload, same simulator settings)%n");
        String row = "   %-30s %14s %16s %22s%n";
        System.out.printf(row, "", "freshcreds", "SDK providers", "SDK, background refresh");
        String[] names = {"IMDS credential requests", "IMDS token requests", "STS calls", "ExpiredToken errors",
            "other errors", "SDK v1 call p99 / max (ms)", "SDK v2 call p99 / max (ms)"};
        for (int i = 0; i < names.length; i++) {
            String[] cells = new String[results.length];
            for (int j = 0; j < results.length; j++) {
                cells[j] = cell(results[j], i);
            }
            System.out.printf(row, names[i], cells[0], cells[1], cells[2]);
        }
    }

    private static String cell(Result r, int row) {
        Workload w = r.workload;
        switch (row) {
            case 0:
                return Long.toString(r.count("imds_credentials"));
            case 1:
                return Long.toString(r.count("imds_token"));
            case 2:
                return Long.toString(w.v1.calls.get() + w.v2.calls.get());
            case 3:
                return Long.toString(w.v1.expiredToken.get() + w.v2.expiredToken.get());
            case 4:
                return Long.toString(w.v1.otherErrors.get() + w.v2.otherErrors.get());
            case 5:
                return p99max(w.v1.sortedLatencies());
            default:
                return p99max(w.v2.sortedLatencies());
        }
    }

    private static String p99max(long[] sorted) {
        if (sorted.length == 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1f / %.1f", percentile(sorted, 99) / 1000.0, sorted[sorted.length - 1] / 1000.0);
    }
}

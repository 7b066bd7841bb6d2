package dev.freshcreds.example;

import dev.freshcreds.simkit.SimulatorProcess;
import java.io.IOException;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Random IMDS faults for {@code --faults}: every {@link #PERIOD_MILLIS} one IMDS endpoint (token,
 * role list or, twice as often, credentials) gets a new fault through the simulator's admin API — a few 503s, added
 * latency, a hung request — or every fault is cleared. The sequence is reproducible from its seed.
 *
 * <p>The freshcreds providers must ride through it with 0 failed calls, and with a bounded number
 * of IMDS credential requests: {@link #credentialRequestBound}.
 */
final class FaultInjector implements AutoCloseable {
    /** Run length with {@code --faults}: 5 rotations of {@link #DEFAULT_LIFETIME_SECS}. */
    static final int DEFAULT_DURATION_SECS = 150;
    /** Credential lifetime with {@code --faults}. */
    static final int DEFAULT_LIFETIME_SECS = 30;
    /** IMDS rotation lead and freshcreds refresh lead with {@code --faults} (half the lifetime). */
    static final int DEFAULT_LEAD_SECS = 15;
    /** A new fault this often. */
    static final long PERIOD_MILLIS = 2000;
    /**
     * Most consecutive 503s of one fault: more than {@link #IMDS_ATTEMPTS}, so that some refresh
     * rounds fail as a whole and the engine's backoff (not only its per-request retries) runs.
     */
    static final int MAX_503_TIMES = 5;
    /** Most consecutive hung requests of one fault (each costs {@link #IMDS_TIMEOUT_MILLIS}). */
    static final int MAX_HANG_TIMES = 2;
    /** Most latency added by one fault (below the IMDS timeout). */
    static final int MAX_LATENCY_MILLIS = 700;

    /** IMDS attempts per request the example configures (the engine's default, set explicitly). */
    static final int IMDS_ATTEMPTS = 3;
    /** Per-request IMDS timeout the example configures (a hung request costs this). */
    static final long IMDS_TIMEOUT_MILLIS = 1000;
    /**
     * Least time between two refresh rounds of one source: the engine's floor on every wait
     * ({@code refresh::state::MIN_RETRY_DELAY}, 1 s; the failure policy clamps waits near the
     * expiry but never below it). The only faster rounds are the first fetch and the one
     * immediate retry of a process with nothing cached ({@link #EXTRA_ROUNDS_PER_SOURCE}).
     */
    static final long MIN_ROUND_SPACING_MILLIS = 1000;
    /** Rounds outside the spacing rule: the first fetch and its one immediate retry. */
    static final int EXTRA_ROUNDS_PER_SOURCE = 2;

    /** The credentials endpoint is asked every round; token and role list mostly once. */
    private static final String[] ENDPOINTS = {"imds_token", "imds_role_list", "imds_credentials", "imds_credentials"};

    private final SimulatorProcess sim;
    private final Random random;
    private final Thread thread;
    private final AtomicLong injected = new AtomicLong();
    private volatile boolean stopped;

    private FaultInjector(SimulatorProcess sim, long seed) {
        this.sim = sim;
        this.random = new Random(seed);
        this.thread = new Thread(this::run, "fault-injector");
        this.thread.setDaemon(true);
    }

    /** Starts injecting faults into {@code sim}. */
    static FaultInjector start(SimulatorProcess sim, long seed) {
        FaultInjector f = new FaultInjector(sim, seed);
        f.thread.start();
        return f;
    }

    /**
     * Rounds one source may make in a run of {@code durationSecs}: one per
     * {@link #MIN_ROUND_SPACING_MILLIS}, plus {@link #EXTRA_ROUNDS_PER_SOURCE}. As rounds per
     * rotation: {@code lifetime / MIN_ROUND_SPACING} per rotation, over
     * {@code duration / lifetime} rotations.
     */
    static long roundBound(int durationSecs) {
        return TimeUnit.SECONDS.toMillis(durationSecs) / MIN_ROUND_SPACING_MILLIS + EXTRA_ROUNDS_PER_SOURCE;
    }

    /**
     * The most IMDS credential requests {@code sources} freshcreds sources may make in a run:
     * rounds × {@link #IMDS_ATTEMPTS} attempts per round, per source.
     */
    static long credentialRequestBound(int durationSecs, int sources) {
        return sources * roundBound(durationSecs) * IMDS_ATTEMPTS;
    }

    /** How many faults were set so far. */
    long injected() {
        return injected.get();
    }

    private void run() {
        while (!stopped) {
            try {
                inject();
                TimeUnit.MILLISECONDS.sleep(PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                if (!stopped) {
                    System.out.println("fault injector: " + e.getMessage());
                }
            }
        }
    }

    private void inject() throws IOException {
        String endpoint = ENDPOINTS[random.nextInt(ENDPOINTS.length)];
        int pick = random.nextInt(100);
        String fault;
        if (pick < 35) {
            sim.clearFaults();
            return;
        } else if (pick < 65) {
            fault = String.format(Locale.ROOT, "{\"status\":503,\"times\":%d}", 1 + random.nextInt(MAX_503_TIMES));
        } else if (pick < 85) {
            fault = String.format(Locale.ROOT, "{\"latency_ms\":%d}", 100 + random.nextInt(MAX_LATENCY_MILLIS - 100));
        } else {
            fault = String.format(Locale.ROOT, "{\"hang\":true,\"times\":%d}", 1 + random.nextInt(MAX_HANG_TIMES));
        }
        sim.fault(endpoint, fault);
        injected.incrementAndGet();
    }

    /** Stops injecting and clears every fault. */
    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
            sim.clearFaults();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the simulator is stopping
        }
    }
}

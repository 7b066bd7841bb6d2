package dev.freshcreds.example;

import dev.freshcreds.simkit.SimulatorProcess;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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
 * of IMDS credential requests: {@link #credentialRequestBound}. Every admin call must succeed
 * ({@link #adminErrors}): a fault the simulator refused is a fault that was never served.
 */
final class FaultInjector implements AutoCloseable {
    /** Run length with {@code --faults}: 5 rotations of {@link #DEFAULT_LIFETIME_SECS}. */
    static final int DEFAULT_DURATION_SECS = 150;
    /** Credential lifetime with {@code --faults}. */
    static final int DEFAULT_LIFETIME_SECS = 30;
    /** freshcreds' refresh lead with {@code --faults} (half the lifetime). */
    static final int DEFAULT_REFRESH_LEAD_SECS = 15;
    /**
     * IMDS rotation lead with {@code --faults}: IMDS hands out new credentials only 10 s before
     * expiry, after freshcreds' refresh is due (as EC2 rotates minutes before expiry while the
     * SDKs refresh earlier), so every rotation starts with polls of an IMDS that has not rotated
     * yet — the part of the failure policy that an engine without backoff gets wrong.
     */
    static final int DEFAULT_ROTATION_LEAD_SECS = 10;
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

    // The engine's failure policy (rust/core/src/refresh/state.rs), as far as the bound needs it.
    /** {@code DEFAULT_REFRESH_BACKOFF_BASE}: the least ceiling of any wait after a round. */
    static final long BACKOFF_BASE_MILLIS = 5000;
    /**
     * Least time between two rounds of one source before the mandatory window: every wait is at
     * least half its ceiling (equal jitter), every ceiling at least {@link #BACKOFF_BASE_MILLIS};
     * a wait the policy clamps below that ends exactly where the mandatory window starts.
     */
    static final long MIN_SPACING_MILLIS = BACKOFF_BASE_MILLIS / 2;
    /** {@code MANDATORY_WINDOW} (60 s) and its cap of a quarter of the lifetime. */
    static final long MANDATORY_WINDOW_MILLIS = 60_000;
    /**
     * Rounds per source outside the per-set rule: the first fetch of the process and its one
     * immediate retry (the policy's only wait below {@code MIN_RETRY_DELAY}).
     */
    static final int EXTRA_ROUNDS_PER_SOURCE = 2;

    /** The credentials endpoint is asked every round; token and role list mostly once. */
    private static final String[] ENDPOINTS = {"imds_token", "imds_role_list", "imds_credentials", "imds_credentials"};

    private final SimulatorProcess sim;
    private final Random random;
    private final Thread thread;
    private final AtomicLong injected = new AtomicLong();
    private final AtomicLong injected503 = new AtomicLong();
    private final AtomicLong injectedLatency = new AtomicLong();
    private final AtomicLong injectedHang = new AtomicLong();
    private final List<String> adminErrors = Collections.synchronizedList(new ArrayList<String>());
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
     * The most refresh rounds of one source that end with the credentials endpoint's own answer
     * (not a fault's), per credential set the simulator minted. A set is fetched no earlier than
     * it was minted, so its refresh is due no earlier than {@code lifetime - 1.5 x lead} after
     * its minting (the lead is capped at half the lifetime, the random jitter at half the lead);
     * IMDS answers with the same set until {@code lifetime - rotationLead} after its minting;
     * rounds are at least {@link #MIN_SPACING_MILLIS} apart until the mandatory window starts,
     * which must be later than IMDS's rotation. So: the polls that find the set unchanged, plus
     * the one round that gets the next set. Every other round ends with a fault's answer.
     */
    static long roundsPerSet(int lifetimeSecs, int refreshLeadSecs, int rotationLeadSecs) {
        long lifetime = TimeUnit.SECONDS.toMillis(lifetimeSecs);
        long lead = Math.min(TimeUnit.SECONDS.toMillis(refreshLeadSecs), lifetime / 2);
        long earliestRefresh = lifetime - lead - lead / 2;
        long rotation = lifetime - Math.min(TimeUnit.SECONDS.toMillis(rotationLeadSecs), lifetime / 2);
        long windowStart = lifetime - Math.min(MANDATORY_WINDOW_MILLIS, lifetime / 4);
        if (rotation >= windowStart) {
            throw new IllegalArgumentException("--faults needs IMDS to rotate before the mandatory window ("
                    + (lifetime - windowStart) / 1000.0 + " s before expiry): raise --rotation-lead");
        }
        long span = Math.max(0, rotation - earliestRefresh);
        long unchangedPolls = (span + MIN_SPACING_MILLIS - 1) / MIN_SPACING_MILLIS;
        return unchangedPolls + 1;
    }

    /**
     * The most IMDS credential requests {@code sources} freshcreds sources may make in a run in
     * which the simulator minted {@code sets} credential sets and a fault answered
     * {@code faultAnswers} credential requests: every request was answered either by a fault or
     * by the endpoint, and a round ends at the endpoint's first answer, so
     * {@code sources x (sets x roundsPerSet + EXTRA_ROUNDS_PER_SOURCE) + faultAnswers}. The retries
     * of a round (at most {@link #IMDS_ATTEMPTS} attempts) are each one fault answer.
     */
    static long credentialRequestBound(int sources, long sets, long roundsPerSet, long faultAnswers) {
        return sources * (sets * roundsPerSet + EXTRA_ROUNDS_PER_SOURCE) + faultAnswers;
    }

    /** Admin calls that failed (each a fault or clear that may never have been served). */
    List<String> adminErrors() {
        synchronized (adminErrors) {
            return new ArrayList<>(adminErrors);
        }
    }

    /** How many 503, latency and hang faults were set: {@code [503s, latency, hangs]}. */
    long[] injectedByKind() {
        return new long[] {injected503.get(), injectedLatency.get(), injectedHang.get()};
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
                adminErrors.add(e.getMessage());
                System.out.println("fault injector: FAILED admin call: " + e.getMessage());
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
        }
        AtomicLong kind;
        if (pick < 65) {
            fault = String.format(Locale.ROOT, "{\"status\":503,\"times\":%d}", 1 + random.nextInt(MAX_503_TIMES));
            kind = injected503;
        } else if (pick < 85) {
            fault = String.format(Locale.ROOT, "{\"latency_ms\":%d}", 100 + random.nextInt(MAX_LATENCY_MILLIS - 100));
            kind = injectedLatency;
        } else {
            fault = String.format(Locale.ROOT, "{\"hang\":true,\"times\":%d}", 1 + random.nextInt(MAX_HANG_TIMES));
            kind = injectedHang;
        }
        sim.fault(endpoint, fault);
        injected.incrementAndGet();
        kind.incrementAndGet();
    }

    /** Stops injecting and clears every fault (once; a failed clear is an admin error). */
    @Override
    public void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
            sim.clearFaults();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            adminErrors.add("clearing the faults: " + e.getMessage());
        }
    }
}

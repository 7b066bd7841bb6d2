package dev.freshcreds.bench;

import dev.freshcreds.simkit.SimulatorProcess;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Caller latency across a rotation while IMDS is slow: the simulator's credentials live 60 s
 * (IMDS replaces them 20 s before expiry) and every IMDS request (token, role list, credentials)
 * takes 500 ms more once the first credentials are cached. Eight threads read credentials for
 * 85 s (5 s warm-up, 80 s sampled), so each provider's first refresh falls inside the sampled
 * window (freshcreds with refreshLead 20 s refreshes 30 to 40 s in; the SDK providers, by their
 * own rules, 50 to 70 s in). SampleTime times a sample of the calls only, so it can miss the one
 * call that waited for IMDS: each call is also timed here, and the trial prints how many calls took
 * 100 ms or more, the longest, and the IMDS credential requests made (warm-up included). That
 * timing adds two {@code System.nanoTime()} calls to every sampled operation, for every provider.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 8, time = 10)
@Threads(8)
@Fork(1)
public class RotationBenchmark {

    /** One provider over its own simulator with 60-second credentials and a 500 ms IMDS latency. */
    @State(Scope.Benchmark)
    public static class Provider {
        @Param({Providers.FRESH_V1, Providers.FRESH_V2, Providers.SDK_V1, Providers.SDK_V2})
        public String provider;

        SimulatorProcess sim;
        Providers.Handle handle;
        long imdsCallsBefore;
        final AtomicLong slowCalls = new AtomicLong();
        final AtomicLong longestNanos = new AtomicLong();

        void slow(long nanos) {
            slowCalls.incrementAndGet();
            long seen;
            while ((seen = longestNanos.get()) < nanos && !longestNanos.compareAndSet(seen, nanos)) {
                // retry
            }
        }

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            sim = SimulatorProcess.start("--lifetime", "60", "--rotation-lead", "20");
            handle = Providers.create(provider, sim.baseUrl(), 20);
            handle.get();
            for (String endpoint : new String[] {"imds_token", "imds_role_list", "imds_credentials"}) {
                sim.fault(endpoint, "{\"latency_ms\":500}");
            }
            imdsCallsBefore = sim.count("imds_credentials");
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            long during = sim.count("imds_credentials") - imdsCallsBefore;
            long issued = sim.count("imds_credentials");
            handle.close();
            sim.close();
            System.out.println();
            System.out.printf("%s: IMDS credential requests while benchmarking %d (%d in all);"
                    + " calls that took 100 ms or more: %d, longest %.1f ms%n",
                    provider, during, issued, slowCalls.get(), longestNanos.get() / 1e6);
        }
    }

    /** Calls at least this long are counted as having waited for IMDS. */
    static final long SLOW_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    @Benchmark
    public Object duringRotation(Provider p) {
        long t0 = System.nanoTime();
        Object credentials = p.handle.get();
        long took = System.nanoTime() - t0;
        if (took >= SLOW_NANOS) {
            p.slow(took);
        }
        return credentials;
    }
}

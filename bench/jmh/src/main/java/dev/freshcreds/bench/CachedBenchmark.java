package dev.freshcreds.bench;

import dev.freshcreds.simkit.SimulatorProcess;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
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
 * The cached path: {@code getCredentials()} / {@code resolveCredentials()} while credentials are
 * valid for an hour, at 1 and 8 threads, for the freshcreds v1 and v2 adapters and the SDKs' own
 * {@code InstanceProfileCredentialsProvider}s, all reading the simulator's IMDS. Each trial checks
 * that the measured calls made no IMDS credential request (a cached read, not a fetch).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CachedBenchmark {

    /** One provider over its own simulator; the first fetch is done before measuring. */
    @State(Scope.Benchmark)
    public static class Provider {
        @Param({Providers.FRESH_V1, Providers.FRESH_V2, Providers.SDK_V1, Providers.SDK_V2})
        public String provider;

        SimulatorProcess sim;
        Providers.Handle handle;
        long imdsCallsBefore;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            sim = SimulatorProcess.start("--lifetime", "3600", "--rotation-lead", "300");
            handle = Providers.create(provider, sim.baseUrl(), 0);
            handle.get();
            imdsCallsBefore = sim.count("imds_credentials");
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            long during = sim.count("imds_credentials") - imdsCallsBefore;
            handle.close();
            sim.close();
            System.out.println();
            System.out.println("IMDS credential requests while measuring " + provider + ": " + during);
            if (during > 0) {
                throw new IllegalStateException(provider + " fetched from IMDS " + during
                        + " times while its credentials were valid for an hour: not a cached read");
            }
        }
    }

    @Benchmark
    @Threads(1)
    public Object threads1(Provider p) {
        return p.handle.get();
    }

    @Benchmark
    @Threads(8)
    public Object threads8(Provider p) {
        return p.handle.get();
    }
}

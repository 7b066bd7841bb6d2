package dev.freshcreds.bench;

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
 * Caller latency across a rotation while IMDS is slow: the simulator's credentials live 60 s
 * (IMDS replaces them 20 s before expiry) and every IMDS request (token, role list, credentials)
 * takes 500 ms more from the first measured second on. Eight threads read credentials for 55 s,
 * so each provider's refresh of the first credentials falls inside the sampled window (freshcreds
 * with refreshLead 20 s; the SDK providers with their own rules). SampleTime shows how many calls
 * waited for IMDS and for how long.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 5, time = 10)
@Threads(8)
@Fork(1)
public class RotationBenchmark {

    /** One provider over its own simulator with 60-second credentials and a 500 ms IMDS latency. */
    @State(Scope.Benchmark)
    public static class Provider {
        @Param({Providers.FRESH_V1, Providers.FRESH_V2, Providers.SDK_V1, Providers.SDK_V2})
        public String provider;

        Sim sim;
        Providers.Handle handle;
        long imdsCallsBefore;
        Object first;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            sim = Sim.start(60, 20);
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
            System.out.println("IMDS credential requests while measuring " + provider + ": " + during
                    + " (" + issued + " in all)");
        }
    }

    @Benchmark
    public Object duringRotation(Provider p) {
        return p.handle.get();
    }
}

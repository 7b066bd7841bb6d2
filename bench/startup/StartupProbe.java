import dev.freshcreds.FreshCredentials;
import dev.freshcreds.FreshCredentialsOptions;
import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.internal.NativeLoader;

/**
 * One start-up measurement in a fresh JVM: the native library load (NativeLoader.load(): find,
 * extract or reuse, dlopen, JNI_OnLoad), then the first credentials (create a source reading the
 * simulator's IMDS on loopback and get its credentials). Prints one line of milliseconds.
 */
public class StartupProbe {
    public static void main(String[] args) throws Exception {
        String imds = args[0];
        long t0 = System.nanoTime();
        NativeLoader.load();
        long t1 = System.nanoTime();
        FreshCredentialsOptions options = FreshCredentialsOptions.builder()
                .readSystemProperties(false).source("imds").imdsEndpoint(imds).build();
        try (FreshCredentialsSource source = FreshCredentialsSource.create(options)) {
            FreshCredentials credentials = source.credentials();
            long t2 = System.nanoTime();
            if (!credentials.getAccessKeyId().startsWith("ASIA")) {
                throw new IllegalStateException("unexpected credentials from " + imds);
            }
            System.out.printf(java.util.Locale.ROOT, "load_ms=%.2f first_credentials_ms=%.2f%n",
                    (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        }
    }
}

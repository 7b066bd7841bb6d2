package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

import dev.freshcreds.simkit.SimulatorProcess;
import dev.freshcreds.simkit.Trees;

/**
 * A JVM on a corporate network, configured the way such JVMs are: only through its own system
 * properties. Each case is a separate JVM with the product jar and SDK v2, a minimal environment
 * (no {@code AWS_*}, no {@code HTTPS_PROXY}), the SDK's own IMDS switched off, and
 * {@code FreshAwsCredentialsProvider} assuming a role over the simulator's instance role. STS is
 * the simulator behind its TLS front, whose certificate comes from a private CA made at start (what
 * a TLS-inspecting proxy looks like), reached directly or through the simulator's counting
 * {@code CONNECT} proxy, whose every tunnel leads to that front. Everything stays on loopback.
 *
 * <ul>
 *   <li>trust: with the CA in {@code -Djavax.net.ssl.trustStore} the role is assumed; without
 *       it the call fails in under {@link #UNTRUSTED_FAILS_WITHIN_MILLIS} ms, after one refused
 *       handshake, naming the endpoint, the issuer and the fix;
 *   <li>proxy: {@code -Dhttps.proxyHost}/{@code -Dhttps.proxyPort} carry STS through the proxy
 *       (its tunnel counter says so), and a host in {@code -Dhttp.nonProxyHosts} goes direct;
 *   <li>proxy credentials: a proxy that wants them gets {@code -Dhttps.proxyUser} and
 *       {@code -Dhttps.proxyPassword}, which no output shows; without them the call fails at once
 *       naming the proxy and those settings.
 * </ul>
 */
public class CorporateNetworkTest {
    private static final String ROLE = "arn:aws:iam::123456789012:role/corp-app";
    /** A name only the proxy sees: it is never looked up, the proxy tunnels it to the front. */
    private static final String PROXIED_HOST = "sts.proxied.test";
    /**
     * The direct case's host: an address, so nothing is looked up, that the proxy rules do not
     * treat as loopback (only 127.0.0.0/8, ::1 and localhost are) while Linux connects it to this
     * machine, where the TLS front listens.
     */
    private static final String DIRECT_HOST = "0.0.0.0";
    /** The bound: an untrusted certificate fails in under a second, not after retries. */
    private static final long UNTRUSTED_FAILS_WITHIN_MILLIS = 1000;
    /** A proxy that wants credentials it did not get fails as fast: nothing to retry. */
    private static final long PROXY_AUTH_FAILS_WITHIN_MILLIS = 1000;
    private static final String STORE_PASSWORD = "changeit";

    /**
     * For each STS endpoint given, one line: {@code ok <session?> <access key id>} or
     * {@code failed <exception class>} followed by {@code message <text>}; then
     * {@code millis <time of resolveCredentials>} and {@code total <that plus creating the
     * provider>} (the native library is loaded before, as any earlier use would have). The first endpoint goes through
     * {@code FreshAwsCredentialsProvider.assumeRole(...)} with {@code -Dfreshcreds.stsEndpoint}.
     */
    private static final String PROBE = String.join("\n",
            "import dev.freshcreds.FreshCredentialsOptions;",
            "import dev.freshcreds.sdkv2.FreshAwsCredentialsProvider;",
            "import software.amazon.awssdk.auth.credentials.AwsCredentials;",
            "import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;",
            "public class Probe {",
            "  public static void main(String[] args) {",
            "    String role = args[0];",
            "    dev.freshcreds.internal.NativeLoader.load();",
            "    for (int i = 1; i < args.length; i++) {",
            "      long created = System.nanoTime();",
            "      FreshAwsCredentialsProvider p;",
            "      if (i == 1) {",
            "        System.setProperty(\"freshcreds.stsEndpoint\", args[i]);",
            "        p = FreshAwsCredentialsProvider.assumeRole(role, \"corp-session\");",
            "      } else {",
            "        p = FreshAwsCredentialsProvider.builder().options(FreshCredentialsOptions.builder()",
            "            .assumeRole(role, \"corp-session-\" + i).stsEndpoint(args[i]).build()).build();",
            "      }",
            "      long start = System.nanoTime();",
            "      try {",
            "        AwsCredentials c = p.resolveCredentials();",
            "        System.out.println(\"ok \" + (c instanceof AwsSessionCredentials) + \" \" + c.accessKeyId());",
            "      } catch (RuntimeException e) {",
            "        System.out.println(\"failed \" + e.getClass().getName());",
            "        System.out.println(\"message \" + String.valueOf(e.getMessage()).replace('\\n', ' '));",
            "      }",
            "      System.out.println(\"millis \" + (System.nanoTime() - start) / 1000000);",
            "      System.out.println(\"total \" + (System.nanoTime() - created) / 1000000);",
            "      p.close();",
            "    }",
            "  }",
            "}");

    /** The simulator with its TLS front (CA in {@code work}) and its proxy. */
    private static SimulatorProcess simulator(Path work, String... more) throws Exception {
        List<String> args = new ArrayList<String>(Arrays.asList("--tls-front", "--tls-name", PROXIED_HOST,
                "--tls-name", DIRECT_HOST, "--ca-file", work.resolve("corp-ca.pem").toString(), "--connect-proxy"));
        args.addAll(Arrays.asList(more));
        return SimulatorProcess.start(args.toArray(new String[0]));
    }

    /** The simulator's private CA certificate, from its PEM file. */
    private static X509Certificate ca(SimulatorProcess sim) throws Exception {
        try (InputStream in = Files.newInputStream(sim.caFile().toPath())) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** The CA's common name, as error messages name the issuer. */
    private static String caCommonName(SimulatorProcess sim) throws Exception {
        for (String part : ca(sim).getSubjectX500Principal().getName().split(",")) {
            if (part.startsWith("CN=")) {
                return part.substring("CN=".length());
            }
        }
        throw new IllegalStateException("the simulator's CA has no common name");
    }

    /** A PKCS12 trust store holding only the simulator's CA, made now from its PEM file. */
    private static Path trustStore(SimulatorProcess sim, Path work) throws Exception {
        Certificate ca = ca(sim);
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("corp-ca", ca);
        Path file = work.resolve("truststore.p12");
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, STORE_PASSWORD.toCharArray());
        }
        return file;
    }

    private static List<String> trusting(Path store) {
        return Arrays.asList("-Djavax.net.ssl.trustStore=" + store, "-Djavax.net.ssl.trustStoreType=PKCS12",
                "-Djavax.net.ssl.trustStorePassword=" + STORE_PASSWORD);
    }

    private static List<String> proxiedBy(SimulatorProcess sim) {
        String url = sim.connectProxyUrl();
        int colon = url.lastIndexOf(':');
        return Arrays.asList("-Dhttps.proxyHost=" + url.substring("http://".length(), colon),
                "-Dhttps.proxyPort=" + url.substring(colon + 1));
    }

    /** Runs the probe in a child JVM with {@code jvmArgs}; returns its stdout (and stderr after a marker). */
    private static String run(SimulatorProcess sim, Path work, List<String> jvmArgs, String... endpoints)
            throws Exception {
        Path probe = work.resolve("Probe.java");
        Files.write(probe, PROBE.getBytes(StandardCharsets.UTF_8));
        Path empty = work.resolve("empty");
        if (!Files.exists(empty)) {
            Files.createFile(empty);
        }
        Path tmp = work.resolve("tmp");
        Files.createDirectories(tmp);
        List<String> command = new ArrayList<String>();
        command.add(ChildJvms.javaBinary());
        command.addAll(ChildJvms.sdkImdsOff());
        command.add("-Dfreshcreds.source=imds");
        command.add("-Dfreshcreds.imdsEndpoint=" + sim.baseUrl());
        command.add("-Djava.io.tmpdir=" + tmp);
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(GlobalHooksTest.classpath());
        command.add(probe.toString());
        command.add(ROLE);
        command.addAll(Arrays.asList(endpoints));
        ProcessBuilder pb = new ProcessBuilder(command);
        ChildJvms.minimalEnvironment(pb.environment(), work, empty, sim);
        ChildJvms.Printed printed = ChildJvms.runApart(pb, work, 120);
        return printed.stdout + "\n--- stderr:\n" + printed.stderr;
    }

    /**
     * {@code GET /_sim/network} once {@code counter} reached {@code want} (or after 2 s), and
     * 50 ms later: the front counts a refused handshake on its own thread, maybe after the
     * child JVM exited.
     */
    private static String settled(SimulatorProcess sim, String counter, long want) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (SimulatorProcess.count(sim.network(), counter) < want && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(50);
        return sim.network();
    }

    private static List<String> lines(String out, String prefix) {
        List<String> found = new ArrayList<String>();
        for (String l : out.split("\n")) {
            if (l.startsWith("--- stderr:")) {
                break;
            }
            if (l.startsWith(prefix)) {
                found.add(l);
            }
        }
        return found;
    }

    private static void assertSessions(String out, int expected) {
        List<String> ok = lines(out, "ok ");
        assertEquals(out, expected, ok.size());
        for (String l : ok) {
            assertTrue(out, l.startsWith("ok true ASIA"));
        }
    }

    @Test
    public void aJvmWhoseTrustStoreHoldsThePrivateCaAssumesTheRoleThroughTheTlsFront() throws Exception {
        Path work = Files.createTempDirectory("freshcreds-corp-trust");
        try (SimulatorProcess sim = simulator(work)) {
            String out = run(sim, work, trusting(trustStore(sim, work)), sim.tlsFrontUrl());
            assertSessions(out, 1);
            assertEquals(out, 1, SimulatorProcess.count(sim.counts(), "sts_assume_role"));
            String network = sim.network();
            assertEquals(network, 1, SimulatorProcess.count(network, "tls_handshakes"));
            assertEquals(network, 0, SimulatorProcess.count(network, "tls_failed_handshakes"));
            assertEquals(network, 0, SimulatorProcess.count(network, "proxy_tunnels"));
        } finally {
            Trees.delete(work);
        }
    }

    @Test
    public void withoutTheCaTheJvmFailsInUnderASecondNamingEndpointIssuerAndFix() throws Exception {
        Path work = Files.createTempDirectory("freshcreds-corp-untrusted");
        try (SimulatorProcess sim = simulator(work)) {
            // The JVM's own trust store (cacerts) does not hold the private CA.
            String out = run(sim, work, new ArrayList<String>(), sim.tlsFrontUrl());
            assertEquals(out, Arrays.asList("failed software.amazon.awssdk.core.exception.SdkClientException"),
                    lines(out, "failed "));
            String message = lines(out, "message ").get(0);
            for (String needle : new String[] {sim.tlsFrontUrl(), "the server's TLS certificate is not trusted",
                "issued by CN=" + caCommonName(sim), "set AWS_CA_BUNDLE", "JVM's trust store"}) {
                assertTrue(needle + " missing from: " + out, message.contains(needle));
            }
            // From creating the provider to the exception.
            long millis = Long.parseLong(lines(out, "total ").get(0).substring("total ".length()));
            assertTrue("took " + millis + " ms: " + out, millis < UNTRUSTED_FAILS_WITHIN_MILLIS);
            System.out.println("time to fail on an untrusted certificate (child JVM): " + millis
                    + " ms from creating the provider, " + lines(out, "millis ") + " of it in resolveCredentials");
            // One refused handshake: not retried as if it were a network blip.
            String network = settled(sim, "tls_failed_handshakes", 1);
            assertEquals(network, 1, SimulatorProcess.count(network, "tls_failed_handshakes"));
            assertEquals(network, 0, SimulatorProcess.count(network, "tls_handshakes"));
            assertEquals(out, 0, SimulatorProcess.count(sim.counts(), "sts_assume_role"));
        } finally {
            Trees.delete(work);
        }
    }

    @Test
    public void theJvmProxyPropertiesAloneCarryStsThroughTheConnectProxy() throws Exception {
        Path work = Files.createTempDirectory("freshcreds-corp-proxy");
        try (SimulatorProcess sim = simulator(work)) {
            List<String> args = new ArrayList<String>(trusting(trustStore(sim, work)));
            args.addAll(proxiedBy(sim));
            String out = run(sim, work, args, "https://" + PROXIED_HOST);
            assertSessions(out, 1);
            String network = sim.network();
            assertEquals(network, 1, SimulatorProcess.count(network, "proxy_tunnels"));
            assertTrue(network, network.contains("\"proxy_targets\":[\"" + PROXIED_HOST + ":443\"]"));
            assertEquals(network, 1, SimulatorProcess.count(network, "tls_handshakes"));
            assertEquals(out, 1, SimulatorProcess.count(sim.counts(), "sts_assume_role"));
        } finally {
            Trees.delete(work);
        }
    }

    @Test
    public void aHostInTheJvmNonProxyHostsGoesDirectWhileOthersUseTheTunnel() throws Exception {
        Path work = Files.createTempDirectory("freshcreds-corp-nonproxy");
        try (SimulatorProcess sim = simulator(work)) {
            List<String> args = new ArrayList<String>(trusting(trustStore(sim, work)));
            args.addAll(proxiedBy(sim));
            args.add("-Dhttp.nonProxyHosts=*.direct.test|" + DIRECT_HOST);
            String front = sim.tlsFrontUrl();
            String direct = "https://" + DIRECT_HOST + front.substring(front.lastIndexOf(':'));
            String out = run(sim, work, args, direct, "https://" + PROXIED_HOST);
            assertSessions(out, 2);
            // Two handshakes with the front, one of them through the one tunnel.
            String network = sim.network();
            assertEquals(network, 1, SimulatorProcess.count(network, "proxy_tunnels"));
            assertTrue(network, network.contains("\"proxy_targets\":[\"" + PROXIED_HOST + ":443\"]"));
            assertEquals(network, 2, SimulatorProcess.count(network, "tls_handshakes"));
            assertEquals(out, 2, SimulatorProcess.count(sim.counts(), "sts_assume_role"));
        } finally {
            Trees.delete(work);
        }
    }

    @Test
    public void theJvmProxyCredentialsAnswerAProxyThatAsksForThemAndAreNeverShown() throws Exception {
        String user = "corp-user";
        String password = "s3cret-proxy-pass";
        Path work = Files.createTempDirectory("freshcreds-corp-proxy-auth");
        try (SimulatorProcess sim = simulator(work, "--proxy-auth", user + ":" + password)) {
            List<String> args = new ArrayList<String>(trusting(trustStore(sim, work)));
            args.addAll(proxiedBy(sim));
            // Without credentials: one refused CONNECT, an error naming the proxy and the settings.
            String out = run(sim, work, args, "https://" + PROXIED_HOST);
            String message = lines(out, "message ").get(0);
            for (String needle : new String[] {"the proxy http://" + sim.connectProxyUrl().substring("http://".length())
                    + " (freshcreds option `httpsProxy`)", "407 Proxy Authentication Required",
                "-Dhttps.proxyUser and -Dhttps.proxyPassword"}) {
                assertTrue(needle + " missing from: " + out, message.contains(needle));
            }
            long millis = Long.parseLong(lines(out, "total ").get(0).substring("total ".length()));
            assertTrue("took " + millis + " ms: " + out, millis < PROXY_AUTH_FAILS_WITHIN_MILLIS);
            System.out.println("time to fail on a 407 proxy (child JVM): " + millis + " ms from creating the provider, "
                    + lines(out, "millis ") + " of it in resolveCredentials");
            String network = sim.network();
            assertEquals("not retried: " + network, 1, SimulatorProcess.count(network, "proxy_auth_rejections"));
            assertEquals(network, 0, SimulatorProcess.count(network, "proxy_tunnels"));

            // With them: the tunnel opens, and neither the output nor the log shows the password.
            args.add("-Dhttps.proxyUser=" + user);
            args.add("-Dhttps.proxyPassword=" + password);
            // Every native log event, down to TRACE, printed to stderr.
            Path logging = work.resolve("logging.properties");
            Files.write(logging, ("handlers=java.util.logging.ConsoleHandler\n.level=INFO\ndev.freshcreds.level=ALL\n"
                    + "java.util.logging.ConsoleHandler.level=ALL\n").getBytes(StandardCharsets.UTF_8));
            args.add("-Djava.util.logging.config.file=" + logging);
            out = run(sim, work, args, "https://" + PROXIED_HOST);
            assertSessions(out, 1);
            assertTrue("the native side logged in detail: " + out, out.contains("FINER:"));
            assertTrue(out, !out.contains(password));
            network = sim.network();
            assertEquals(network, 1, SimulatorProcess.count(network, "proxy_tunnels"));
            assertEquals(network, 1, SimulatorProcess.count(network, "proxy_auth_rejections"));
        } finally {
            Trees.delete(work);
        }
    }
}

package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.junit.Test;

import dev.freshcreds.simkit.SimulatorProcess;

/**
 * The SDKs' global hooks in separate JVMs running the product jar: default SDK clients sign with
 * freshcreds' credentials (from the simulator's IMDS, through the one shared source) when the
 * hooks are switched on by the system property or by {@code -javaagent}, explicitly configured
 * clients keep their provider, and nothing happens when the hooks are off.
 */
public class GlobalHooksTest {
    /** The probe: prints one line per call, "ok <arn>" or "failed <error code>". */
    private static final String PROBE = String.join("\n",
            "import java.net.URI;",
            "public class Probe {",
            "  public static void main(String[] args) throws Exception {",
            "    String sts = args[0];",
            "    software.amazon.awssdk.services.sts.StsClient v2 = software.amazon.awssdk.services.sts.StsClient.builder()",
            "        .endpointOverride(URI.create(sts)).region(software.amazon.awssdk.regions.Region.US_EAST_1)",
            "        .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build();",
            "    software.amazon.awssdk.services.sts.StsClient explicit = software.amazon.awssdk.services.sts.StsClient.builder()",
            "        .endpointOverride(URI.create(sts)).region(software.amazon.awssdk.regions.Region.US_EAST_1)",
            "        .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create())",
            "        .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(",
            "            software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(\"AKIAEXPLICIT\", \"explicit-secret\")))",
            "        .build();",
            "    for (int i = 0; i < 3; i++) {",
            "      System.out.println(\"v2 default \" + v2call(v2));",
            "    }",
            "    System.out.println(\"v2 explicit \" + v2call(explicit));",
            "    if (args.length > 1 && args[1].equals(\"v1\")) {",
            "      com.amazonaws.services.securitytoken.AWSSecurityTokenService v1 = com.amazonaws.services.securitytoken",
            "          .AWSSecurityTokenServiceClientBuilder.standard()",
            "          .withEndpointConfiguration(new com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration(sts, \"us-east-1\"))",
            "          .withClientConfiguration(new com.amazonaws.ClientConfiguration().withMaxErrorRetry(0)).build();",
            "      try {",
            "        System.out.println(\"v1 default ok \" + v1.getCallerIdentity(new com.amazonaws.services.securitytoken.model.GetCallerIdentityRequest()).getArn());",
            "      } catch (com.amazonaws.AmazonServiceException e) {",
            "        System.out.println(\"v1 default failed \" + e.getErrorCode());",
            "      } catch (com.amazonaws.SdkClientException e) {",
            "        System.out.println(\"v1 default no credentials\");",
            "      }",
            "    }",
            "    System.out.println(\"shared native calls \" + dev.freshcreds.FreshCredentialsSource.sharedIfCreated());",
            "  }",
            "  static String v2call(software.amazon.awssdk.services.sts.StsClient c) {",
            "    try {",
            "      return \"ok \" + c.getCallerIdentity().arn();",
            "    } catch (software.amazon.awssdk.awscore.exception.AwsServiceException e) {",
            "      return \"failed \" + e.awsErrorDetails().errorCode();",
            "    } catch (software.amazon.awssdk.core.exception.SdkClientException e) {",
            "      return \"no credentials\";",
            "    }",
            "  }",
            "}");

    private static String jar() {
        String path = System.getProperty("freshcreds.test.jar");
        assertNotNull("-Dfreshcreds.test.jar is not set (the Gradle build sets it)", path);
        return path;
    }

    /**
     * The product jar, the hook declarations jar ({@code freshcreds-<version>-global.jar}) and both
     * SDKs, without the test classes: the jar beside the SDK, as applications use the hooks
     * without the agent (also for other child-JVM tests).
     */
    static String classpath() {
        return classpath(true);
    }

    /** The product jar and both SDKs, without the declarations jar: the agent declares the hooks itself. */
    static String agentClasspath() {
        return classpath(false);
    }

    private static String classpath(boolean withDeclarations) {
        Set<String> entries = new LinkedHashSet<String>();
        entries.add(jar());
        if (withDeclarations) {
            entries.add(ChildJvms.property("freshcreds.test.global.jar"));
        }
        for (String property : new String[] {"freshcreds.test.v1.classpath", "freshcreds.test.v2.classpath"}) {
            String cp = System.getProperty(property);
            assertNotNull("-D" + property + " is not set (the Gradle build sets it)", cp);
            for (String e : cp.split(File.pathSeparator)) {
                if (!e.isEmpty() && !e.contains("junit") && !e.contains("hamcrest")) {
                    entries.add(e);
                }
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static String run(SimulatorProcess sim, List<String> jvmArgs, String... probeArgs) throws Exception {
        return run(sim, PROBE, jvmArgs, probeArgs);
    }

    /**
     * Runs the single-file program {@code probeSource} (class {@code Probe}) in a child JVM with
     * the product jar and both SDKs (and the hook declarations jar, unless {@code jvmArgs} start the
     * agent, which declares the hooks itself), the shared source on the simulator's IMDS, and no other
     * credentials; its first argument is the simulator's URL.
     */
    static String run(SimulatorProcess sim, String probeSource, List<String> jvmArgs, String... probeArgs) throws Exception {
        Path work = Files.createTempDirectory("freshcreds-global-test");
        Path probe = work.resolve("Probe.java");
        Files.write(probe, probeSource.getBytes(StandardCharsets.UTF_8));
        List<String> command = new ArrayList<String>();
        command.add(ChildJvms.javaBinary());
        command.addAll(jvmArgs);
        // The shared source reads its options from system properties: the simulator's IMDS.
        command.add("-Dfreshcreds.source=imds");
        command.add("-Dfreshcreds.imdsEndpoint=" + sim.baseUrl());
        // The SDKs' own IMDS clients are off: only freshcreds' source asks the simulator's IMDS.
        command.addAll(ChildJvms.sdkImdsOff());
        command.add("-Djava.io.tmpdir=" + Files.createDirectory(work.resolve("tmp")));
        command.add("-cp");
        boolean agent = false;
        for (String a : jvmArgs) {
            agent |= a.startsWith("-javaagent:");
        }
        command.add(agent ? agentClasspath() : classpath());
        command.add(probe.toString());
        command.add(sim.baseUrl() + "/");
        command.addAll(Arrays.asList(probeArgs));
        ProcessBuilder pb = new ProcessBuilder(command);
        // An explicit minimal environment: no AWS_* variable of this machine, empty AWS config files.
        ChildJvms.minimalEnvironment(pb.environment(), work, Files.createFile(work.resolve("empty-profile")), sim);
        return ChildJvms.runApart(pb, work, 120).stdout;
    }

    private static final String ROLE_ARN_PART = "assumed-role/freshcreds-sim-role";

    /**
     * One shared source served every call: the probe's calls (three default SDK v2 clients, more
     * in mode all) reached IMDS through one source, which opened one IMDSv2 session and fetched
     * the credentials once (they live an hour). A source per client would show one session and
     * one fetch per client; "a shared source was created" alone would not tell.
     */
    private static void assertOneSharedSourceServedEveryCall(SimulatorProcess sim, String out) throws Exception {
        String counts = sim.counts();
        assertEquals("one IMDSv2 session (one source): " + counts + "\n" + out, 1, SimulatorProcess.count(counts, "imds_token"));
        assertEquals("one credentials fetch (one source): " + counts + "\n" + out, 1,
                SimulatorProcess.count(counts, "imds_credentials"));
    }

    private static void assertDefaultClientsUseFreshcreds(String out) {
        String[] lines = out.split("\n");
        int ok = 0;
        for (String line : lines) {
            if (line.startsWith("v2 default ")) {
                assertTrue(out, line.startsWith("v2 default ok ") && line.contains(ROLE_ARN_PART));
                ok++;
            }
        }
        assertEquals(out, 3, ok);
        // The explicitly configured client kept its own (unknown to the simulator) key.
        assertTrue(out, out.contains("v2 explicit failed InvalidClientTokenId"));
        // One shared source served every call: it was created, and fetched from IMDS.
        assertTrue(out, out.contains("shared native calls ") && !out.contains("shared native calls -1"));
    }

    @Test
    public void withTheSystemPropertyDefaultSdkV2ClientsSignWithFreshcredsAndExplicitOnesKeepTheirProvider() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            String out = run(sim, Arrays.asList("-Dfreshcreds.global=true"), "v1");
            assertDefaultClientsUseFreshcreds(out);
            // SDK v1: the client built without credentials uses the shared default chain, led by freshcreds.
            assertTrue(out, out.contains("v1 default ok ") && out.contains(ROLE_ARN_PART));
            assertOneSharedSourceServedEveryCall(sim, out);
        }
    }

    @Test
    public void withTheJavaAgentDefaultSdkV2ClientsSignWithFreshcreds() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            String out = run(sim, Arrays.asList("-javaagent:" + jar()));
            assertDefaultClientsUseFreshcreds(out);
            assertOneSharedSourceServedEveryCall(sim, out);
        }
    }

    @Test
    public void withTheJavaAgentInModeAllDefaultSdkV1ClientsSignWithFreshcredsToo() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            String out = run(sim, Arrays.asList("-javaagent:" + jar() + "=all"), "v1");
            assertTrue(out, out.contains("v1 default ok ") && out.contains(ROLE_ARN_PART));
            assertTrue(out, out.contains("v2 default ok "));
            // Mode all: the explicit client is switched to freshcreds too.
            assertTrue(out, out.contains("v2 explicit ok "));
            assertOneSharedSourceServedEveryCall(sim, out);
        }
    }

    @Test
    public void onTheClassPathAloneTheHooksDoNothing() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            String out = run(sim, new ArrayList<String>());
            assertTrue(out, out.contains("v2 default no credentials"));
            assertTrue(out, out.contains("shared native calls -1"));
            assertEquals("IMDS was asked although the hooks are off", 0, sim.count("imds_credentials"));
        }
    }
}

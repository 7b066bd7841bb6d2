package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

import dev.freshcreds.simkit.SimulatorProcess;
import dev.freshcreds.simkit.Trees;

/**
 * Which clients the global hooks switch to freshcreds' credentials, told by the identity that
 * signed each call (the simulator's GetCallerIdentity answer): freshcreds' shared source has the
 * simulator's role ({@value #FRESHCREDS}); the profile {@code readonly} of the AWS config file,
 * the profile file of the code and the request-level overrides hold the simulator's static key,
 * a user ({@value #OWN}). Separate JVMs with the product jar and both SDKs on one class path, a
 * minimal environment, the SDKs' own IMDS switched off.
 */
public class GlobalIdentityTest {
    private static final String FRESHCREDS = "assumed-role/freshcreds-sim-role";
    private static final String OWN = "user/freshcreds-sim-user";
    private static final String STATIC_KEY = "AKIDSIMSTATIC";
    private static final String STATIC_SECRET = "freshcreds-sim/static/secret/key/for/tests";

    /** One line per client kind: "<kind> ok <arn>", "<kind> failed <code>" or "<kind> no credentials". */
    private static final String PROBE = String.join("\n",
            "import java.net.URI;",
            "import software.amazon.awssdk.auth.credentials.*;",
            "import software.amazon.awssdk.services.sts.StsClient;",
            "import software.amazon.awssdk.services.sts.StsClientBuilder;",
            "import software.amazon.awssdk.services.sts.model.GetCallerIdentityRequest;",
            "import software.amazon.awssdk.profiles.ProfileFile;",
            "public class Probe {",
            "  static String sts;",
            "  static StsClientBuilder v2() {",
            "    return StsClient.builder().endpointOverride(URI.create(sts)).region(software.amazon.awssdk.regions.Region.US_EAST_1)",
            "        .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create());",
            "  }",
            "  public static void main(String[] args) throws Exception {",
            "    sts = args[0];",
            "    ProfileFile ownFile = ProfileFile.builder().content(java.nio.file.Paths.get(args[1]))",
            "        .type(ProfileFile.Type.CREDENTIALS).build();",
            "    AwsCredentialsProvider statik = StaticCredentialsProvider.create(AwsBasicCredentials.create(args[2], args[3]));",
            "    v2(\"v2-default\", v2().build(), null);",
            "    v2(\"v2-default-chain-created\", v2().credentialsProvider(DefaultCredentialsProvider.create()).build(), null);",
            "    v2(\"v2-chain-profile\", v2().credentialsProvider(DefaultCredentialsProvider.builder().profileName(\"readonly\").build()).build(), null);",
            "    v2(\"v2-chain-profile-file\", v2().credentialsProvider(DefaultCredentialsProvider.builder().profileFile(ownFile).build()).build(), null);",
            "    v2(\"v2-client-profile\", v2().overrideConfiguration(o -> o.defaultProfileName(\"readonly\")).build(), null);",
            "    v2(\"v2-client-profile-file\", v2().overrideConfiguration(o -> o.defaultProfileFile(ownFile)).build(), null);",
            "    v2(\"v2-explicit\", v2().credentialsProvider(statik).build(), null);",
            "    v2(\"v2-request-override\", v2().build(), statik);",
            "    v2(\"v2-anonymous\", v2().credentialsProvider(AnonymousCredentialsProvider.create()).build(), null);",
            "    com.amazonaws.auth.AWSCredentialsProvider statik1 = new com.amazonaws.auth.AWSStaticCredentialsProvider(",
            "        new com.amazonaws.auth.BasicAWSCredentials(args[2], args[3]));",
            "    v1(\"v1-default\", v1().build(), null);",
            "    com.amazonaws.services.securitytoken.AWSSecurityTokenServiceClient constructed =",
            "        new com.amazonaws.services.securitytoken.AWSSecurityTokenServiceClient();",
            "    constructed.setEndpoint(sts);",
            "    v1(\"v1-constructor\", constructed, null);",
            "    v1(\"v1-profile\", v1().withCredentials(new com.amazonaws.auth.profile.ProfileCredentialsProvider(args[1], \"readonly\")).build(), null);",
            "    v1(\"v1-new-default-chain\", v1().withCredentials(new com.amazonaws.auth.DefaultAWSCredentialsProviderChain()).build(), null);",
            "    v1(\"v1-explicit\", v1().withCredentials(statik1).build(), null);",
            "    v1(\"v1-request-override\", v1().build(), statik1);",
            "    v1(\"v1-anonymous\", v1().withCredentials(new com.amazonaws.auth.AWSStaticCredentialsProvider(",
            "        new com.amazonaws.auth.AnonymousAWSCredentials())).build(), null);",
            "  }",
            "  static com.amazonaws.services.securitytoken.AWSSecurityTokenServiceClientBuilder v1() {",
            "    return com.amazonaws.services.securitytoken.AWSSecurityTokenServiceClientBuilder.standard()",
            "        .withEndpointConfiguration(new com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration(sts, \"us-east-1\"))",
            "        .withClientConfiguration(new com.amazonaws.ClientConfiguration().withMaxErrorRetry(0));",
            "  }",
            "  static void v1(String kind, com.amazonaws.services.securitytoken.AWSSecurityTokenService c,",
            "      com.amazonaws.auth.AWSCredentialsProvider requestLevel) {",
            "    com.amazonaws.services.securitytoken.model.GetCallerIdentityRequest r = new com.amazonaws.services.securitytoken.model.GetCallerIdentityRequest();",
            "    if (requestLevel != null) r.setRequestCredentialsProvider(requestLevel);",
            "    String result;",
            "    try {",
            "      result = \"ok \" + c.getCallerIdentity(r).getArn();",
            "    } catch (com.amazonaws.AmazonServiceException e) {",
            "      result = \"failed \" + e.getErrorCode();",
            "    } catch (com.amazonaws.SdkClientException e) {",
            "      result = \"no credentials\";",
            "    }",
            "    System.out.println(kind + \" \" + result);",
            "  }",
            "  static void v2(String kind, StsClient c, AwsCredentialsProvider requestLevel) {",
            "    GetCallerIdentityRequest.Builder r = GetCallerIdentityRequest.builder();",
            "    if (requestLevel != null) r.overrideConfiguration(o -> o.credentialsProvider(requestLevel));",
            "    String result;",
            "    try {",
            "      result = \"ok \" + c.getCallerIdentity(r.build()).arn();",
            "    } catch (software.amazon.awssdk.awscore.exception.AwsServiceException e) {",
            "      result = \"failed \" + e.awsErrorDetails().errorCode();",
            "    } catch (software.amazon.awssdk.core.exception.SdkClientException e) {",
            "      result = \"no credentials\";",
            "    }",
            "    System.out.println(kind + \" \" + result);",
            "  }",
            "}");

    private static String run(SimulatorProcess sim, String mode) throws Exception {
        return run(sim, Arrays.asList("-D" + dev.freshcreds.internal.Global.PROPERTY + "=" + mode), GlobalHooksTest.classpath());
    }

    /**
     * Runs the probe in a child JVM with {@code hookOptions} (the system property or
     * {@code -javaagent}) on {@code classpath} (the product jar and both SDKs); returns its
     * output, then its error output after a separator line.
     */
    static String run(SimulatorProcess sim, List<String> hookOptions, String classpath) throws Exception {
        Path work = Files.createTempDirectory("freshcreds-identity-test");
        Path probe = work.resolve("Probe.java");
        Files.write(probe, PROBE.getBytes(StandardCharsets.UTF_8));
        String profile = "aws_access_key_id = " + STATIC_KEY + "\naws_secret_access_key = " + STATIC_SECRET + "\n";
        // The environment's config: the default profile has nothing, readonly has the static key.
        Path config = work.resolve("config");
        Files.write(config, ("[profile readonly]\n" + profile).getBytes(StandardCharsets.UTF_8));
        // A profile file of the code's own: its default profile has the static key.
        Path own = work.resolve("own-credentials");
        Files.write(own, ("[default]\n" + profile + "[readonly]\n" + profile).getBytes(StandardCharsets.UTF_8));
        Path empty = Files.createFile(work.resolve("empty"));
        List<String> command = new ArrayList<String>();
        command.add(ChildJvms.javaBinary());
        command.addAll(hookOptions);
        command.addAll(ChildJvms.sdkImdsOff());
        command.add("-Dfreshcreds.source=imds");
        command.add("-Dfreshcreds.imdsEndpoint=" + sim.baseUrl());
        command.add("-Djava.io.tmpdir=" + Files.createDirectory(work.resolve("tmp")));
        command.add("-cp");
        command.add(classpath);
        command.add(probe.toString());
        command.addAll(Arrays.asList(sim.baseUrl() + "/", own.toString(), STATIC_KEY, STATIC_SECRET));
        Path out = work.resolve("out.txt");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile())
                .redirectError(work.resolve("err.txt").toFile());
        ChildJvms.minimalEnvironment(pb.environment(), work, empty, sim);
        pb.environment().put("AWS_CONFIG_FILE", config.toString());
        Process p = pb.start();
        assertTrue("the child JVM did not finish", p.waitFor(120, TimeUnit.SECONDS));
        String stdout = new String(Files.readAllBytes(out), StandardCharsets.UTF_8).replace("\r", "");
        String stderr = new String(Files.readAllBytes(work.resolve("err.txt")), StandardCharsets.UTF_8);
        assertEquals("stdout: " + stdout + "\nstderr: " + stderr, 0, p.exitValue());
        Trees.delete(work);
        return stdout + "\n--- stderr:\n" + stderr;
    }

    private static void assertSignedBy(String out, String kind, String arnPart) {
        String line = ChildJvms.line(out, kind + " ");
        assertTrue(kind + " should sign as " + arnPart + ":\n" + out, line.startsWith(kind + " ok ") && line.contains(arnPart));
    }

    @Test
    public void inTheDefaultModeOnlyDefaultChainsWithoutAProfileOfTheirOwnSignWithFreshcreds() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            assertDefaultMode(run(sim, "true"));
        }
    }

    /** The default mode's rules, as the probe's output shows them. */
    static void assertDefaultMode(String out) {
        assertSignedBy(out, "v2-default", FRESHCREDS);
        assertSignedBy(out, "v2-default-chain-created", FRESHCREDS);
        assertSignedBy(out, "v2-chain-profile", OWN);
        assertSignedBy(out, "v2-chain-profile-file", OWN);
        assertSignedBy(out, "v2-client-profile", OWN);
        assertSignedBy(out, "v2-client-profile-file", OWN);
        assertSignedBy(out, "v2-explicit", OWN);
        assertSignedBy(out, "v2-request-override", OWN);
        assertEquals(out, "v2-anonymous failed MissingAuthenticationToken", ChildJvms.line(out, "v2-anonymous "));
        // SDK v1: the shared default chain instance leads with freshcreds; other providers are kept.
        assertSignedBy(out, "v1-default", FRESHCREDS);
        assertSignedBy(out, "v1-constructor", FRESHCREDS);
        assertSignedBy(out, "v1-profile", OWN);
        assertSignedBy(out, "v1-explicit", OWN);
        assertSignedBy(out, "v1-request-override", OWN);
        assertEquals(out, "v1-new-default-chain no credentials", ChildJvms.line(out, "v1-new-default-chain "));
        assertEquals(out, "v1-anonymous failed MissingAuthenticationToken", ChildJvms.line(out, "v1-anonymous "));
    }

    @Test
    public void inModeAllEveryClientSignsWithFreshcredsButRequestOverridesAndAnonymousClients() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            assertModeAll(run(sim, "all"));
        }
    }

    /** Mode all's rules, as the probe's output shows them. */
    static void assertModeAll(String out) {
        for (String kind : new String[] {"v2-default", "v2-default-chain-created", "v2-chain-profile",
            "v2-chain-profile-file", "v2-client-profile", "v2-client-profile-file", "v2-explicit"}) {
            assertSignedBy(out, kind, FRESHCREDS);
        }
        assertSignedBy(out, "v2-request-override", OWN);
        assertEquals(out, "v2-anonymous failed MissingAuthenticationToken", ChildJvms.line(out, "v2-anonymous "));
        for (String kind : new String[] {"v1-default", "v1-constructor", "v1-profile", "v1-new-default-chain",
            "v1-explicit"}) {
            assertSignedBy(out, kind, FRESHCREDS);
        }
        assertSignedBy(out, "v1-request-override", OWN);
        // SDK v1 shows a request handler no client provider: in mode all, anonymous v1 clients are signed.
        assertSignedBy(out, "v1-anonymous", FRESHCREDS);
    }
}

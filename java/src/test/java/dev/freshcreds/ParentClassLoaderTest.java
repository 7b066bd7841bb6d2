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

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import org.junit.Test;

import dev.freshcreds.simkit.SimulatorProcess;
import dev.freshcreds.simkit.Trees;

/**
 * freshcreds' jar in a parent class loader of the SDKs', without the agent (a server's
 * {@code lib/}, the system class path of a Spark or Hadoop job whose SDKs come with the user's
 * code): being there breaks nothing. The SDKs, in a child loader of their own, build their clients
 * and sign with the clients' own credentials, whether the hooks are switched on or not. A jar that
 * declared the SDKs' global hooks would make both SDKs load the hook classes through the parent,
 * which cannot link them ({@code NoClassDefFoundError: …/ExecutionInterceptor}), and fail to build
 * clients. Separate JVMs against the simulator, with a minimal environment and the SDKs' IMDS off.
 */
public class ParentClassLoaderTest {
    /** The simulator's identity of its static key: the clients' own credentials. */
    private static final String OWN_ARN = "user/freshcreds-sim-user";

    /** One line per SDK: "v2 own ok ARN" or "v2 own failed ERROR" (building the client included). */
    private static final String PROBE = String.join("\n",
            "import java.net.URI;",
            "public class Probe {",
            "  static final String KEY = \"AKIDSIMSTATIC\";",
            "  static final String SECRET = \"freshcreds-sim/static/secret/key/for/tests\";",
            "  public static void main(String[] args) throws Exception {",
            "    String sts = args[0];",
            "    try {",
            "      software.amazon.awssdk.services.sts.StsClient v2 = software.amazon.awssdk.services.sts.StsClient.builder()",
            "          .endpointOverride(URI.create(sts)).region(software.amazon.awssdk.regions.Region.US_EAST_1)",
            "          .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(",
            "              software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(KEY, SECRET)))",
            "          .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build();",
            "      System.out.println(\"v2 own ok \" + v2.getCallerIdentity().arn());",
            "    } catch (Throwable e) {",
            "      System.out.println(\"v2 own failed \" + e);",
            "    }",
            "    try {",
            "      com.amazonaws.services.securitytoken.AWSSecurityTokenService v1 = com.amazonaws.services.securitytoken",
            "          .AWSSecurityTokenServiceClientBuilder.standard()",
            "          .withEndpointConfiguration(new com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration(sts, \"us-east-1\"))",
            "          .withCredentials(new com.amazonaws.auth.AWSStaticCredentialsProvider(",
            "              new com.amazonaws.auth.BasicAWSCredentials(KEY, SECRET)))",
            "          .withClientConfiguration(new com.amazonaws.ClientConfiguration().withMaxErrorRetry(0)).build();",
            "      System.out.println(\"v1 own ok \" + v1.getCallerIdentity(",
            "          new com.amazonaws.services.securitytoken.model.GetCallerIdentityRequest()).getArn());",
            "    } catch (Throwable e) {",
            "      System.out.println(\"v1 own failed \" + e);",
            "    }",
            "  }",
            "}");

    /**
     * Runs the probe with freshcreds' product jar on the system class path (beside the launcher)
     * and the SDKs in a parent-first child loader; {@code jvmArgs} go to the JVM.
     */
    private static String run(SimulatorProcess sim, List<String> jvmArgs) throws Exception {
        return run(sim, Files.createTempDirectory("freshcreds-parent-test"), jvmArgs);
    }

    private static String run(SimulatorProcess sim, Path work, List<String> jvmArgs) throws Exception {
        try {
            Path launcherDir = Files.createDirectory(work.resolve("launcher"));
            Path appDir = Files.createDirectory(work.resolve("app"));
            Files.write(work.resolve("Launcher.java"), ClassLoaderLayoutTest.LAUNCHER.getBytes(StandardCharsets.UTF_8));
            Files.write(work.resolve("Probe.java"), PROBE.getBytes(StandardCharsets.UTF_8));
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            assertEquals(0, javac.run(null, null, null, "-d", launcherDir.toString(), work.resolve("Launcher.java").toString()));
            List<String> sdks = ClassLoaderLayoutTest.sdkJars();
            assertEquals(0, javac.run(null, null, null, "-cp", String.join(File.pathSeparator, sdks), "-d",
                    appDir.toString(), work.resolve("Probe.java").toString()));
            List<String> appPath = new ArrayList<String>();
            appPath.add(appDir.toString());
            appPath.addAll(sdks);
            Path empty = Files.createFile(work.resolve("empty"));
            List<String> command = new ArrayList<String>();
            command.add(ChildJvms.javaBinary());
            command.addAll(jvmArgs);
            command.addAll(ChildJvms.sdkImdsOff());
            command.add("-Dfreshcreds.source=imds");
            command.add("-Dfreshcreds.imdsEndpoint=" + sim.baseUrl());
            if (!String.join(" ", jvmArgs).contains("-Djava.io.tmpdir=")) {
                command.add("-Djava.io.tmpdir=" + Files.createDirectory(work.resolve("tmp")));
            }
            command.add("-cp");
            command.add(launcherDir + File.pathSeparator + ChildJvms.property("freshcreds.test.jar"));
            command.add("Launcher");
            command.addAll(Arrays.asList("parent-first", String.join(File.pathSeparator, appPath), sim.baseUrl() + "/"));
            ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile());
            ChildJvms.minimalEnvironment(pb.environment(), work, empty, sim);
            return ChildJvms.runToCompletion(pb, "the child JVM", 120);
        } finally {
            Trees.delete(work);
        }
    }

    private static void assertBothSignWithTheirOwnCredentials(String out) {
        assertTrue(out, ChildJvms.line(out, "v2 own ").startsWith("v2 own ok ")
                && ChildJvms.line(out, "v2 own ").contains(OWN_ARN));
        assertTrue(out, ChildJvms.line(out, "v1 own ").startsWith("v1 own ok ")
                && ChildJvms.line(out, "v1 own ").contains(OWN_ARN));
        assertTrue(out, !out.contains("NoClassDefFoundError"));
    }

    @Test
    public void inAParentLoaderWithTheHooksOffTheSdksBuildClientsThatSignWithTheirOwnCredentials() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            assertBothSignWithTheirOwnCredentials(run(sim, new ArrayList<String>()));
        }
    }

    @Test
    public void inAParentLoaderWithTheHooksSwitchedOnTheSdksBuildClientsThatSignWithTheirOwnCredentials()
            throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            assertBothSignWithTheirOwnCredentials(run(sim, Arrays.asList("-D" + dev.freshcreds.internal.Global.PROPERTY + "=true")));
        }
    }

    /**
     * The agent cannot write its hook declarations (its temporary directory is a file): it says
     * why once, and the application starts and signs with its own credentials.
     */
    @Test
    public void anAgentThatCannotDeclareItsHooksWarnsOnceAndTheClientsKeepTheirOwnCredentials() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            Path work = Files.createTempDirectory("freshcreds-parent-test");
            Path notADirectory = Files.createFile(work.resolve("not-a-directory"));
            String out = run(sim, work, Arrays.asList("-javaagent:" + ChildJvms.property("freshcreds.test.jar"),
                    "-Djava.io.tmpdir=" + notADirectory));
            assertBothSignWithTheirOwnCredentials(out);
            assertEquals(out, 1, ChildJvms.count(out, dev.freshcreds.internal.Global.AGENT_CANNOT_DECLARE));
        }
    }
}

package dev.freshcreds.spring;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

import dev.freshcreds.simkit.SimulatorProcess;
import dev.freshcreds.simkit.Trees;

/**
 * The starter inside a Spring Boot fat jar, no agent: the application in
 * {@code src/test/apps/boot-starter}, packaged by Spring Boot's own Maven plugin with this
 * build's freshcreds and starter jars in {@code BOOT-INF/lib}, on each Spring Boot line the build
 * names (3 and 4). In a JVM of its own, against the simulator: the auto-configured
 * {@code AwsCredentialsProvider} bean is freshcreds', it gets the simulator's role credentials
 * from its IMDS (so the native library loaded from the nested jar) and an STS client built from
 * it signs a call the simulator verifies; the health indicator of that Spring Boot line is up.
 * The SDK's own IMDS client is pointed at a closed loopback port; the environment is minimal.
 *
 * <p>Needs {@code mvn}; Maven works offline once its repository holds the app's dependencies
 * ({@code scripts/test.sh} fetches them first).
 */
@RunWith(Parameterized.class)
public class StarterFatJarTest {
    private static final String ROLE_ARN = "assumed-role/freshcreds-sim-role";

    /** The Spring Boot versions from the build, one fat jar each. */
    @Parameters(name = "Spring Boot {0}")
    public static Collection<Object[]> versions() {
        List<Object[]> versions = new ArrayList<Object[]>();
        for (String v : property("freshcreds.test.boot.versions").split(",")) {
            versions.add(new Object[] {v});
        }
        return versions;
    }

    private final String bootVersion;

    public StarterFatJarTest(String bootVersion) {
        this.bootVersion = bootVersion;
    }

    @Test
    public void theAutoConfiguredProviderInAFatJarSignsWithFreshcredsAndItsHealthIsUp() throws Exception {
        Path work = Files.createDirectories(new File(property("freshcreds.test.build"), "starter-fat-jar-test").toPath());
        Path project = work.resolve("boot-" + bootVersion);
        Trees.delete(project);
        Trees.copy(new File(property("freshcreds.test.apps"), "boot-starter").toPath(), project);
        Path fatJar = mavenPackage(project);
        try (ZipFile zip = new ZipFile(fatJar.toFile())) {
            for (String nested : new String[] {"freshcreds-0.1.0.jar", "freshcreds-spring-boot-0.1.0.jar",
                "spring-boot-" + bootVersion + ".jar"}) {
                assertNotNull("no BOOT-INF/lib/" + nested + " in " + fatJar, zip.getEntry("BOOT-INF/lib/" + nested));
            }
        }
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            String out = run(sim, project, fatJar);
            assertTrue(out, out.contains("app done"));
            assertEquals(out, "provider dev.freshcreds.sdkv2.FreshAwsCredentialsProvider", line(out, "provider "));
            assertTrue(out, line(out, "sts ").startsWith("sts ok ") && line(out, "sts ").contains(ROLE_ARN));
            String indicator = bootVersion.startsWith("3.") ? FreshCredentialsHealthIndicator.class.getName()
                    : "dev.freshcreds.spring.FreshCredentialsBoot4HealthIndicator";
            assertEquals(out, "health UP " + indicator, line(out, "health "));
            assertFalse(out, out.contains("UnsatisfiedLinkError"));
            assertTrue("the credentials did not come from the simulator's IMDS: " + sim.counts(), sim.count("imds_credentials") >= 1);
        }
        Trees.delete(project);
    }

    private static String run(SimulatorProcess sim, Path project, Path fatJar) throws Exception {
        Path run = Files.createDirectories(project.resolve("run"));
        Path empty = Files.createFile(run.resolve("empty-aws-config"));
        List<String> command = new ArrayList<String>();
        command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        // The SDK's own IMDS client fails at once on a closed loopback port; freshcreds' asks the simulator.
        command.add("-Daws.ec2MetadataServiceEndpoint=http://127.0.0.1:" + closedPort());
        command.add("-Djava.io.tmpdir=" + Files.createDirectory(run.resolve("tmp")));
        command.add("-jar");
        command.add(fatJar.toString());
        command.add("--freshcreds.source=imds");
        command.add("--freshcreds.imds-endpoint=" + sim.baseUrl());
        command.add("--spring.main.banner-mode=off");
        command.add("--sts=" + sim.baseUrl() + "/");
        ProcessBuilder pb = new ProcessBuilder(command).directory(run.toFile()).redirectErrorStream(true)
                .redirectOutput(run.resolve("out.txt").toFile());
        String path = pb.environment().get("PATH");
        pb.environment().clear();
        pb.environment().put("PATH", path == null ? "" : path);
        pb.environment().put("HOME", run.toString());
        pb.environment().put("AWS_CONFIG_FILE", empty.toString());
        pb.environment().put("AWS_SHARED_CREDENTIALS_FILE", empty.toString());
        Process p = pb.start();
        assertTrue("the app did not finish", p.waitFor(120, TimeUnit.SECONDS));
        String out = new String(Files.readAllBytes(run.resolve("out.txt")), StandardCharsets.UTF_8).replace("\r", "");
        assertEquals(out, 0, p.exitValue());
        return out;
    }

    /** Packages the app with Spring Boot's plugin (offline first); returns the fat jar. */
    private Path mavenPackage(Path project) throws Exception {
        List<String> args = Arrays.asList("-B", "-q", "package", "-Dspring.boot.version=" + bootVersion,
                "-Daws.sdk.v2.version=" + property("freshcreds.test.aws.v2.version"),
                "-Dfreshcreds.jar=" + property("freshcreds.test.jar"),
                "-Dfreshcreds.starter.jar=" + property("freshcreds.test.starter.jar"));
        if (maven(project, true, args) != 0) {
            int status = maven(project, false, args);
            assertEquals("mvn package failed in " + project + "; see " + project.resolve("mvn.log"), 0, status);
        }
        Path jar = project.resolve("target/boot-starter-1.jar");
        assertTrue("no fat jar at " + jar, Files.isRegularFile(jar));
        return jar;
    }

    private static int maven(Path project, boolean offline, List<String> args) throws Exception {
        List<String> command = new ArrayList<String>();
        command.add("mvn");
        if (offline) {
            command.add("-o");
        }
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).directory(project.toFile()).redirectErrorStream(true)
                .redirectOutput(project.resolve(offline ? "mvn-offline.log" : "mvn.log").toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new AssertionError("cannot run mvn (Maven on the PATH; scripts/setup.sh installs it): " + e, e);
        }
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String line(String out, String prefix) {
        for (String l : out.split("\n")) {
            if (l.startsWith(prefix)) {
                return l;
            }
        }
        return "";
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        assertNotNull("-D" + name + " is not set (the Gradle build sets it)", value);
        return value;
    }
}

package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.freshcreds.simkit.SimulatorProcess;
import dev.freshcreds.simkit.Trees;

/** What the tests that run separate JVMs share: the command, the environment, reading the output. */
final class ChildJvms {
    private ChildJvms() {
    }

    /**
     * The SDKs' own IMDS clients kept away from the simulator's IMDS: SDK v1's switched off
     * ({@code com.amazonaws.sdk.disableEc2Metadata}), SDK v2's pointed at a closed loopback port
     * ({@code aws.ec2MetadataServiceEndpoint}), where it fails at once. Not
     * {@code aws.disableEc2Metadata}: freshcreds honours that setting as the SDK does and would stop
     * asking IMDS too, whereas its own {@code -Dfreshcreds.imdsEndpoint}, which every caller sets,
     * wins over the SDK's endpoint setting.
     */
    static List<String> sdkImdsOff() {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("no free loopback port", e);
        }
        return Arrays.asList("-Daws.ec2MetadataServiceEndpoint=http://127.0.0.1:" + closed,
                "-Dcom.amazonaws.sdk.disableEc2Metadata=true", "-Daws.java.v1.disableDeprecationAnnouncement=true");
    }

    /**
     * Replaces a child JVM's environment by an explicit minimal one: no inherited {@code AWS_*}
     * variable, an empty AWS config and credentials file, a home of its own, and IMDS (for
     * anything that reads the environment) on the simulator.
     */
    static void minimalEnvironment(Map<String, String> env, Path home, Path emptyAwsConfig, SimulatorProcess sim) {
        String path = env.get("PATH");
        env.clear();
        if (path != null) {
            env.put("PATH", path);
        }
        env.put("HOME", home.toString());
        env.put("AWS_CONFIG_FILE", emptyAwsConfig.toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", emptyAwsConfig.toString());
        env.put("AWS_EC2_METADATA_SERVICE_ENDPOINT", sim.baseUrl());
    }

    /**
     * Runs the child {@code pb}, its standard output and error together in {@code out.txt} of its
     * working folder, for at most {@code timeoutSeconds}; fails the test when it does not finish
     * ({@code what} names the child) or exits non-zero, and returns what it printed.
     */
    static String runToCompletion(ProcessBuilder pb, String what, int timeoutSeconds)
            throws IOException, InterruptedException {
        Path out = pb.directory().toPath().resolve("out.txt");
        Process p = pb.redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(what + " did not finish", p.waitFor(timeoutSeconds, TimeUnit.SECONDS));
        String text = new String(Files.readAllBytes(out), StandardCharsets.UTF_8).replace("\r", "");
        assertEquals(text, 0, p.exitValue());
        return text;
    }

    /** What a child JVM printed on its standard output and its standard error. */
    static final class Printed {
        final String stdout;
        final String stderr;

        Printed(String stdout, String stderr) {
            this.stdout = stdout;
            this.stderr = stderr;
        }
    }

    /**
     * Runs the child {@code pb} with its standard output and error apart, in {@code out.txt} and
     * {@code err.txt} of {@code work}, for at most {@code timeoutSeconds}; fails the test when it
     * does not finish or exits non-zero (the message shows both), and returns what it printed.
     */
    static Printed runApart(ProcessBuilder pb, Path work, int timeoutSeconds)
            throws IOException, InterruptedException {
        Path out = work.resolve("out.txt");
        Path err = work.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue("the child JVM did not finish", p.waitFor(timeoutSeconds, TimeUnit.SECONDS));
        String stdout = new String(Files.readAllBytes(out), StandardCharsets.UTF_8).replace("\r", "");
        String stderr = new String(Files.readAllBytes(err), StandardCharsets.UTF_8);
        assertEquals("stdout: " + stdout + "\nstderr: " + stderr, 0, p.exitValue());
        return new Printed(stdout, stderr);
    }

    static String line(String out, String prefix) {
        for (String l : out.split("\n")) {
            if (l.startsWith(prefix)) {
                return l;
            }
        }
        return "";
    }

    static int count(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            n++;
        }
        return n;
    }

    static String property(String name) {
        String value = System.getProperty(name);
        assertNotNull("-D" + name + " is not set (the Gradle build sets it)", value);
        return value;
    }

    static String javaBinary() {
        return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    }
}

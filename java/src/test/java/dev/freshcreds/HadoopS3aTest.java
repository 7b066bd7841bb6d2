package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

import dev.freshcreds.simkit.SimulatorProcess;
import dev.freshcreds.simkit.Trees;

/**
 * Hadoop's S3A file system (hadoop-aws 3.4) with
 * {@code fs.s3a.aws.credentials.provider=dev.freshcreds.sdkv2.FreshAwsCredentialsProvider}, as
 * the README says, against an S3 peer nobody here wrote: moto's server (PyPI, pinned in
 * {@code scripts/setup.sh}) on loopback. A child JVM ({@code src/test/apps/s3a/S3aProbe.java})
 * writes an object, lists its folder and reads it back; freshcreds' provider gets the
 * simulator's role credentials from its IMDS. No other credentials exist in its environment and
 * the SDK's own IMDS client is pointed at a closed port, so S3A had no credentials but
 * freshcreds'. (moto does not check signatures: the simulator's count of IMDS credential fetches
 * shows the provider was asked.)
 *
 * <p>Needs {@code moto_server} on the PATH ({@code scripts/setup.sh} installs it into
 * {@code .tools/venv}, which {@code scripts/test.sh} puts first on the PATH); fails without it
 * unless {@code FRESHCREDS_SKIP} names {@code moto}.
 */
public class HadoopS3aTest {
    private static final String BUCKET = "freshcreds-s3a-test";
    /** How long moto's server may take to accept connections. */
    private static final long MOTO_START_MILLIS = 60_000;

    @Test
    public void s3aWritesListsAndReadsAnObjectWithFreshcredsProvider() throws Exception {
        File moto = onPath("moto_server");
        if (moto == null) {
            String skip = System.getenv("FRESHCREDS_SKIP");
            if (skip != null && (',' + skip.replace(" ", "") + ',').contains(",moto,")) {
                System.out.println("skipped: HadoopS3aTest: moto_server is not on the PATH (FRESHCREDS_SKIP=" + skip + ")");
                return;
            }
            throw new AssertionError("moto_server is not on the PATH: scripts/setup.sh installs moto[server] into"
                    + " .tools/venv (scripts/test.sh puts its bin first on the PATH); or set FRESHCREDS_SKIP=moto to skip this test");
        }
        Path work = Files.createTempDirectory("freshcreds-s3a-test");
        int port = freePort();
        Process server = new ProcessBuilder(moto.getPath(), "-H", "127.0.0.1", "-p", String.valueOf(port))
                .redirectErrorStream(true).redirectOutput(work.resolve("moto.log").toFile()).start();
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            String s3 = "http://127.0.0.1:" + port;
            awaitListening(port, server, work.resolve("moto.log"));
            createBucket(s3 + "/" + BUCKET);
            String out = runProbe(sim, work, s3);
            assertEquals(out, "wrote", ChildJvms.line(out, "wrote"));
            assertEquals(out, "list object.txt", ChildJvms.line(out, "list "));
            assertEquals(out, "read written through S3A with freshcreds", ChildJvms.line(out, "read "));
            assertTrue(out, ChildJvms.line(out, "provider ").contains("FreshAwsCredentialsProvider"));
            assertTrue("freshcreds' provider did not fetch credentials: " + sim.counts() + "\n" + out,
                    sim.count("imds_credentials") >= 1);
        } finally {
            server.destroy();
            if (!server.waitFor(10, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
        Trees.delete(work);
    }

    private static String runProbe(SimulatorProcess sim, Path work, String s3) throws Exception {
        Path empty = Files.createFile(work.resolve("empty-aws-config"));
        List<String> command = new ArrayList<String>();
        command.add(ChildJvms.javaBinary());
        command.addAll(ChildJvms.sdkImdsOff());
        command.add("-Dfreshcreds.source=imds");
        command.add("-Dfreshcreds.imdsEndpoint=" + sim.baseUrl());
        command.add("-Djava.io.tmpdir=" + Files.createDirectory(work.resolve("tmp")));
        command.add("-cp");
        command.add(ChildJvms.property("freshcreds.test.jar") + File.pathSeparator
                + ChildJvms.property("freshcreds.test.hadoop.classpath"));
        command.add(new File(ChildJvms.property("freshcreds.test.apps"), "s3a/S3aProbe.java").getPath());
        command.add(s3);
        command.add(BUCKET);
        ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile());
        ChildJvms.minimalEnvironment(pb.environment(), work, empty, sim);
        return ChildJvms.runToCompletion(pb, "the S3A probe", 180);
    }

    /** Creates the bucket with an unsigned request (moto's server accepts them). */
    private static void createBucket(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        c.setRequestMethod("PUT");
        c.setDoOutput(true);
        c.getOutputStream().close();
        assertEquals("PUT " + url, 200, c.getResponseCode());
    }

    private static void awaitListening(int port, Process server, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MOTO_START_MILLIS);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                return;
            } catch (IOException notYet) {
                if (!server.isAlive() || System.nanoTime() > deadline) {
                    throw new AssertionError("moto_server did not listen on port " + port + " within " + MOTO_START_MILLIS
                            + " ms: " + new String(Files.readAllBytes(log), StandardCharsets.UTF_8));
                }
                // Polling a process we do not control: its start has no event to wait for.
                Thread.sleep(100);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static File onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            File f = new File(dir, program);
            if (f.canExecute()) {
                return f;
            }
        }
        return null;
    }
}

package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import dev.freshcreds.simkit.SimulatorProcess;
import dev.freshcreds.simkit.Trees;

/**
 * The Java agent on Spring Boot 3.5 and 4 fat jars built by Boot's own plugin ({@code spring-boot-maven-plugin},
 * the app in {@code src/test/apps/boot-sts}): the AWS SDKs sit in {@code BOOT-INF/lib}, loaded by
 * Boot's parent-first {@code LaunchedClassLoader}, the agent on the system class path. Each run
 * is a separate JVM with a minimal environment, against the simulator: its IMDS feeds
 * freshcreds' shared source ({@code -Dfreshcreds.imdsEndpoint}), the SDKs' own IMDS clients are
 * switched off, and no other credentials exist unless a test gives the app some.
 *
 * <p>Needs {@code mvn} (fails without it: scripts/setup.sh installs it); Maven works offline once
 * its repository holds the app's dependencies (scripts/test.sh fetches them first).
 */
public class BootFatJarTest {
    private static final String ROLE_ARN = "assumed-role/freshcreds-sim-role";
    private static final String STATIC_USER_ARN = "user/freshcreds-sim-user";
    private static final String CANNOT_LINK = dev.freshcreds.internal.Global.SDKV2_CANNOT_LINK;

    private static Path work;
    /** The app with the SDK versions of this build. */
    private static Path app;
    /** The app with an SDK v2 older than the internal API the hooks use. */
    private static Path oldSdkApp;
    /** The app on Spring Boot 4 (its own launcher and nested-jar class loader). */
    private static Path boot4App;

    @BeforeClass
    public static void buildTheFatJars() throws Exception {
        String build = ChildJvms.property("freshcreds.test.build");
        work = Files.createDirectories(new File(build, "boot-fat-jar-test").toPath());
        String v1 = ChildJvms.property("freshcreds.test.aws.v1.version");
        String v2 = ChildJvms.property("freshcreds.test.aws.v2.version");
        String oldV2 = ChildJvms.property("freshcreds.test.aws.v2.unlinkable.version");
        app = mavenPackage(work.resolve("current"), "boot-sts", "target/boot-sts-1.jar", v1, v2);
        oldSdkApp = mavenPackage(work.resolve("old-sdk-v2"), "boot-sts", "target/boot-sts-1.jar", v1, oldV2);
        boot4App = mavenPackage(work.resolve("boot4"), "boot-sts", "target/boot-sts-1.jar", v1, v2,
                "-Dspring.boot.version=" + ChildJvms.property("freshcreds.test.boot4.version"));
    }

    @AfterClass
    public static void cleanUp() throws IOException {
        if (work != null) {
            Trees.delete(work);
        }
    }

    @Test
    public void withTheAgentDefaultSdkV1AndV2ClientsInABootFatJarSignWithFreshcreds() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            String out = runApp(sim, app, "");
            assertTrue(out, out.contains("app done"));
            assertTrue(out, ChildJvms.line(out, "v2 ").startsWith("v2 ok ") && ChildJvms.line(out, "v2 ").contains(ROLE_ARN));
            assertTrue(out, ChildJvms.line(out, "v1 ").startsWith("v1 ok ") && ChildJvms.line(out, "v1 ").contains(ROLE_ARN));
            assertTrue(out, !out.contains("NoClassDefFoundError"));
        }
    }

    @Test
    public void withTheAgentInModeAllSdkV1AndV2ClientsInABootFatJarSignWithFreshcreds() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            String out = runApp(sim, app, "=all");
            assertTrue(out, ChildJvms.line(out, "v2 ").startsWith("v2 ok ") && ChildJvms.line(out, "v2 ").contains(ROLE_ARN));
            assertTrue(out, ChildJvms.line(out, "v1 ").startsWith("v1 ok ") && ChildJvms.line(out, "v1 ").contains(ROLE_ARN));
        }
    }

    @Test
    public void withTheAgentDefaultSdkV1AndV2ClientsInABoot4FatJarSignWithFreshcredsInBothModes() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            for (String mode : new String[] {"", "=all"}) {
                String out = runApp(sim, boot4App, mode);
                assertTrue(mode + out, out.contains("app done"));
                assertEquals(mode + out, "boot " + ChildJvms.property("freshcreds.test.boot4.version"),
                        ChildJvms.line(out, "boot "));
                assertTrue(mode + out, ChildJvms.line(out, "v2 ").startsWith("v2 ok ") && ChildJvms.line(out, "v2 ").contains(ROLE_ARN));
                assertTrue(mode + out, ChildJvms.line(out, "v1 ").startsWith("v1 ok ") && ChildJvms.line(out, "v1 ").contains(ROLE_ARN));
                assertTrue(mode + out, !out.contains("NoClassDefFoundError"));
            }
        }
    }

    @Test
    public void whenTheHooksCannotLinkTheAppStartsWarnsOnceAndSignsWithItsOwnChain() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            // The app's own chain finds the simulator's static key in the environment.
            String out = runApp(sim, oldSdkApp, "", "AWS_ACCESS_KEY_ID=AKIDSIMSTATIC",
                    "AWS_SECRET_ACCESS_KEY=freshcreds-sim/static/secret/key/for/tests");
            assertTrue(out, out.contains("app done"));
            assertTrue(out, ChildJvms.line(out, "v2 ").startsWith("v2 ok ") && ChildJvms.line(out, "v2 ").contains(STATIC_USER_ARN));
            assertEquals(out, 1, ChildJvms.count(out, CANNOT_LINK));
            // SDK v1 (1.12.797) links: its default client still gets freshcreds' credentials.
            assertTrue(out, ChildJvms.line(out, "v1 ").startsWith("v1 ok ") && ChildJvms.line(out, "v1 ").contains(ROLE_ARN));
            assertTrue(out, out.contains("Fix: "));
        }
    }

    @Test
    public void whenTheNativeLibraryCannotLoadTheAppStartsWarnsOnceAndSignsWithItsOwnChain() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            String out = runAppWithOption(sim, app, "", "-Dfreshcreds.library.path=" + new File(work.toFile(), "no-such-library.so"),
                    "AWS_ACCESS_KEY_ID=AKIDSIMSTATIC", "AWS_SECRET_ACCESS_KEY=freshcreds-sim/static/secret/key/for/tests");
            assertTrue(out, out.contains("app done"));
            assertTrue(out, ChildJvms.line(out, "v2 ").startsWith("v2 ok ") && ChildJvms.line(out, "v2 ").contains(STATIC_USER_ARN));
            assertTrue(out, ChildJvms.line(out, "v1 ").startsWith("v1 ok ") && ChildJvms.line(out, "v1 ").contains(STATIC_USER_ARN));
            assertEquals(out, 1, ChildJvms.count(out, dev.freshcreds.internal.Global.HOOKS_WITHOUT_NATIVE));
        }
    }

    /** Runs the fat jar with the agent ({@code agentSuffix}: "" or "=all") and returns its output. */
    static String runApp(SimulatorProcess sim, Path fatJar, String agentSuffix, String... env) throws Exception {
        return runAppWithOption(sim, fatJar, agentSuffix, null, env);
    }

    /** As above, with one more JVM option ({@code jvmOption}, or null). */
    static String runAppWithOption(SimulatorProcess sim, Path fatJar, String agentSuffix, String jvmOption, String... env)
            throws Exception {
        Path run = Files.createTempDirectory(work, "run");
        Path empty = Files.createFile(run.resolve("empty-aws-config"));
        List<String> command = new ArrayList<String>();
        command.add(ChildJvms.javaBinary());
        command.add("-javaagent:" + ChildJvms.property("freshcreds.test.jar") + agentSuffix);
        command.addAll(ChildJvms.sdkImdsOff());
        command.add("-Dfreshcreds.source=imds");
        command.add("-Dfreshcreds.imdsEndpoint=" + sim.baseUrl());
        command.add("-Djava.io.tmpdir=" + Files.createDirectory(run.resolve("tmp")));
        if (jvmOption != null) {
            command.add(jvmOption);
        }
        command.add("-jar");
        command.add(fatJar.toString());
        command.add(sim.baseUrl() + "/");
        ProcessBuilder pb = new ProcessBuilder(command).directory(run.toFile());
        ChildJvms.minimalEnvironment(pb.environment(), run, empty, sim);
        for (String e : env) {
            int eq = e.indexOf('=');
            pb.environment().put(e.substring(0, eq), e.substring(eq + 1));
        }
        return ChildJvms.runToCompletion(pb, "the app", 120);
    }

    /**
     * Copies the app {@code appName} of {@code src/test/apps} to {@code project} and packages it
     * with Maven and the given SDK versions (offline first); returns {@code artifact}, relative to
     * {@code project}.
     */
    static Path mavenPackage(Path project, String appName, String artifact, String v1, String v2, String... more)
            throws Exception {
        assertTrue("mvn is not on the PATH: the tests of packaged apps need Maven (scripts/setup.sh installs it)",
                onPath("mvn"));
        Path source = new File(ChildJvms.property("freshcreds.test.apps"), appName).toPath();
        Trees.delete(project);
        Trees.copy(source, project);
        List<String> args = new ArrayList<String>(Arrays.asList(
                "-B", "-q", "package", "-Daws.sdk.v1.version=" + v1, "-Daws.sdk.v2.version=" + v2));
        args.addAll(Arrays.asList(more));
        // Offline first (no network once the repository has it), then online.
        if (maven(project, true, args) != 0) {
            int status = maven(project, false, args);
            assertEquals("mvn package failed in " + project + "; see " + project.resolve("mvn.log"), 0, status);
        }
        Path jar = project.resolve(artifact);
        assertTrue("no " + artifact + " in " + project, Files.isRegularFile(jar));
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
                .redirectOutput(project.resolve("mvn.log").toFile());
        for (String k : new ArrayList<String>(pb.environment().keySet())) {
            if (k.startsWith("AWS_")) {
                pb.environment().remove(k);
            }
        }
        Process p = pb.start();
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (new File(dir, program).canExecute()) {
                return true;
            }
        }
        return false;
    }

}

package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import dev.freshcreds.simkit.SimulatorProcess;
import dev.freshcreds.simkit.Trees;

/**
 * The Java agent on a WAR in a real servlet container: the app in {@code src/test/apps/war-sts},
 * packaged by Maven's war plugin with both AWS SDKs in {@code WEB-INF/lib}, deployed in an
 * embedded Tomcat ({@code src/test/apps/tomcat-host}) whose web-application class loader looks in
 * the WAR before its parent, the agent on the system class path. A servlet builds default SDK v1
 * and v2 clients; both sign with freshcreds' credentials (the simulator's role, from its IMDS
 * through the shared source). A separate JVM with a minimal environment, the SDKs' own IMDS
 * clients switched off, Tomcat on loopback.
 */
public class WarInTomcatTest {
    private static final String ROLE_ARN = "assumed-role/freshcreds-sim-role";

    private static Path work;
    private static Path war;

    @BeforeClass
    public static void buildTheWar() throws Exception {
        work = Files.createDirectories(new File(ChildJvms.property("freshcreds.test.build"), "war-in-tomcat-test").toPath());
        war = BootFatJarTest.mavenPackage(work.resolve("war-sts"), "war-sts", "target/war-sts.war",
                ChildJvms.property("freshcreds.test.aws.v1.version"), ChildJvms.property("freshcreds.test.aws.v2.version"));
    }

    @AfterClass
    public static void cleanUp() throws Exception {
        if (work != null) {
            Trees.delete(work);
        }
    }

    /**
     * Runs the WAR in Tomcat with the agent in its default mode and returns the output. (What is
     * tested here is the class-loader layout; BootFatJarTest and GlobalIdentityTest cover mode all.)
     */
    private static String run(SimulatorProcess sim) throws Exception {
        Path run = Files.createTempDirectory(work, "run");
        Path empty = Files.createFile(run.resolve("empty-aws-config"));
        List<String> command = new ArrayList<String>();
        command.add(ChildJvms.javaBinary());
        command.add("-javaagent:" + ChildJvms.property("freshcreds.test.jar"));
        command.addAll(ChildJvms.sdkImdsOff());
        command.add("-Dfreshcreds.source=imds");
        command.add("-Dfreshcreds.imdsEndpoint=" + sim.baseUrl());
        command.add("-Djava.io.tmpdir=" + Files.createDirectory(run.resolve("tmp")));
        command.add("-cp");
        command.add(ChildJvms.property("freshcreds.test.tomcat.classpath"));
        command.add(new File(ChildJvms.property("freshcreds.test.apps"), "tomcat-host/TomcatHost.java").getPath());
        command.add(war.toString());
        command.add(sim.baseUrl() + "/");
        command.add(Files.createDirectory(run.resolve("tomcat")).toString());
        ProcessBuilder pb = new ProcessBuilder(command).directory(run.toFile());
        ChildJvms.minimalEnvironment(pb.environment(), run, empty, sim);
        return ChildJvms.runToCompletion(pb, "the servlet container", 120);
    }

    private static void assertBothSdksSignWithFreshcreds(String out) {
        assertTrue(out, out.contains("host done"));
        assertEquals(out, "http 200", ChildJvms.line(out, "http "));
        assertTrue(out, ChildJvms.line(out, "v2 ok ").contains(ROLE_ARN));
        assertTrue(out, ChildJvms.line(out, "v1 ok ").contains(ROLE_ARN));
        // The SDK came from the WAR: Tomcat's web-application class loader, not the system one.
        assertEquals(out, "v2 loader org.apache.catalina.loader.ParallelWebappClassLoader", ChildJvms.line(out, "v2 loader "));
        assertFalse(out, out.contains("NoClassDefFoundError"));
        assertFalse(out, out.contains(dev.freshcreds.internal.Global.AGENT_CANNOT_DEFINE));
    }

    @Test
    public void withTheAgentDefaultSdkV1AndV2ClientsOfAServletSignWithFreshcreds() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            assertBothSdksSignWithFreshcreds(run(sim));
        }
    }
}

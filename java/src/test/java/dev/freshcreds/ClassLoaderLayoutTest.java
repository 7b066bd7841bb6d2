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
 * The Java agent where the SDKs are not on the system class path, as in a web application: a
 * launcher on the system class path (with the agent) runs the application from a class loader
 * of its own that holds the SDKs, delegating to its parent first (most loaders) or last (a
 * servlet container's web-application loader), optionally with a copy of freshcreds inside.
 * Separate JVMs against the simulator, with a minimal environment.
 */
public class ClassLoaderLayoutTest {
    private static final String ROLE_ARN = "assumed-role/freshcreds-sim-role";

    /** Runs {@code Probe.main} from a loader over args[1] (path-separated), child-first if args[0] is "child-first". */
    static final String LAUNCHER = String.join("\n",
            "import java.io.File;",
            "import java.net.URL;",
            "import java.net.URLClassLoader;",
            "import java.util.ArrayList;",
            "import java.util.List;",
            "public class Launcher {",
            "  static final class ChildFirst extends URLClassLoader {",
            "    ChildFirst(URL[] urls, ClassLoader parent) { super(urls, parent); }",
            "    @Override protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {",
            "      synchronized (getClassLoadingLock(name)) {",
            "        Class<?> c = findLoadedClass(name);",
            "        if (c == null && !name.startsWith(\"java.\")) {",
            "          try { c = findClass(name); } catch (ClassNotFoundException e) { c = null; }",
            "        }",
            "        if (c == null) c = super.loadClass(name, false);",
            "        if (resolve) resolveClass(c);",
            "        return c;",
            "      }",
            "    }",
            "  }",
            "  public static void main(String[] args) throws Exception {",
            "    List<URL> urls = new ArrayList<>();",
            "    for (String e : args[1].split(File.pathSeparator)) urls.add(new File(e).toURI().toURL());",
            "    URL[] u = urls.toArray(new URL[0]);",
            "    ClassLoader parent = Launcher.class.getClassLoader();",
            "    ClassLoader app = args[0].equals(\"child-first\") ? new ChildFirst(u, parent) : new URLClassLoader(u, parent);",
            "    Thread.currentThread().setContextClassLoader(app);",
            "    String[] rest = java.util.Arrays.copyOfRange(args, 2, args.length);",
            "    Class.forName(\"Probe\", true, app).getMethod(\"main\", String[].class).invoke(null, (Object) rest);",
            "  }",
            "}");

    /** One line per client: "v2 default ok ARN", "v1 default failed CODE", ... */
    private static final String PROBE = String.join("\n",
            "import java.net.URI;",
            "public class Probe {",
            "  public static void main(String[] args) throws Exception {",
            "    String sts = args[0];",
            "    software.amazon.awssdk.services.sts.StsClient v2 = software.amazon.awssdk.services.sts.StsClient.builder()",
            "        .endpointOverride(URI.create(sts)).region(software.amazon.awssdk.regions.Region.US_EAST_1)",
            "        .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build();",
            "    try {",
            "      System.out.println(\"v2 default ok \" + v2.getCallerIdentity().arn());",
            "    } catch (software.amazon.awssdk.core.exception.SdkException e) {",
            "      System.out.println(\"v2 default failed \" + e);",
            "    }",
            "    com.amazonaws.services.securitytoken.AWSSecurityTokenService v1 = com.amazonaws.services.securitytoken",
            "        .AWSSecurityTokenServiceClientBuilder.standard()",
            "        .withEndpointConfiguration(new com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration(sts, \"us-east-1\"))",
            "        .withClientConfiguration(new com.amazonaws.ClientConfiguration().withMaxErrorRetry(0)).build();",
            "    try {",
            "      System.out.println(\"v1 default ok \" + v1.getCallerIdentity(",
            "          new com.amazonaws.services.securitytoken.model.GetCallerIdentityRequest()).getArn());",
            "    } catch (com.amazonaws.SdkBaseException e) {",
            "      System.out.println(\"v1 default failed \" + e);",
            "    }",
            "  }",
            "}");

    /** The SDKs' jars (no freshcreds, no hook declarations, no test libraries). */
    static List<String> sdkJars() {
        List<String> jars = new ArrayList<String>();
        for (String e : GlobalHooksTest.classpath().split(File.pathSeparator)) {
            if (!e.equals(ChildJvms.property("freshcreds.test.jar"))
                    && !e.equals(ChildJvms.property("freshcreds.test.global.jar"))) {
                jars.add(e);
            }
        }
        return jars;
    }

    private static String run(SimulatorProcess sim, String delegation, boolean copyInApp) throws Exception {
        Path work = Files.createTempDirectory("freshcreds-layout-test");
        try {
            Path launcherDir = Files.createDirectory(work.resolve("launcher"));
            Path appDir = Files.createDirectory(work.resolve("app"));
            Files.write(work.resolve("Launcher.java"), LAUNCHER.getBytes(StandardCharsets.UTF_8));
            Files.write(work.resolve("Probe.java"), PROBE.getBytes(StandardCharsets.UTF_8));
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            assertEquals(0, javac.run(null, null, null, "-d", launcherDir.toString(), work.resolve("Launcher.java").toString()));
            assertEquals(0, javac.run(null, null, null, "-cp", GlobalHooksTest.classpath(), "-d", appDir.toString(),
                    work.resolve("Probe.java").toString()));
            List<String> appPath = new ArrayList<String>();
            appPath.add(appDir.toString());
            appPath.addAll(sdkJars());
            if (copyInApp) {
                appPath.add(ChildJvms.property("freshcreds.test.jar"));
            }
            Path empty = Files.createFile(work.resolve("empty"));
            List<String> command = new ArrayList<String>();
            command.add(ChildJvms.javaBinary());
            command.add("-javaagent:" + ChildJvms.property("freshcreds.test.jar"));
            command.addAll(ChildJvms.sdkImdsOff());
            command.add("-Dfreshcreds.source=imds");
            command.add("-Dfreshcreds.imdsEndpoint=" + sim.baseUrl());
            command.add("-Djava.io.tmpdir=" + Files.createDirectory(work.resolve("tmp")));
            command.add("-cp");
            command.add(launcherDir.toString());
            command.add("Launcher");
            command.addAll(Arrays.asList(delegation, String.join(File.pathSeparator, appPath), sim.baseUrl() + "/"));
            ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile());
            ChildJvms.minimalEnvironment(pb.environment(), work, empty, sim);
            return ChildJvms.runToCompletion(pb, "the child JVM", 120);
        } finally {
            Trees.delete(work);
        }
    }

    private static void assertBothSignWithFreshcreds(String out) {
        assertTrue(out, ChildJvms.line(out, "v2 default ").startsWith("v2 default ok ")
                && ChildJvms.line(out, "v2 default ").contains(ROLE_ARN));
        assertTrue(out, ChildJvms.line(out, "v1 default ").startsWith("v1 default ok ")
                && ChildJvms.line(out, "v1 default ").contains(ROLE_ARN));
        assertTrue(out, !out.contains("NoClassDefFoundError") && !out.contains("WARNING"));
    }

    @Test
    public void withTheAgentSdksInAParentFirstLoaderSignWithFreshcreds() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            assertBothSignWithFreshcreds(run(sim, "parent-first", false));
        }
    }

    @Test
    public void withTheAgentSdksInAChildFirstLoaderSignWithFreshcreds() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            assertBothSignWithFreshcreds(run(sim, "child-first", false));
        }
    }

    @Test
    public void withTheAgentAChildFirstLoaderWithACopyOfFreshcredsUsesItsOwnCopy() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            assertBothSignWithFreshcreds(run(sim, "child-first", true));
        }
    }
}

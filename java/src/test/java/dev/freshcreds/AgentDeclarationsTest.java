package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import org.junit.Test;
import dev.freshcreds.simkit.Trees;

/**
 * How the agent declares the hooks to the SDKs, seen from the application: exactly one
 * declaration of each SDK's hooks on the system class path, from the agent's private directory,
 * or from {@code freshcreds-<version>-global.jar} when that is on the class path already (then
 * the agent writes nothing); the directory is gone when the JVM has exited. Separate JVMs, no
 * network.
 */
public class AgentDeclarationsTest {
    /** Prints the declarations the system class loader finds and the agent's directories in java.io.tmpdir. */
    private static final String PROBE = String.join("\n",
            "import java.io.File;",
            "import java.net.URL;",
            "import java.util.Collections;",
            "public class Probe {",
            "  public static void main(String[] args) throws Exception {",
            "    for (String path : new String[] {\"software/amazon/awssdk/global/handlers/execution.interceptors\",",
            "        \"com/amazonaws/global/handlers/request.handler2s\"}) {",
            "      for (URL u : Collections.list(ClassLoader.getSystemResources(path))) {",
            "        System.out.println(\"declared \" + path + \" in \" + u);",
            "      }",
            "    }",
            "    File[] dirs = new File(System.getProperty(\"java.io.tmpdir\")).listFiles();",
            "    for (File d : dirs) {",
            "      if (d.getName().startsWith(\"freshcreds-hooks-\")) {",
            "        System.out.println(\"directory \" + d.getName() + \" \" + String.join(\",\", d.list()));",
            "      }",
            "    }",
            "  }",
            "}");

    private static String run(Path work, boolean globalJarOnClassPath) throws Exception {
        Path classes = Files.createDirectories(work.resolve("classes"));
        Files.write(work.resolve("Probe.java"), PROBE.getBytes(StandardCharsets.UTF_8));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertEquals(0, javac.run(null, null, null, "-d", classes.toString(), work.resolve("Probe.java").toString()));
        Path tmp = Files.createDirectories(work.resolve("tmp"));
        List<String> command = new ArrayList<String>();
        command.add(ChildJvms.javaBinary());
        command.add("-javaagent:" + ChildJvms.property("freshcreds.test.jar"));
        command.add("-Djava.io.tmpdir=" + tmp);
        command.add("-cp");
        command.add(classes + (globalJarOnClassPath ? File.pathSeparator + ChildJvms.property("freshcreds.test.global.jar") : ""));
        command.add("Probe");
        Path out = work.resolve("out.txt");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue("the child JVM did not finish", p.waitFor(120, TimeUnit.SECONDS));
        String text = new String(Files.readAllBytes(out), StandardCharsets.UTF_8).replace("\r", "");
        assertEquals(text, 0, p.exitValue());
        String[] left = tmp.toFile().list();
        assertEquals(text + "\nleft in java.io.tmpdir: " + String.join(",", left), 0, left.length);
        return text;
    }

    @Test
    public void theAgentDeclaresEachSdksHooksOnceFromItsPrivateDirectoryRemovedAtExit() throws Exception {
        Path work = Files.createTempDirectory("freshcreds-agent-declarations-test");
        try {
            String out = run(work, false);
            assertEquals(out, 2, ChildJvms.count(out, "declared "));
            assertEquals(out, 2, ChildJvms.count(out, "/freshcreds-hooks-"));
            assertEquals(out, 1, ChildJvms.count(out, "directory freshcreds-hooks-"));
            assertTrue(out, ChildJvms.line(out, "directory ").matches("directory freshcreds-hooks-[0-9a-f]{16} declarations\\.jar"));
            assertTrue(out, !out.contains("WARNING"));
        } finally {
            Trees.delete(work);
        }
    }

    @Test
    public void withTheGlobalJarOnTheClassPathTheAgentWritesNothing() throws Exception {
        Path work = Files.createTempDirectory("freshcreds-agent-declarations-test");
        try {
            String out = run(work, true);
            assertEquals(out, 2, ChildJvms.count(out, "declared "));
            assertEquals(out, 2, ChildJvms.count(out, "-global.jar!/"));
            assertEquals(out, 0, ChildJvms.count(out, "directory "));
        } finally {
            Trees.delete(work);
        }
    }
}

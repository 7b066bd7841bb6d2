package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import org.junit.Test;

/** The built jar on its own: native loading from a fresh temp dir, adapters needing only their SDK. */
public class JarTest {
    private static File jar() {
        String path = System.getProperty("freshcreds.test.jar");
        assertNotNull("-Dfreshcreds.test.jar is not set (the Gradle build sets it)", path);
        File f = new File(path);
        assertTrue(f + " does not exist", f.isFile());
        return f;
    }

    private static String read(Path p) throws IOException {
        return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
    }

    @Test
    public void theJarAloneLoadsItsNativeLibraryFromAFreshTempDirAndLeavesNothingThere() throws Exception {
        Path work = Files.createTempDirectory("freshcreds-jar-test");
        Path tmp = Files.createDirectory(work.resolve("tmp"));
        Path probe = work.resolve("Probe.java");
        Files.write(probe, String.join("\n",
                "import dev.freshcreds.*;",
                "public class Probe {",
                "  public static void main(String[] args) {",
                "    try {",
                "      FreshCredentialsSource.create(FreshCredentialsOptions.builder()",
                "          .readSystemProperties(false).option(\"refreshLead\", \"1\").build());",
                "      System.out.println(\"accepted\");",
                "    } catch (IllegalArgumentException e) {",
                "      System.out.println(\"rejected: \" + e.getMessage().contains(\"`refreshLead`\"));",
                "    }",
                "    try (FreshCredentialsSource s = FreshCredentialsSource.create(FreshCredentialsOptions.builder()",
                "        .readSystemProperties(false).source(\"systemProperties\")",
                "        .option(\"aws.accessKeyId\", \"AKIAPROBE\").option(\"aws.secretAccessKey\", \"x\").build())) {",
                "      System.out.println(\"key: \" + s.credentials().getAccessKeyId());",
                "    }",
                "  }",
                "}").getBytes(StandardCharsets.UTF_8));
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        // java.util.logging (where native log events go without SLF4J) writes to a file here, so
        // that anything on stderr was printed by someone else.
        Path julLog = work.resolve("jul.log");
        Path julConfig = work.resolve("logging.properties");
        Files.write(julConfig, ("handlers=java.util.logging.FileHandler\n"
                + "java.util.logging.FileHandler.pattern=" + julLog.toString().replace("\\", "/") + "\n"
                + "java.util.logging.FileHandler.formatter=java.util.logging.SimpleFormatter\n")
                .getBytes(StandardCharsets.UTF_8));
        Path out = work.resolve("out.txt");
        Path err = work.resolve("err.txt");
        Process p = new ProcessBuilder(java, "-Djava.io.tmpdir=" + tmp,
                "-Djava.util.logging.config.file=" + julConfig, "-cp", jar().getAbsolutePath(),
                probe.toString())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        assertTrue("the child JVM did not finish", p.waitFor(60, TimeUnit.SECONDS));
        String stdout = read(out);
        String stderr = read(err);
        assertEquals("stdout: " + stdout + "\nstderr: " + stderr, 0, p.exitValue());
        assertEquals("rejected: true\nkey: AKIAPROBE\n", stdout.replace("\r", ""));
        assertEquals("the library printed to stderr", "", stderr);
        String logged = read(julLog);
        assertTrue(logged, logged.contains("freshcreds::refresh"));
        assertTrue(logged, logged.contains("refreshed credentials: AKIAPROBE"));
        try (Stream<Path> left = Files.list(tmp)) {
            List<String> names = left.map(x -> x.getFileName().toString())
                    .filter(n -> n.contains("freshcreds"))
                    // the private directory the library is extracted into once and reused from
                    .filter(n -> !n.equals("freshcreds-" + System.getProperty("user.name").replaceAll("[^A-Za-z0-9._-]+", "_")))
                    .collect(Collectors.toList());
            assertTrue("left in the temp dir: " + names, names.isEmpty());
        }
    }

    /** Runs {@code body} (statements of a main method) in a child JVM; returns stdout. */
    private static String runChild(String classpath, List<String> jvmArgs, String body) throws Exception {
        return runChild(classpath, jvmArgs, body, null);
    }

    /** As above; the child's stderr is also copied to {@code stderrCopy} when it is not null. */
    private static String runChild(String classpath, List<String> jvmArgs, String body, Path stderrCopy)
            throws Exception {
        Path work = Files.createTempDirectory("freshcreds-jar-test");
        Path probe = work.resolve("Probe.java");
        Files.write(probe, ("public class Probe {\n  public static void main(String[] args) throws Exception {\n"
                + body + "\n  }\n}\n").getBytes(StandardCharsets.UTF_8));
        List<String> command = new ArrayList<String>();
        command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        command.addAll(jvmArgs);
        command.add("-Djava.io.tmpdir=" + Files.createDirectory(work.resolve("tmp")));
        command.add("-cp");
        command.add(classpath);
        command.add(probe.toString());
        Path out = work.resolve("out.txt");
        Path err = work.resolve("err.txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue("the child JVM did not finish", p.waitFor(60, TimeUnit.SECONDS));
        String stdout = read(out);
        assertEquals("stdout: " + stdout + "\nstderr: " + read(err), 0, p.exitValue());
        if (stderrCopy != null) {
            Files.copy(err, stderrCopy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return stdout.replace("\r", "");
    }

    private static final String PRINT_LOAD_FAILURE = String.join("\n",
            "try {",
            "  dev.freshcreds.internal.NativeLoader.load();",
            "  System.out.println(\"loaded\");",
            "} catch (UnsatisfiedLinkError e) {",
            "  System.out.println(e.getMessage());",
            "  System.out.println(\"suppressed: \" + e.getSuppressed().length);",
            "  try { dev.freshcreds.internal.NativeLoader.load(); } catch (UnsatisfiedLinkError again) {",
            "    System.out.println(\"again: \" + again.getMessage().equals(e.getMessage()));",
            "  }",
            "}");

    @Test
    public void aLibraryPathPropertyNamingAMissingFileFailsNamingThePropertyPlatformAndResource() throws Exception {
        String out = runChild(jar().getAbsolutePath(),
                java.util.Collections.singletonList("-Dfreshcreds.library.path=/nonexistent/libfreshcreds.so"),
                PRINT_LOAD_FAILURE);
        assertTrue(out, out.contains("/nonexistent/libfreshcreds.so"));
        assertTrue(out, out.contains("freshcreds.library.path"));
        assertTrue(out, out.contains("os.name=" + System.getProperty("os.name")));
        assertTrue(out, out.contains("os.arch=" + System.getProperty("os.arch")));
        assertTrue(out, out.contains(dev.freshcreds.internal.NativeLoader.resourcePath()));
        assertTrue(out, out.contains("suppressed: 1"));
        assertTrue(out, out.contains("again: true"));
    }

    @Test
    public void classesWithoutTheBundledLibraryFailNamingTheMissingResourceAndTheProperty() throws Exception {
        String classes = System.getProperty("freshcreds.test.classes");
        assertNotNull("-Dfreshcreds.test.classes is not set (the Gradle build sets it)", classes);
        String out = runChild(classes, java.util.Collections.<String>emptyList(), PRINT_LOAD_FAILURE);
        assertTrue(out, out.contains("no native library for this platform at "
                + dev.freshcreds.internal.NativeLoader.resourcePath()));
        assertTrue(out, out.contains("-Dfreshcreds.library.path="));
        assertTrue(out, out.contains("again: true"));
    }

    @Test
    public void aLongOptionListStaysWithinTheJniLocalReferenceCapacity() throws Exception {
        // 12 key/value pairs: reading them used to leave about 4 local references per pair
        // behind, over the 32 a native method may hold, which -Xcheck:jni reports.
        String body = String.join("\n",
                "try (dev.freshcreds.FreshCredentialsSource s = dev.freshcreds.FreshCredentialsSource.create(",
                "    dev.freshcreds.FreshCredentialsOptions.builder().readSystemProperties(false).source(\"systemProperties\")",
                "    .option(\"aws.accessKeyId\", \"AKIAPROBE\").option(\"aws.secretAccessKey\", \"x\")",
                "    .option(\"refreshLeadMillis\", \"600000\").option(\"jitterMillis\", \"1000\")",
                "    .option(\"firstFetchTimeoutMillis\", \"5000\").option(\"staleExtensionMillis\", \"300000\")",
                "    .option(\"refreshBackoffBaseMillis\", \"1000\").option(\"refreshBackoffCapMillis\", \"60000\")",
                "    .option(\"skewWarnMillis\", \"60000\").option(\"imdsTimeoutMillis\", \"1000\")",
                "    .option(\"imdsAttempts\", \"3\").option(\"imdsEndpointMode\", \"IPv4\").build())) {",
                "  System.out.println(s.credentials().getAccessKeyId());",
                "}");
        Path err = Files.createTempFile("freshcreds-jni-check", ".txt");
        String out = runChild(jar().getAbsolutePath(), Arrays.asList("-Xcheck:jni"), body, err);
        assertEquals("AKIAPROBE\n", out);
        String stderr = read(err);
        assertFalse(stderr, stderr.contains("exceeds capacity"));
    }

    @Test
    public void theLogLevelPropertyDecidesWhichNativeEventsAreForwarded() throws Exception {
        String body = String.join("\n",
                "java.util.logging.Logger root = java.util.logging.Logger.getLogger(\"\");",
                "for (java.util.logging.Handler h : root.getHandlers()) root.removeHandler(h);",
                "final StringBuilder seen = new StringBuilder();",
                // JUL holds loggers weakly: without this reference a GC resets the level to INFO.
                "final java.util.logging.Logger freshcreds = java.util.logging.Logger.getLogger(\"dev.freshcreds\");",
                "freshcreds.setLevel(java.util.logging.Level.ALL);",
                "root.addHandler(new java.util.logging.Handler() {",
                "  public void publish(java.util.logging.LogRecord r) {",
                "    synchronized (seen) { seen.append(r.getLevel()).append(' ').append(r.getLoggerName()).append('\\n'); }",
                "  }",
                "  public void flush() {}",
                "  public void close() {}",
                "});",
                "try (dev.freshcreds.FreshCredentialsSource s = dev.freshcreds.FreshCredentialsSource.create(",
                "    dev.freshcreds.FreshCredentialsOptions.builder().readSystemProperties(false).source(\"systemProperties\")",
                "    .option(\"aws.accessKeyId\", \"AKIAPROBE\").option(\"aws.secretAccessKey\", \"x\").build())) {",
                "  s.credentials();",
                "}",
                "synchronized (seen) { System.out.print(seen); }",
                "if (freshcreds.getLevel() != java.util.logging.Level.ALL) throw new IllegalStateException();");
        String warnOnly = runChild(jar().getAbsolutePath(),
                java.util.Collections.singletonList("-Dfreshcreds.log.level=warn"), body);
        assertEquals("", warnOnly);
        String debug = runChild(jar().getAbsolutePath(),
                java.util.Collections.singletonList("-Dfreshcreds.log.level=debug"), body);
        assertTrue(debug, debug.contains("INFO dev.freshcreds.refresh"));
        assertTrue(debug, debug.contains("FINE dev.freshcreds."));
    }

    private static URLClassLoader loaderWith(String classpathProperty) throws Exception {
        String cp = System.getProperty(classpathProperty);
        assertNotNull("-D" + classpathProperty + " is not set (the Gradle build sets it)", cp);
        List<URL> urls = new ArrayList<URL>();
        urls.add(jar().toURI().toURL());
        for (String entry : cp.split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                urls.add(new File(entry).toURI().toURL());
            }
        }
        // Parent: the bootstrap/platform loader only, so nothing leaks in from the test class path.
        return new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getSystemClassLoader().getParent());
    }

    private static void assertLinks(ClassLoader loader, String className) throws Exception {
        Class<?> c = Class.forName(className, true, loader);
        for (Method m : c.getDeclaredMethods()) {
            m.getReturnType();
            m.getParameterTypes();
        }
        c.getDeclaredConstructors();
        c.getDeclaredFields();
    }

    private static void assertAbsent(ClassLoader loader, String className) {
        try {
            Class.forName(className, false, loader);
            fail(className + " should not be on this class path");
        } catch (ClassNotFoundException expected) {
            // expected
        }
    }

    @Test
    public void theSdkV1AdapterLoadsWithoutTheV2Sdk() throws Exception {
        try (URLClassLoader loader = loaderWith("freshcreds.test.v1.classpath")) {
            assertAbsent(loader, "software.amazon.awssdk.auth.credentials.AwsCredentialsProvider");
            assertLinks(loader, "dev.freshcreds.sdkv1.FreshCredentialsProvider");
        }
    }

    @Test
    public void theSdkV2AdapterLoadsWithoutTheV1Sdk() throws Exception {
        try (URLClassLoader loader = loaderWith("freshcreds.test.v2.classpath")) {
            assertAbsent(loader, "com.amazonaws.auth.AWSCredentialsProvider");
            assertLinks(loader, "dev.freshcreds.sdkv2.FreshAwsCredentialsProvider");
        }
    }
    @Test
    public void theProductJarHasNoTestHookAndNoNativeMethodOrHandleOutsideItsPackage() throws Exception {
        List<String> classes = new ArrayList<String>();
        try (JarFile jar = new JarFile(jar())) {
            for (JarEntry e : java.util.Collections.list(jar.entries())) {
                if (!e.getName().endsWith(".class")) {
                    continue;
                }
                byte[] bytes;
                try (java.io.InputStream in = jar.getInputStream(e)) {
                    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
                    byte[] chunk = new byte[8192];
                    int n;
                    while ((n = in.read(chunk)) != -1) {
                        buf.write(chunk, 0, n);
                    }
                    bytes = buf.toByteArray();
                }
                String text = new String(bytes, StandardCharsets.ISO_8859_1);
                assertTrue(e.getName() + " mentions NativeTestHooks", !text.contains("NativeTestHooks"));
                String name = e.getName().replace('/', '.');
                classes.add(name.substring(0, name.length() - ".class".length()));
            }
        }
        assertTrue(classes.toString(), classes.contains("dev.freshcreds.Native"));
        ClassLoader loader = JarTest.class.getClassLoader();
        int natives = 0;
        for (String name : classes) {
            Class<?> c = Class.forName(name, false, loader);
            for (Method m : c.getDeclaredMethods()) {
                if (Modifier.isNative(m.getModifiers())) {
                    natives++;
                    assertTrue(m + " is native in a public class", !Modifier.isPublic(c.getModifiers()));
                    assertTrue(m + " is a public or protected native method",
                            !Modifier.isPublic(m.getModifiers()) && !Modifier.isProtected(m.getModifiers()));
                    assertEquals(m + " is outside the package that owns the handles", "dev.freshcreds.Native", c.getName());
                }
            }
        }
        assertTrue("no native method found at all", natives > 0);
    }

    @Test
    public void theClassLoaderThatLoadedTheLibraryIsCollectedOnceItsSourcesAreClosed() throws Exception {
        // A redeploy: an application class loader loads freshcreds (and its native library), uses
        // it, closes it and is dropped. Nothing of freshcreds (a JNI global reference, a thread)
        // may keep it alive. Then a new loader loads the library again.
        String body = String.join("\n",
                "java.net.URL jar = new java.io.File(args[0]).toURI().toURL();",
                "for (int round = 1; round <= 2; round++) {",
                "  java.net.URLClassLoader app = new java.net.URLClassLoader(new java.net.URL[] {jar},",
                "      ClassLoader.getSystemClassLoader().getParent());",
                "  Class<?> optionsClass = Class.forName(\"dev.freshcreds.FreshCredentialsOptions\", true, app);",
                "  Object b = optionsClass.getMethod(\"builder\").invoke(null);",
                "  Class<?> bc = b.getClass();",
                "  b = bc.getMethod(\"readSystemProperties\", boolean.class).invoke(b, false);",
                "  b = bc.getMethod(\"source\", String.class).invoke(b, \"systemProperties\");",
                "  b = bc.getMethod(\"option\", String.class, String.class).invoke(b, \"aws.accessKeyId\", \"AKIAUNLOAD\" + round);",
                "  b = bc.getMethod(\"option\", String.class, String.class).invoke(b, \"aws.secretAccessKey\", \"x\");",
                "  Object options = bc.getMethod(\"build\").invoke(b);",
                "  Class<?> sourceClass = Class.forName(\"dev.freshcreds.FreshCredentialsSource\", true, app);",
                "  AutoCloseable source = (AutoCloseable) sourceClass.getMethod(\"create\", optionsClass).invoke(null, options);",
                "  Object c = sourceClass.getMethod(\"credentials\").invoke(source);",
                "  System.out.println(\"key \" + c.getClass().getMethod(\"getAccessKeyId\").invoke(c));",
                "  source.close();",
                "  java.lang.ref.WeakReference<ClassLoader> ref = new java.lang.ref.WeakReference<ClassLoader>(app);",
                "  app.close();",
                "  app = null; optionsClass = null; b = null; bc = null; options = null; sourceClass = null; source = null; c = null;",
                "  long deadline = System.nanoTime() + 30_000_000_000L;",
                "  while (ref.get() != null && System.nanoTime() < deadline) {",
                "    System.gc();",
                "    Thread.sleep(50);",
                "  }",
                "  System.out.println(ref.get() == null ? \"collected\" : \"still reachable\");",
                "}");
        Path work = Files.createTempDirectory("freshcreds-unload-test");
        Path probe = work.resolve("Probe.java");
        Files.write(probe, ("public class Probe {\n  public static void main(String[] args) throws Exception {\n"
                + body + "\n  }\n}\n").getBytes(StandardCharsets.UTF_8));
        Path out = work.resolve("out.txt");
        Path err = work.resolve("err.txt");
        Process p = new ProcessBuilder(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "-Xcheck:jni", "-Djava.io.tmpdir=" + Files.createDirectory(work.resolve("tmp")),
                probe.toString(), jar().getAbsolutePath())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue("the child JVM did not finish", p.waitFor(120, TimeUnit.SECONDS));
        String stdout = read(out).replace("\r", "");
        assertEquals("stdout: " + stdout + "\nstderr: " + read(err), 0, p.exitValue());
        assertEquals("key AKIAUNLOAD1\ncollected\nkey AKIAUNLOAD2\ncollected\n", stdout);
    }
}

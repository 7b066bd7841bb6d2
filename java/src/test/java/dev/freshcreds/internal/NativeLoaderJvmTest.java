package dev.freshcreds.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

import org.junit.Test;

/** The loader in fresh JVMs, each with a temporary directory of its own. */
public class NativeLoaderJvmTest {
    private static final String LIB = System.mapLibraryName("freshcreds");
    private static final boolean POSIX = !System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("windows");

    private static File jar() {
        String path = System.getProperty("freshcreds.test.jar");
        assertNotNull("-Dfreshcreds.test.jar is not set (the Gradle build sets it)", path);
        return new File(path);
    }

    private static String classesWithoutLibrary() {
        String classes = System.getProperty("freshcreds.test.classes");
        assertNotNull("-Dfreshcreds.test.classes is not set (the Gradle build sets it)", classes);
        return classes;
    }

    /** A child JVM's work directory: {@code tmp/} is its java.io.tmpdir. */
    private static Path work() throws IOException {
        Path work = Files.createTempDirectory("freshcreds-loader-test");
        Files.createDirectory(work.resolve("tmp"));
        return work;
    }

    private static Path sharedDir(Path work) {
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]+", "_");
        return work.resolve("tmp").resolve("freshcreds-" + user);
    }

    /** Runs {@code body} (statements of a main method) in a child JVM; returns stdout. */
    private static String runChild(Path work, String classpath, List<String> jvmArgs, String body) throws Exception {
        Path probe = work.resolve("Probe.java");
        Files.write(probe, ("public class Probe {\n  public static void main(String[] args) throws Exception {\n"
                + body + "\n  }\n}\n").getBytes(StandardCharsets.UTF_8));
        List<String> command = new ArrayList<String>();
        command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        command.addAll(jvmArgs);
        command.add("-Djava.io.tmpdir=" + work.resolve("tmp"));
        command.add("-cp");
        command.add(classpath);
        command.add(probe.toString());
        Path out = work.resolve("out.txt");
        Path err = work.resolve("err.txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue("the child JVM did not finish", p.waitFor(60, TimeUnit.SECONDS));
        String stdout = new String(Files.readAllBytes(out), StandardCharsets.UTF_8).replace("\r", "");
        assertEquals("stdout: " + stdout + "\nstderr: " + new String(Files.readAllBytes(err), StandardCharsets.UTF_8),
                0, p.exitValue());
        return stdout;
    }

    private static final String PRINT_LOADED_FROM = String.join("\n",
            "try {",
            "  dev.freshcreds.internal.NativeLoader.load();",
            "  System.out.println(dev.freshcreds.internal.NativeLoader.loadedFrom());",
            "} catch (UnsatisfiedLinkError e) {",
            "  System.out.println(\"failed: \" + e.getMessage());",
            "}");

    private static final String PRINT_FAILURE = String.join("\n",
            "System.out.println(\"available: \" + dev.freshcreds.FreshCredentials.isAvailable());",
            "Throwable cause = dev.freshcreds.FreshCredentials.unavailabilityCause();",
            "System.out.println(cause == null ? \"no cause\" : cause.getMessage());");

    /** The manifest's hash of this platform's library in the jar. */
    private static String manifestHash() throws IOException {
        try (JarFile jar = new JarFile(jar())) {
            ZipEntry manifest = jar.getEntry("native/SHA256SUMS");
            assertNotNull("the jar has no native/SHA256SUMS", manifest);
            List<String> lines;
            try (InputStream in = jar.getInputStream(manifest)) {
                lines = Arrays.asList(new String(readAll(in), StandardCharsets.UTF_8).split("\n"));
            }
            String hash = NativeExtraction.parseManifest(lines).get(NativeLoader.platform() + "/" + LIB);
            assertNotNull("no " + NativeLoader.platform() + "/" + LIB + " in native/SHA256SUMS: " + lines, hash);
            return hash;
        }
    }

    private static boolean jarHas(String entry) throws IOException {
        try (JarFile jar = new JarFile(jar())) {
            return jar.getEntry(entry) != null;
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] b = new byte[65536];
        int n;
        while ((n = in.read(b)) > 0) {
            out.write(b, 0, n);
        }
        return out.toByteArray();
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    public void theBundledLibraryIsExtractedOnceIntoAPrivateDirectoryAndTheNextJvmLoadsTheSameFile() throws Exception {
        Path work = work();
        String hash = manifestHash();
        Path expected = sharedDir(work).resolve(NativeLoader.hashedName(LIB, hash));

        String first = runChild(work, jar().getAbsolutePath(), Collections.<String>emptyList(), PRINT_LOADED_FROM);
        assertEquals(expected.toString() + "\n", first);
        assertEquals(Collections.singletonList(expected.getFileName().toString()), names(sharedDir(work)));
        if (POSIX) {
            assertEquals("rwx------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(sharedDir(work), LinkOption.NOFOLLOW_LINKS)));
            assertEquals("r-x------", PosixFilePermissions.toString(Files.getPosixFilePermissions(expected)));
        }
        Object inode = Files.readAttributes(expected, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        long modified = Files.getLastModifiedTime(expected).toMillis();

        String second = runChild(work, jar().getAbsolutePath(), Collections.<String>emptyList(), PRINT_LOADED_FROM);
        assertEquals(first, second);
        assertEquals("the second JVM extracted again", modified, Files.getLastModifiedTime(expected).toMillis());
        assertEquals(inode, Files.readAttributes(expected, java.nio.file.attribute.BasicFileAttributes.class).fileKey());
        assertEquals(Collections.singletonList(expected.getFileName().toString()), names(sharedDir(work)));
        // Nothing else is left in the temporary directory.
        assertEquals(Collections.singletonList(sharedDir(work).getFileName().toString()), names(work.resolve("tmp")));
    }

    @Test
    public void theHashCompiledIntoTheClassesIsTheManifestsHashOfTheBundledLibrary() throws Exception {
        assertEquals(manifestHash(), BundledNatives.sha256(NativeLoader.platform() + "/" + LIB));
        assertEquals(null, BundledNatives.sha256("plan9-mips/" + LIB));
    }

    @Test
    public void aJvmWhoseLibraryIsAlreadyExtractedLoadsItWithoutTheJarsCopy() throws Exception {
        Path work = work();
        Path expected = sharedDir(work).resolve(NativeLoader.hashedName(LIB, manifestHash()));
        String first = runChild(work, jar().getAbsolutePath(), Collections.<String>emptyList(), PRINT_LOADED_FROM);
        assertEquals(expected.toString() + "\n", first);
        // The classes alone: no native resources, nothing in java.library.path. Only the quick
        // path (the compiled hash names the extracted file) can load the library.
        String second = runChild(work, classesWithoutLibrary(),
                Collections.singletonList("-Djava.library.path=" + work.resolve("empty")), PRINT_LOADED_FROM);
        assertEquals(first, second);
    }

    @Test
    public void twoClassLoadersOfOneJvmBothLoadTheLibraryTheSecondFromACopyOfItsOwn() throws Exception {
        Path work = work();
        String body = String.join("\n",
                "java.net.URL jar = new java.io.File(\"" + jar().getAbsolutePath().replace("\\", "\\\\") + "\").toURI().toURL();",
                "for (int i = 0; i < 2; i++) {",
                "  ClassLoader l = new java.net.URLClassLoader(new java.net.URL[] {jar}, ClassLoader.getSystemClassLoader().getParent());",
                "  Class<?> c = Class.forName(\"dev.freshcreds.internal.NativeLoader\", true, l);",
                "  c.getMethod(\"load\").invoke(null);",
                "  System.out.println(c.getMethod(\"loadedFrom\").invoke(null));",
                "}");
        String[] lines = runChild(work, work.toString(), Collections.<String>emptyList(), body).split("\n");
        assertEquals(Arrays.toString(lines), 2, lines.length);
        assertEquals(sharedDir(work).resolve(NativeLoader.hashedName(LIB, manifestHash())).toString(), lines[0]);
        assertFalse(lines[1], lines[1].startsWith(sharedDir(work).toString()));
        assertTrue(lines[1], lines[1].startsWith(work.resolve("tmp").toString()));
    }

    @Test
    public void aSharedDirectoryOthersCanWriteToIsNotTrustedAndAFilePlantedThereIsNotLoaded() throws Exception {
        assumeTrue("POSIX permissions", POSIX);
        Path work = work();
        Path shared = Files.createDirectory(sharedDir(work));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path planted = shared.resolve(NativeLoader.hashedName(LIB, manifestHash()));
        Files.write(planted, "not a library".getBytes(StandardCharsets.UTF_8));

        String out = runChild(work, jar().getAbsolutePath(), Collections.<String>emptyList(), PRINT_LOADED_FROM);
        assertFalse(out, out.startsWith("failed"));
        assertFalse(out, out.startsWith(shared.toString()));
        assertEquals("rwxrwxrwx", PosixFilePermissions.toString(Files.getPosixFilePermissions(shared)));
        // The private copy it used instead is gone after the load.
        assertEquals(Collections.singletonList(shared.getFileName().toString()), names(work.resolve("tmp")));
    }

    @Test
    public void aTamperedLibraryInTheSharedDirectoryIsNotLoadedAndAFreshPrivateCopyIsNamingTheFileOnce()
            throws Exception {
        assumeTrue("POSIX permissions", POSIX);
        Path work = work();
        Path shared = sharedDir(work).resolve(NativeLoader.hashedName(LIB, manifestHash()));
        String first = runChild(work, jar().getAbsolutePath(), Collections.<String>emptyList(), PRINT_LOADED_FROM);
        assertEquals(shared + "\n", first);
        // Still a library that loads (bytes appended after the ELF image), but not the one the
        // jar was built with: what a process of this user, or a disk error, may leave there.
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rw-------"));
        Files.write(shared, "tampered".getBytes(StandardCharsets.UTF_8), java.nio.file.StandardOpenOption.APPEND);

        String second = runChild(work, jar().getAbsolutePath(), Collections.<String>emptyList(), PRINT_LOADED_FROM);
        assertFalse(second, second.startsWith("failed"));
        assertFalse("the tampered file was loaded: " + second, second.startsWith(sharedDir(work).toString()));
        assertTrue(second, second.startsWith(work.resolve("tmp").toString()));
        String err = new String(Files.readAllBytes(work.resolve("err.txt")), StandardCharsets.UTF_8);
        int at = err.indexOf(NativeLoader.HASH_MISMATCH);
        assertTrue(err, at >= 0);
        assertEquals("one message: " + err, -1, err.indexOf(NativeLoader.HASH_MISMATCH, at + 1));
        assertTrue(err, err.contains(shared.toString()));
        // The quick path (classes only, no jar to extract from) refuses it as well.
        String third = runChild(work, classesWithoutLibrary(),
                Collections.singletonList("-Djava.library.path=" + work.resolve("empty")), PRINT_LOADED_FROM);
        assertFalse("the tampered file was loaded: " + third, third.startsWith(sharedDir(work).toString()));
    }

    @Test
    public void withoutABundledLibraryTheLoaderFallsBackToSystemLoadLibrary() throws Exception {
        Path work = work();
        Path libDir = Files.createDirectory(work.resolve("lib"));
        try (JarFile jar = new JarFile(jar());
                InputStream in = jar.getInputStream(jar.getEntry("native/" + NativeLoader.platform() + "/" + LIB))) {
            Files.copy(in, libDir.resolve(LIB), StandardCopyOption.REPLACE_EXISTING);
        }
        String out = runChild(work, classesWithoutLibrary(),
                Collections.singletonList("-Djava.library.path=" + libDir), PRINT_LOADED_FROM);
        assertEquals("java.library.path\n", out);
    }

    @Test
    public void withNothingToLoadIsAvailableIsFalseAndTheCauseNamesPlatformLibcAndTheFix() throws Exception {
        String out = runChild(work(), classesWithoutLibrary(),
                Collections.singletonList("-Djava.library.path=" + work().resolve("empty")), PRINT_FAILURE);
        String[] lines = out.split("\n");
        assertEquals(out, "available: false", lines[0]);
        String first = lines[1];
        assertTrue(first, first.startsWith("freshcreds: cannot load the native library on "
                + NativeLoader.os(System.getProperty("os.name")) + " " + NativeLoader.arch(System.getProperty("os.arch"))
                + " with libc " + NativeLoader.libc() + " "));
        assertTrue(first, first.contains("the jar has no native library for this platform at " + NativeLoader.resourcePath()));
        assertTrue(first, first.contains("Fix: this jar carries no library for " + NativeLoader.platform()));
        assertTrue(first, first.contains("FreshCredentials.isAvailable()"));
        assertTrue(out, out.contains("\n  tried System.loadLibrary(\"freshcreds\") from java.library.path="));
    }

    @Test
    public void withTheJarIsAvailableIsTrueAndThereIsNoCause() throws Exception {
        String out = runChild(work(), jar().getAbsolutePath(), Collections.<String>emptyList(), PRINT_FAILURE);
        assertEquals("available: true\nno cause\n", out);
    }

    @Test
    public void aFileThatIsNotALibraryFailsWithTheDynamicLoadersReasonOnTheFirstLine() throws Exception {
        Path work = work();
        Path bogus = work.resolve(LIB);
        Files.write(bogus, "not a library".getBytes(StandardCharsets.UTF_8));
        String out = runChild(work, jar().getAbsolutePath(),
                Collections.singletonList("-Dfreshcreds.library.path=" + bogus), PRINT_FAILURE);
        String first = out.split("\n")[1];
        assertTrue(first, first.startsWith("freshcreds: could not load " + bogus + " named by -Dfreshcreds.library.path on "));
        assertTrue(first, first.contains(" with libc " + NativeLoader.libc()));
        if (System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")) {
            // dlopen's own words
            assertTrue(first, first.contains("invalid ELF header") || first.contains("file too short"));
        }
        assertTrue(first, first.contains("Fix: set -Dfreshcreds.library.path to a " + LIB + " built for "));
    }

    @Test
    public void theMuslLibraryOnAGlibcSystemFailsNamingMuslAndTheDynamicLoadersReason() throws Exception {
        assumeTrue("a glibc Linux", "glibc".equals(NativeLoader.libc()));
        String platform = NativeLoader.platform() + "-musl";
        assumeTrue("the jar carries " + platform + " (gradle -Pnative=host does not)",
                jarHas("native/" + platform + "/" + LIB));
        Path work = work();
        String out = runChild(work, jar().getAbsolutePath(),
                Arrays.asList("-Dfreshcreds.libc=musl", "-Djava.library.path=" + work.resolve("empty")), PRINT_FAILURE);
        String[] lines = out.split("\n");
        assertEquals(out, "available: false", lines[0]);
        String first = lines[1];
        assertTrue(first, first.startsWith("freshcreds: cannot load the native library on linux "
                + NativeLoader.arch(System.getProperty("os.arch")) + " with libc musl "));
        // The dynamic loader's reason, not "no freshcreds in java.library.path": musl's libc.so
        // is missing (or, with glibc's development files, a linker script, not ELF).
        assertTrue(first, first.contains("libc.so"));
        assertTrue(first, first.contains("cannot open shared object file") || first.contains("invalid ELF header"));
        assertTrue(first, first.contains("Fix: the bundled library does not link on this system"));
        assertTrue(out, out.contains("\n  tried bundled /native/" + platform + "/" + LIB + " extracted to "));
    }
}

package dev.freshcreds.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipFile;

import org.junit.Test;

/**
 * The hook declarations: freshcreds' jar keeps them only at its inert path, the global jar only
 * at the SDKs' paths, and the agent's declarations jar is private and holds the same texts.
 */
public class HookDeclarationsTest {
    private static final String[] HOOKS = {"dev.freshcreds.sdkv2.GlobalInterceptor",
        "dev.freshcreds.sdkv2.RejectionInterceptor", "dev.freshcreds.sdkv1.GlobalRequestHandler"};

    private static List<String> names(String jar) throws IOException {
        List<String> names = new ArrayList<String>();
        try (ZipFile zip = new ZipFile(jar)) {
            for (java.util.zip.ZipEntry e : Collections.list(zip.entries())) {
                names.add(e.getName());
            }
        }
        return names;
    }

    @Test
    public void theProductJarDeclaresNoHooksAndKeepsTheTextsAtItsInertPath() throws Exception {
        String jar = System.getProperty("freshcreds.test.jar");
        assertNotNull("-Dfreshcreds.test.jar is not set (the Gradle build sets it)", jar);
        List<String> names = names(jar);
        for (String path : HookDeclarations.SDK_PATHS) {
            assertTrue(path, !names.contains(path));
            assertTrue(HookDeclarations.inertResource(path), names.contains(HookDeclarations.inertResource(path)));
        }
    }

    @Test
    public void theGlobalJarHoldsTheDeclarationsAtTheSdksPathsAndNoClasses() throws Exception {
        String jar = System.getProperty("freshcreds.test.global.jar");
        assertNotNull("-Dfreshcreds.test.global.jar is not set (the Gradle build sets it)", jar);
        String all = "";
        try (JarFile zip = new JarFile(jar)) {
            for (String path : HookDeclarations.SDK_PATHS) {
                JarEntry e = zip.getJarEntry(path);
                assertNotNull(path, e);
                try (InputStream in = zip.getInputStream(e)) {
                    byte[] text = readAll(in);
                    assertArrayEquals(path, HookDeclarations.read(HookDeclarations.inertResource(path)), text);
                    all += new String(text, StandardCharsets.UTF_8);
                }
            }
        }
        for (String hook : HOOKS) {
            assertTrue(all, all.contains(hook));
        }
        for (String n : names(jar)) {
            assertTrue(n, !n.endsWith(".class"));
        }
    }

    @Test
    public void theProductJarCarriesTheGlobalJarByteForByteAtItsInertPath() throws Exception {
        String global = System.getProperty("freshcreds.test.global.jar");
        assertNotNull("-Dfreshcreds.test.global.jar is not set (the Gradle build sets it)", global);
        assertArrayEquals(Files.readAllBytes(new File(global).toPath()), HookDeclarations.read(HookDeclarations.PREBUILT_JAR));
        String jar = System.getProperty("freshcreds.test.jar");
        try (JarFile product = new JarFile(jar); InputStream in = product.getInputStream(
                product.getJarEntry(HookDeclarations.PREBUILT_JAR))) {
            assertArrayEquals(Files.readAllBytes(new File(global).toPath()), readAll(in));
        }
    }

    @Test
    public void aTakenDirectoryNameIsNotUsedAndTheAttemptsAreBounded() throws Exception {
        Path parent = Files.createTempDirectory("freshcreds-declarations-test");
        try {
            Path taken = Files.createDirectory(parent.resolve(HookDeclarations.DIRECTORY_PREFIX + "0000000000000000"));
            // Taken, then free: the second name.
            long[] next = {0, 1};
            int[] calls = {0};
            Path dir = HookDeclarations.createDirectory(parent, false, () -> next[calls[0]++]);
            assertEquals(parent.resolve(HookDeclarations.DIRECTORY_PREFIX + "0000000000000001"), dir);
            assertEquals(2, calls[0]);
            // Always taken: it gives up after MAX_NAME_ATTEMPTS names.
            int[] tries = {0};
            try {
                HookDeclarations.createDirectory(parent, false, () -> {
                    tries[0]++;
                    return 0;
                });
                throw new AssertionError("no error");
            } catch (FileAlreadyExistsException e) {
                assertEquals(taken.toString(), e.getFile());
            }
            assertEquals(HookDeclarations.MAX_NAME_ATTEMPTS, tries[0]);
        } finally {
            deleteTree(parent.toFile());
        }
    }

    @Test
    public void theAgentsDeclarationsJarIsOwnerOnlyInANewDirectoryAndHoldsTheTexts() throws Exception {
        Path parent = Files.createTempDirectory("freshcreds-declarations-test");
        try {
            Path jar = HookDeclarations.writeJar(parent);
            Path dir = jar.getParent();
            assertEquals(parent, dir.getParent());
            assertTrue(dir.getFileName().toString(), dir.getFileName().toString().startsWith(HookDeclarations.DIRECTORY_PREFIX));
            if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
                assertEquals("rwx------", PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)));
                assertEquals("rw-------", PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(jar, LinkOption.NOFOLLOW_LINKS)));
            }
            // A second agent in the same JVM family gets a directory of its own.
            Path other = HookDeclarations.writeJar(parent);
            assertTrue(!other.getParent().equals(dir));
            try (JarFile zip = new JarFile(jar.toFile())) {
                for (String path : HookDeclarations.SDK_PATHS) {
                    try (InputStream in = zip.getInputStream(zip.getJarEntry(path))) {
                        assertArrayEquals(path, HookDeclarations.read(HookDeclarations.inertResource(path)), readAll(in));
                    }
                }
            }
        } finally {
            deleteTree(parent.toFile());
        }
    }

    @Test
    public void aMissingInertTextIsAnErrorNamingIt() {
        try {
            HookDeclarations.read(HookDeclarations.INERT_DIRECTORY + "no-such-declarations");
            throw new AssertionError("no error");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("no-such-declarations"));
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] b = new byte[4096];
        int n;
        while ((n = in.read(b)) > 0) {
            out.write(b, 0, n);
        }
        return out.toByteArray();
    }

    private static void deleteTree(File f) {
        File[] children = f.listFiles();
        if (children != null) {
            for (File c : children) {
                deleteTree(c);
            }
        }
        f.delete();
    }
}

package dev.freshcreds.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.junit.Test;

public class NativeLoaderTest {
    @Test
    public void osAndArchNamesAreMappedToResourceDirectories() {
        assertEquals("linux", NativeLoader.os("Linux"));
        assertEquals("macos", NativeLoader.os("Mac OS X"));
        assertEquals("windows", NativeLoader.os("Windows 11"));
        assertEquals("x86_64", NativeLoader.arch("amd64"));
        assertEquals("x86_64", NativeLoader.arch("x86_64"));
        assertEquals("aarch64", NativeLoader.arch("arm64"));
        assertEquals("aarch64", NativeLoader.arch("aarch64"));
    }

    @Test
    public void theResourcePathNamesThePlatformAndTheLibraryFile() {
        String path = NativeLoader.resourcePath();
        assertTrue(path, path.startsWith("/native/" + NativeLoader.platform() + "/"));
        assertTrue(path, path.endsWith(System.mapLibraryName("freshcreds")));
    }

    @Test
    public void aTemporaryDirectoryOnANoexecMountIsDetectedByItsLongestMountPoint() {
        List<String> mounts = Arrays.asList(
                "/dev/root / ext4 rw,relatime 0 0",
                "tmpfs /tmp tmpfs rw,nosuid,nodev,noexec,relatime 0 0",
                "tmpfs /tmp/exec tmpfs rw,nosuid,nodev,relatime 0 0",
                "tmpfs /tmpfoo tmpfs rw,noexec 0 0");
        assertTrue(NativeExtraction.noexecMount("/tmp", mounts));
        assertTrue(NativeExtraction.noexecMount("/tmp/java-1", mounts));
        assertFalse(NativeExtraction.noexecMount("/tmp/exec/java", mounts));
        assertFalse(NativeExtraction.noexecMount("/var/tmp", mounts));
        assertFalse(NativeExtraction.noexecMount("/tmpbar", mounts));
    }

    @Test
    public void muslIsRecognisedByItsDynamicLoaderOrLibcAmongTheMappedFiles() {
        List<String> alpine = Arrays.asList(
                "55d5c6a00000-55d5c6a01000 r--p 00000000 00:2a 1050 /usr/lib/jvm/java-17-openjdk/bin/java",
                "7f3c2e600000-7f3c2e614000 r--p 00000000 00:2a 2219 /lib/ld-musl-x86_64.so.1");
        List<String> alpineLibc = Arrays.asList(
                "7f3c2e600000-7f3c2e614000 r-xp 00000000 00:2a 2219 /usr/lib/libc.musl-aarch64.so.1");
        List<String> debian = Arrays.asList(
                "7f8a1c000000-7f8a1c028000 r--p 00000000 fe:01 1311 /usr/lib/x86_64-linux-gnu/libc.so.6",
                "7f8a1c400000-7f8a1c402000 r--p 00000000 fe:01 1298 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        List<String> nothing = Arrays.asList("7ffd5a9e3000-7ffd5aa04000 rw-p 00000000 00:00 0 [stack]");
        assertEquals("musl", NativeLoader.libcFromMaps(alpine));
        assertEquals("musl", NativeLoader.libcFromMaps(alpineLibc));
        assertEquals("glibc", NativeLoader.libcFromMaps(debian));
        assertEquals(null, NativeLoader.libcFromMaps(nothing));
    }

    @Test
    public void thisJvmsLibcFromItsLauncherAgreesWithTheLibrariesMappedIntoTheProcess() throws Exception {
        String libc = NativeLoader.libc();
        if (System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            assertEquals(NativeLoader.libcFromMaps(java.nio.file.Files.readAllLines(
                    java.nio.file.Paths.get("/proc/self/maps"))), libc);
        } else {
            assertEquals("system", libc);
        }
    }

    @Test
    public void anExecutableNamingMuslsDynamicLoaderIsMuslAndAnyOtherIsGlibc() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("freshcreds-libc-test");
        java.nio.file.Path musl = dir.resolve("musl");
        java.nio.file.Path glibc = dir.resolve("glibc");
        java.nio.file.Files.write(musl, "\u007fELF....../lib/ld-musl-aarch64.so.1\u0000".getBytes("ISO-8859-1"));
        java.nio.file.Files.write(glibc, "\u007fELF....../lib/ld-linux-aarch64.so.1\u0000".getBytes("ISO-8859-1"));
        assertEquals("musl", NativeLoader.libcOfExecutable(musl.toFile()));
        assertEquals("glibc", NativeLoader.libcOfExecutable(glibc.toFile()));
        assertEquals("glibc", NativeLoader.libcOfExecutable(dir.resolve("missing").toFile()));
    }

    @Test
    public void muslPlatformsGetTheirOwnResourceDirectory() {
        assertEquals("linux-aarch64-musl", NativeLoader.platform("linux", "aarch64", "musl"));
        assertEquals("linux-x86_64", NativeLoader.platform("linux", "x86_64", "glibc"));
        assertEquals("macos-aarch64", NativeLoader.platform("macos", "aarch64", "system"));
    }

    @Test
    public void theChecksumManifestIsReadInSha256sumFormatAndMalformedLinesAreSkipped() {
        String hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        java.util.Map<String, String> m = NativeExtraction.parseManifest(Arrays.asList(
                hash + "  linux-x86_64/libfreshcreds.so",
                hash.toUpperCase(java.util.Locale.ROOT) + " *windows-x86_64/freshcreds.dll",
                "not a hash  macos-aarch64/libfreshcreds.dylib",
                hash.substring(1) + "  short/libfreshcreds.so"));
        assertEquals(hash, m.get("linux-x86_64/libfreshcreds.so"));
        assertEquals(hash, m.get("windows-x86_64/freshcreds.dll"));
        assertEquals(2, m.size());
    }

    @Test
    public void anExtractedFileIsNamedByTheFirstSixteenHexDigitsOfItsHash() {
        String hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assertEquals(16, NativeLoader.HASH_DIGITS_IN_NAME);
        assertEquals("libfreshcreds-0123456789abcdef.so", NativeLoader.hashedName("libfreshcreds.so", hash));
        assertEquals("freshcreds-0123456789abcdef.dll", NativeLoader.hashedName("freshcreds.dll", hash));
    }

    @Test
    public void cleanUpDeletesOtherVersionsOlderThanAnHourAndKeepsYoungerOnesAndForeignFiles() throws Exception {
        assertEquals(java.util.concurrent.TimeUnit.HOURS.toMillis(1), NativeExtraction.STALE_AFTER_MILLIS);
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("freshcreds-cleanup-test");
        String name = System.mapLibraryName("freshcreds");
        String stem = name.substring(0, name.lastIndexOf('.'));
        String ext = name.substring(name.lastIndexOf('.'));
        java.nio.file.Path keep = java.nio.file.Files.createFile(dir.resolve(stem + "-aaaaaaaaaaaaaaaa" + ext));
        java.nio.file.Path old = java.nio.file.Files.createFile(dir.resolve(stem + "-bbbbbbbbbbbbbbbb" + ext));
        java.nio.file.Path young = java.nio.file.Files.createFile(dir.resolve(stem + "-cccccccccccccccc" + ext));
        java.nio.file.Path oldPartial = java.nio.file.Files.createFile(dir.resolve(".extract-1.tmp"));
        java.nio.file.Path foreign = java.nio.file.Files.createFile(dir.resolve("notes.txt"));
        long now = System.currentTimeMillis();
        java.nio.file.attribute.FileTime past = java.nio.file.attribute.FileTime.fromMillis(
                now - NativeExtraction.STALE_AFTER_MILLIS - 60_000);
        java.nio.file.attribute.FileTime recent = java.nio.file.attribute.FileTime.fromMillis(
                now - NativeExtraction.STALE_AFTER_MILLIS + 60_000);
        for (java.nio.file.Path p : Arrays.asList(keep, old, oldPartial, foreign)) {
            java.nio.file.Files.setLastModifiedTime(p, past);
        }
        java.nio.file.Files.setLastModifiedTime(young, recent);
        NativeExtraction.removeStale(dir, keep);
        assertTrue(java.nio.file.Files.exists(keep));
        assertFalse(java.nio.file.Files.exists(old));
        assertFalse(java.nio.file.Files.exists(oldPartial));
        assertTrue(java.nio.file.Files.exists(young));
        assertTrue(java.nio.file.Files.exists(foreign));
    }

    @Test
    public void creatingTheSharedDirectoryNeverChangesTheModeOfWhatASymlinkInItsPlacePointsTo() throws Exception {
        org.junit.Assume.assumeTrue("POSIX permissions", java.nio.file.FileSystems.getDefault()
                .supportedFileAttributeViews().contains("posix"));
        java.nio.file.Path work = java.nio.file.Files.createTempDirectory("freshcreds-symlink-test");
        java.nio.file.Path victim = java.nio.file.Files.createDirectory(work.resolve("victim"));
        java.nio.file.Files.setPosixFilePermissions(victim,
                java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        // What an attacker swaps in between the loader's check and its creating the directory.
        java.nio.file.Path shared = java.nio.file.Files.createSymbolicLink(work.resolve("freshcreds-user"), victim);
        NativeExtraction.createPrivateDirectory(shared);
        assertEquals("rwxr-xr-x", java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(victim, java.nio.file.LinkOption.NOFOLLOW_LINKS)));
        assertTrue(java.nio.file.Files.isSymbolicLink(shared));
        assertFalse("a symlink is not a private directory", NativeLoader.privateDirectory(shared));
        // A directory it creates itself is owner-only from the start and trusted.
        java.nio.file.Path fresh = work.resolve("nested").resolve("freshcreds-user");
        NativeExtraction.createPrivateDirectory(fresh);
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(fresh, java.nio.file.LinkOption.NOFOLLOW_LINKS)));
        assertTrue(NativeLoader.privateDirectory(fresh));
    }

    @Test
    public void nativeTargetsBecomeLoggerNamesUnderDevFreshcreds() {
        assertEquals("dev.freshcreds.refresh", NativeLog.loggerName("freshcreds::refresh"));
        assertEquals("dev.freshcreds.sources.imds.client",
                NativeLog.loggerName("freshcreds::sources::imds::client"));
        assertEquals("dev.freshcreds", NativeLog.loggerName("freshcreds"));
        assertEquals("dev.freshcreds.hyper.client", NativeLog.loggerName("hyper::client"));
    }

    @Test
    public void eachNativeLevelHasItsOwnJulLevelAndALoggerAtThatLevelEnablesExactlyIt() {
        Set<Level> seen = new HashSet<Level>();
        Logger logger = Logger.getAnonymousLogger();
        for (int level = NativeLayout.LOG_ERROR; level <= NativeLayout.LOG_TRACE; level++) {
            Level jul = NativeLog.julLevel(level);
            assertTrue("level " + level + " maps to " + jul + " twice", seen.add(jul));
            logger.setLevel(jul);
            assertEquals(level, NativeLog.julEnabledLevel(logger));
        }
        assertEquals(Level.SEVERE, NativeLog.julLevel(NativeLayout.LOG_ERROR));
        assertEquals(Level.FINER, NativeLog.julLevel(NativeLayout.LOG_TRACE + 1));
        logger.setLevel(Level.OFF);
        assertEquals(0, NativeLog.julEnabledLevel(logger));
    }
}

package dev.freshcreds.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.List;

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
        assertTrue(NativeLoader.noexecMount("/tmp", mounts));
        assertTrue(NativeLoader.noexecMount("/tmp/java-1", mounts));
        assertFalse(NativeLoader.noexecMount("/tmp/exec/java", mounts));
        assertFalse(NativeLoader.noexecMount("/var/tmp", mounts));
        assertFalse(NativeLoader.noexecMount("/tmpbar", mounts));
    }

    @Test
    public void nativeTargetsBecomeLoggerNamesUnderDevFreshcreds() {
        assertEquals("dev.freshcreds.refresh", NativeLog.loggerName("freshcreds::refresh"));
        assertEquals("dev.freshcreds.sources.imds.client",
                NativeLog.loggerName("freshcreds::sources::imds::client"));
        assertEquals("dev.freshcreds", NativeLog.loggerName("freshcreds"));
        assertEquals("dev.freshcreds.hyper.client", NativeLog.loggerName("hyper::client"));
    }
}

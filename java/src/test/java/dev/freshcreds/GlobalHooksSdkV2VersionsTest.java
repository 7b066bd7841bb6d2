package dev.freshcreds;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

import dev.freshcreds.internal.Global;
import dev.freshcreds.simkit.SimulatorProcess;

/**
 * The SDK v2 global hook, started by {@code -javaagent}, on the SDK v2 versions the build names
 * besides its own ({@code awsSdkV2HookedVersions} in {@code java/build.gradle}: the oldest they
 * work with and one in between; {@link GlobalIdentityTest} runs the build's own version).
 * The hook depends on what is not the SDK's public API — the execution attribute
 * {@code SdkInternalExecutionAttribute.IDENTITY_PROVIDERS}, the private profile fields of
 * {@code DefaultCredentialsProvider}, the SDK class the agent watches for — so each version gets
 * the same real, signed STS calls against the simulator as the build's version: a child JVM with
 * the product jar, SDK v1 and that SDK v2, and {@link GlobalIdentityTest}'s identity rules.
 */
@RunWith(Parameterized.class)
public class GlobalHooksSdkV2VersionsTest {
    /** The versions from the build, one run each. */
    @Parameters(name = "SDK v2 {0}")
    public static Collection<Object[]> versions() {
        List<Object[]> versions = new ArrayList<Object[]>();
        for (String v : ChildJvms.property("freshcreds.test.v2.hooked.versions").split(",")) {
            versions.add(new Object[] {v});
        }
        return versions;
    }

    private final String version;

    public GlobalHooksSdkV2VersionsTest(String version) {
        this.version = version;
    }

    /** The product jar, SDK v1 with the third-party jars, and this version's SDK v2 jars. */
    private String classpath() {
        return classpath(version);
    }

    static String classpath(String version) {
        List<String> entries = new ArrayList<String>();
        entries.add(ChildJvms.property("freshcreds.test.jar"));
        String sdk = ChildJvms.property("freshcreds.test.v2.sdk." + version);
        for (String e : sdk.split(File.pathSeparator)) {
            assertTrue("not SDK v2 " + version + ": " + e, e.endsWith("-" + version + ".jar"));
            entries.add(e);
        }
        for (String e : ChildJvms.property("freshcreds.test.v1.classpath").split(File.pathSeparator)) {
            if (!e.isEmpty() && !e.contains("junit") && !e.contains("hamcrest")) {
                entries.add(e);
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private void assertTheHooksLinked(String out) {
        assertTrue(out, out.contains("v2-default ok "));
        assertFalse(out, out.contains(Global.SDKV2_CANNOT_LINK));
        assertFalse(out, out.contains(Global.AGENT_CANNOT_DEFINE));
        assertFalse(out, out.contains("cannot tell which profile"));
    }

    @Test
    public void inTheDefaultModeOnlyDefaultChainsWithoutAProfileOfTheirOwnSignWithFreshcreds() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            String out = GlobalIdentityTest.run(sim, Arrays.asList("-javaagent:" + ChildJvms.property("freshcreds.test.jar")),
                    classpath());
            assertTheHooksLinked(out);
            GlobalIdentityTest.assertDefaultMode(out);
        }
    }

    @Test
    public void inModeAllEveryClientSignsWithFreshcredsButRequestOverridesAndAnonymousClients() throws Exception {
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            String out = GlobalIdentityTest.run(sim,
                    Arrays.asList("-javaagent:" + ChildJvms.property("freshcreds.test.jar") + "=all"), classpath());
            assertTheHooksLinked(out);
            GlobalIdentityTest.assertModeAll(out);
        }
    }
}

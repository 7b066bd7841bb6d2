package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;

import org.junit.Test;

import dev.freshcreds.internal.Global;
import dev.freshcreds.simkit.SimulatorProcess;

/**
 * The SDK v2 global hook on an SDK v2 whose clients resolve their credentials before the hooks
 * run (before {@value Global#SDKV2_OLDEST_HOOKED}; the oldest the adapters support,
 * {@code awsSdkV2OldestVersion} in {@code java/build.gradle}): started by {@code -javaagent}, it
 * warns once naming the reason and the fix, and every client keeps its own credentials; the app
 * runs on, and SDK v1's default clients still get freshcreds'.
 */
public class GlobalHooksOldSdkV2Test {
    private static final String OWN = "user/freshcreds-sim-user";
    private static final String FRESHCREDS = "assumed-role/freshcreds-sim-role";

    @Test
    public void theOldestVersionTheHooksAreTestedWithIsTheOneTheirWarningNames() {
        String oldest = ChildJvms.property("freshcreds.test.v2.hooked.versions").split(",")[0];
        assertEquals(Global.SDKV2_OLDEST_HOOKED, oldest);
    }

    @Test
    public void onAnOlderSdkV2ClientsKeepTheirOwnCredentialsAfterOneWarningWithTheFix() throws Exception {
        String version = ChildJvms.property("freshcreds.test.v2.oldest.version");
        try (SimulatorProcess sim = SimulatorProcess.start()) {
            String out = GlobalIdentityTest.run(sim, Arrays.asList("-javaagent:" + ChildJvms.property("freshcreds.test.jar")),
                    GlobalHooksSdkV2VersionsTest.classpath(version));
            assertEquals(out, 1, ChildJvms.count(out, Global.SDKV2_TOO_OLD));
            assertTrue(out, out.contains("Fix: use SDK v2 " + Global.SDKV2_OLDEST_HOOKED + " or later"));
            // The default chain finds nothing in this environment: the client's own answer.
            assertEquals(out, "v2-default no credentials", ChildJvms.line(out, "v2-default "));
            for (String kind : new String[] {"v2-chain-profile", "v2-explicit", "v2-request-override"}) {
                String line = ChildJvms.line(out, kind + " ");
                assertTrue(out, line.startsWith(kind + " ok ") && line.contains(OWN));
            }
            String v1 = ChildJvms.line(out, "v1-default ");
            assertTrue(out, v1.startsWith("v1-default ok ") && v1.contains(FRESHCREDS));
        }
    }
}

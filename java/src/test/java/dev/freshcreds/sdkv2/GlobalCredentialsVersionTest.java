package dev.freshcreds.sdkv2;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

import dev.freshcreds.internal.Global;

/** How the SDK v2 hook tells an SDK whose clients resolve credentials before the hooks run. */
public class GlobalCredentialsVersionTest {
    @Test
    public void versionsBeforeTheOldestHookedOneAreOlder() {
        assertTrue(GlobalCredentials.olderThan("2.21.0", Global.SDKV2_OLDEST_HOOKED));
        assertTrue(GlobalCredentials.olderThan("2.24.12", "2.24.13"));
        assertTrue(GlobalCredentials.olderThan("1.99.99", "2.24.13"));
    }

    @Test
    public void theOldestHookedVersionAndLaterOnesAreNot() {
        assertFalse(GlobalCredentials.olderThan("2.24.13", "2.24.13"));
        assertFalse(GlobalCredentials.olderThan("2.24.13-SNAPSHOT", "2.24.13"));
        assertFalse(GlobalCredentials.olderThan("2.30.0", "2.24.13"));
        assertFalse(GlobalCredentials.olderThan("2.100.0", "2.24.13"));
        assertFalse(GlobalCredentials.olderThan("3.0.0", "2.24.13"));
    }

    @Test
    public void aVersionThatCannotBeReadCountsAsNew() {
        assertFalse(GlobalCredentials.olderThan("unknown", "2.24.13"));
        assertFalse(GlobalCredentials.olderThan("2.x.1", "2.24.13"));
        assertFalse(GlobalCredentials.olderThan("", "2.24.13"));
    }

    @Test
    public void theBuildsSdkChoosesIdentityPerCall() {
        assertTrue(GlobalCredentials.choosesIdentityPerCall());
    }
}

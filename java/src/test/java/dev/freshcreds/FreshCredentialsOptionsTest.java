package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

import org.junit.Test;

public class FreshCredentialsOptionsTest {
    private static final Properties NO_PROPERTIES = new Properties();

    @Test
    public void builderSettersBecomeTheNativeKeysWithDurationsInMillis() {
        FreshCredentialsOptions o = FreshCredentialsOptions.builder()
                .refreshLead(Duration.ofMinutes(2))
                .jitter(Duration.ofSeconds(3))
                .firstFetchTimeout(Duration.ofMillis(1500))
                .imdsEndpoint("http://127.0.0.1:1234")
                .imdsEndpointMode("IPv6")
                .imdsTimeout(Duration.ofSeconds(2))
                .imdsAttempts(5)
                .imdsV1Fallback(false)
                .source("imds")
                .profile("dev")
                .option("staleExtensionMillis", "60000")
                .build(NO_PROPERTIES);
        Map<String, String> expected = new LinkedHashMap<String, String>();
        expected.put("refreshLeadMillis", "120000");
        expected.put("jitterMillis", "3000");
        expected.put("firstFetchTimeoutMillis", "1500");
        expected.put("imdsEndpoint", "http://127.0.0.1:1234");
        expected.put("imdsEndpointMode", "IPv6");
        expected.put("imdsTimeoutMillis", "2000");
        expected.put("imdsAttempts", "5");
        expected.put("imdsV1Fallback", "false");
        expected.put("source", "imds");
        expected.put("profile", "dev");
        expected.put("staleExtensionMillis", "60000");
        assertEquals(expected, o.asMap());
        assertEquals(Arrays.asList(o.keys()), Arrays.asList(expected.keySet().toArray()));
        assertEquals(Arrays.asList(o.values()), Arrays.asList(expected.values().toArray()));
    }

    @Test
    public void systemPropertiesAreReadAndValuesSetOnTheBuilderWin() {
        Properties p = new Properties();
        p.setProperty("freshcreds.imdsAttempts", "7");
        p.setProperty("freshcreds.source", "imds");
        p.setProperty("freshcreds.notAnOption", "ignored");
        p.setProperty("aws.accessKeyId", "AKIDPROPS");
        p.setProperty("aws.secretAccessKey", "secret-from-props");
        FreshCredentialsOptions o = FreshCredentialsOptions.builder().imdsAttempts(2).build(p);
        assertEquals("2", o.asMap().get("imdsAttempts"));
        assertEquals("imds", o.asMap().get("source"));
        assertEquals("AKIDPROPS", o.asMap().get("aws.accessKeyId"));
        assertEquals("secret-from-props", o.asMap().get("aws.secretAccessKey"));
        assertFalse(o.asMap().containsKey("notAnOption"));
        assertFalse(o.asMap().containsKey("freshcreds.notAnOption"));
    }

    @Test
    public void systemPropertiesCanBeIgnored() {
        Properties p = new Properties();
        p.setProperty("freshcreds.imdsAttempts", "7");
        p.setProperty("aws.accessKeyId", "AKIDPROPS");
        FreshCredentialsOptions o = FreshCredentialsOptions.builder().readSystemProperties(false).build(p);
        assertTrue(o.asMap().isEmpty());
    }

    @Test
    public void laterValuesForTheSameKeyReplaceEarlierOnes() {
        FreshCredentialsOptions o = FreshCredentialsOptions.builder()
                .option("imdsAttempts", "2")
                .imdsAttempts(4)
                .build(NO_PROPERTIES);
        assertEquals("4", o.asMap().get("imdsAttempts"));
        assertEquals(1, o.asMap().size());
    }

    @Test
    public void toStringHidesSecretSystemProperties() {
        Properties p = new Properties();
        p.setProperty("aws.accessKeyId", "AKIDPROPS");
        p.setProperty("aws.secretAccessKey", "secret-from-props");
        p.setProperty("aws.sessionToken", "token-from-props");
        String text = FreshCredentialsOptions.builder().build(p).toString();
        assertTrue(text, text.contains("AKIDPROPS"));
        assertFalse(text, text.contains("secret-from-props"));
        assertFalse(text, text.contains("token-from-props"));
    }

    @Test
    public void negativeDurationsAndNonPositiveAttemptsAreRejectedNamingTheKey() {
        try {
            FreshCredentialsOptions.builder().refreshLead(Duration.ofSeconds(-1));
            fail("accepted a negative lead");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("`refreshLeadMillis`"));
        }
        try {
            FreshCredentialsOptions.builder().imdsAttempts(0);
            fail("accepted zero attempts");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("`imdsAttempts`"));
        }
    }

    @Test
    public void toBuilderKeepsTheOptionsWithoutReadingPropertiesAgain() {
        Properties p = new Properties();
        p.setProperty("freshcreds.imdsAttempts", "7");
        FreshCredentialsOptions o = FreshCredentialsOptions.builder().source("imds").build(p);
        Properties other = new Properties();
        other.setProperty("freshcreds.imdsAttempts", "9");
        assertEquals(o.asMap(), o.toBuilder().build(other).asMap());
    }
}

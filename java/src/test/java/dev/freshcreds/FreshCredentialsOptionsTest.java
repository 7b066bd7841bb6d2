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

    /** System properties from {@code key=value} texts. */
    private static Properties properties(String... pairs) {
        Properties p = new Properties();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            p.setProperty(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return p;
    }

    @Test
    public void forAKindOfSourceOnlyTheSystemPropertiesOfOtherGroupsAreLeftOut() {
        Properties p = properties("freshcreds.source=imds", "freshcreds.profile=dev",
                "freshcreds.jitterMillis=0", "freshcreds.roleSessionName=from-props", "aws.region=eu-west-1");
        FreshCredentialsOptions o = FreshCredentialsOptions.builder().roleArn("arn:aws:iam::1:role/r").build(p);
        Map<String, String> fetcher = new LinkedHashMap<String, String>();
        fetcher.put("aws.region", "eu-west-1");
        fetcher.put("jitterMillis", "0");
        fetcher.put("roleArn", "arn:aws:iam::1:role/r");
        assertEquals("set in code, roleArn stays (and the native side refuses it)", fetcher,
                o.forKind(OptionSpec.SOURCE_KIND_FETCHER).asMap());
        Map<String, String> supplier = new LinkedHashMap<String, String>(fetcher);
        supplier.put("roleSessionName", "from-props");
        assertEquals(supplier.keySet(), new java.util.HashSet<String>(
                o.forKind(OptionSpec.SOURCE_KIND_TOKEN_SUPPLIER).asMap().keySet()));
        assertEquals(o.asMap(), o.forKind(OptionSpec.SOURCE_KIND_OPTIONS).asMap());
        // toBuilder keeps where each value came from; setting a key in code makes it the code's.
        assertEquals(fetcher, o.toBuilder().build().forKind(OptionSpec.SOURCE_KIND_FETCHER).asMap());
        assertEquals("imds", o.toBuilder().source("imds").build()
                .forKind(OptionSpec.SOURCE_KIND_FETCHER).asMap().get("source"));
    }

    @Test
    public void typedSettersCheckTheRangesOfTheOptionSpec() {
        Runnable[] bad = {
            () -> FreshCredentialsOptions.builder().imdsAttempts(11),
            () -> FreshCredentialsOptions.builder().refreshLead(Duration.ofMillis(999)),
            () -> FreshCredentialsOptions.builder().duration(Duration.ofSeconds(899)),
        };
        String[] expected = {
            "freshcreds option `imdsAttempts` must be at most 10, not 11",
            "freshcreds option `refreshLeadMillis` must be at least 1000 ms, not 999 ms",
            "freshcreds option `durationSeconds` must be at least 900 s, not 899 s",
        };
        for (int i = 0; i < bad.length; i++) {
            try {
                bad[i].run();
                fail("accepted: " + expected[i]);
            } catch (IllegalArgumentException e) {
                assertEquals(expected[i], e.getMessage());
            }
        }
        Map<String, String> edges = FreshCredentialsOptions.builder().readSystemProperties(false).imdsAttempts(10)
                .refreshLead(Duration.ofSeconds(1)).duration(Duration.ofHours(12)).build().asMap();
        assertEquals("10", edges.get("imdsAttempts"));
        assertEquals("43200", edges.get("durationSeconds"));
        assertEquals("must be at least 1, not 0", FreshCredentialsOptions.rangeProblem("imdsAttempts", 0));
        assertEquals(null, FreshCredentialsOptions.rangeProblem("source", -5));
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

package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.time.Instant;

import org.junit.Test;

public class FreshCredentialsTest {
    @Test
    public void toStringShowsKeyIdSourceAndExpiryButNoSecret() {
        FreshCredentials c = new FreshCredentials("ASIAEXAMPLE", "s3cr3t-value", "t0ken-value",
                Instant.parse("2030-01-02T03:04:05Z"), "Ec2InstanceMetadata", false);
        String text = c.toString();
        assertTrue(text, text.contains("ASIAEXAMPLE"));
        assertTrue(text, text.contains("Ec2InstanceMetadata"));
        assertTrue(text, text.contains("2030-01-02T03:04:05Z"));
        assertFalse(text, text.contains("s3cr3t-value"));
        assertFalse(text, text.contains("t0ken-value"));
    }

    @Test
    public void exceptionKindsParseTheirNativeNamesAndUnknownNamesBecomeUnknown() {
        assertEquals(FreshCredentialsException.Kind.CONNECT,
                new FreshCredentialsException("CONNECT", "x").getKind());
        assertEquals(FreshCredentialsException.Kind.NOT_CONFIGURED,
                new FreshCredentialsException("NOT_CONFIGURED", "x").getKind());
        assertEquals(FreshCredentialsException.Kind.UNKNOWN,
                new FreshCredentialsException("SOMETHING_NEW", "x").getKind());
        assertEquals(FreshCredentialsException.Kind.UNKNOWN,
                new FreshCredentialsException(null, "x").getKind());
    }
}

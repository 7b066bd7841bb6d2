package dev.freshcreds;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import org.junit.Test;

/**
 * Option strings reach the native side whole: ASCII and BMP text is read with one copy, and
 * what modified UTF-8 encodes differently from UTF-8 (a NUL, a character outside the BMP) is
 * decoded all the same. The native error message quotes the value it received.
 */
public class NativeStringsTest {
    private static String refusedValueAsQuoted(String value) {
        try {
            FreshCredentialsSource.create(FreshCredentialsOptions.builder().readSystemProperties(false)
                    .jvmNetworkSettings(false).option("jitterMillis", value).build()).close();
            fail("accepted jitterMillis=" + value);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    @Test
    public void textOutsideAsciiAndTheBmpAndNulArriveWhole() {
        String m = refusedValueAsQuoted("5 é € 😀");
        assertTrue(m, m.contains("`jitterMillis`=\"5 é € 😀\""));
        m = refusedValueAsQuoted("5\u0000x");
        assertTrue(m, m.contains("`jitterMillis`=\"5\\0x\""));
    }
}

package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

/** What the bridge hands the native engine when Java code fails: bounded failure messages. */
public class FetcherBridgeTest {
    private static String repeat(char c, int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(c);
        }
        return sb.toString();
    }

    @Test
    public void aLongFailureMessageIsCutToTheBound() {
        final String message = repeat('m', FetcherBridge.MAX_MESSAGE_CHARS * 3);
        long[] numbers = new long[FetcherBridge.NUMBERS];
        String[] out = FetcherBridge.of((CredentialsFetcher) () -> {
            throw CredentialsFetchException.retryable(message);
        }).call(numbers);
        assertEquals(FetcherBridge.RETRYABLE, numbers[FetcherBridge.OUTCOME]);
        assertNull(out[0]);
        assertEquals(message.substring(0, FetcherBridge.MAX_MESSAGE_CHARS) + "…", out[FetcherBridge.MESSAGE]);
    }

    @Test
    public void anythingThrownIsCutToTheBoundToo() {
        final String message = repeat('x', FetcherBridge.MAX_MESSAGE_CHARS * 2);
        long[] numbers = new long[FetcherBridge.NUMBERS];
        String[] out = FetcherBridge.of((CredentialsFetcher) () -> {
            throw new IllegalStateException(message);
        }).call(numbers);
        String sent = out[FetcherBridge.MESSAGE];
        assertEquals(FetcherBridge.MAX_MESSAGE_CHARS + 1, sent.length());
        assertTrue(sent, sent.startsWith("threw java.lang.IllegalStateException: xxx"));
        assertTrue(sent, sent.endsWith("…"));
    }

    @Test
    public void aMessageAtTheBoundIsPassedWhole() {
        final String message = repeat('p', FetcherBridge.MAX_MESSAGE_CHARS);
        long[] numbers = new long[FetcherBridge.NUMBERS];
        String[] out = FetcherBridge.of((CredentialsFetcher) () -> {
            throw CredentialsFetchException.permanent(message);
        }).call(numbers);
        assertEquals(FetcherBridge.PERMANENT, numbers[FetcherBridge.OUTCOME]);
        assertEquals(message, out[FetcherBridge.MESSAGE]);
    }
}

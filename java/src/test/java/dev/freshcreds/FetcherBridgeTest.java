package dev.freshcreds;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

import dev.freshcreds.internal.NativeLayout;

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
        long[] numbers = new long[NativeLayout.FETCHER_NUMBERS];
        String[] out = FetcherBridge.of((CredentialsFetcher) () -> {
            throw CredentialsFetchException.retryable(message);
        }).call(numbers);
        assertEquals(NativeLayout.FETCHER_RETRYABLE, numbers[NativeLayout.FETCHER_OUTCOME]);
        assertNull(out[NativeLayout.FETCHER_ACCESS_KEY_ID_OR_TOKEN]);
        assertEquals(message.substring(0, FetcherBridge.MAX_MESSAGE_CHARS) + "…", out[NativeLayout.FETCHER_MESSAGE]);
    }

    @Test
    public void anythingThrownIsCutToTheBoundToo() {
        final String message = repeat('x', FetcherBridge.MAX_MESSAGE_CHARS * 2);
        long[] numbers = new long[NativeLayout.FETCHER_NUMBERS];
        String[] out = FetcherBridge.of((CredentialsFetcher) () -> {
            throw new IllegalStateException(message);
        }).call(numbers);
        String sent = out[NativeLayout.FETCHER_MESSAGE];
        assertEquals(FetcherBridge.MAX_MESSAGE_CHARS + 1, sent.length());
        assertTrue(sent, sent.startsWith("threw java.lang.IllegalStateException: xxx"));
        assertTrue(sent, sent.endsWith("…"));
    }

    @Test
    public void aMessageAtTheBoundIsPassedWhole() {
        final String message = repeat('p', FetcherBridge.MAX_MESSAGE_CHARS);
        long[] numbers = new long[NativeLayout.FETCHER_NUMBERS];
        String[] out = FetcherBridge.of((CredentialsFetcher) () -> {
            throw CredentialsFetchException.permanent(message);
        }).call(numbers);
        assertEquals(NativeLayout.FETCHER_PERMANENT, numbers[NativeLayout.FETCHER_OUTCOME]);
        assertEquals(message, out[NativeLayout.FETCHER_MESSAGE]);
    }
}

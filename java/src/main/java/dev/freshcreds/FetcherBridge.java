package dev.freshcreds;

import static dev.freshcreds.internal.NativeLayout.FETCHER_ACCESS_KEY_ID_OR_TOKEN;
import static dev.freshcreds.internal.NativeLayout.FETCHER_EXPIRATION;
import static dev.freshcreds.internal.NativeLayout.FETCHER_MESSAGE;
import static dev.freshcreds.internal.NativeLayout.FETCHER_OK;
import static dev.freshcreds.internal.NativeLayout.FETCHER_OUTCOME;
import static dev.freshcreds.internal.NativeLayout.FETCHER_PERMANENT;
import static dev.freshcreds.internal.NativeLayout.FETCHER_RETRYABLE;
import static dev.freshcreds.internal.NativeLayout.FETCHER_SECRET_ACCESS_KEY;
import static dev.freshcreds.internal.NativeLayout.FETCHER_SESSION_TOKEN;
import static dev.freshcreds.internal.NativeLayout.FETCHER_STRINGS;
import static dev.freshcreds.internal.NativeLayout.NO_EXPIRATION;

import java.time.Instant;

import dev.freshcreds.internal.NativeLayout;

/**
 * What the native refresh engine calls: runs the application's {@link CredentialsFetcher} or
 * {@link WebIdentityTokenSupplier}, catches whatever it throws, and answers in strings and
 * numbers (the native side reads nothing else), laid out as the generated {@link NativeLayout}'s
 * {@code FETCHER_*} constants say. Holds no reference to the source, so that an unclosed source
 * can still become unreachable.
 */
final class FetcherBridge {
    /** Longest failure message passed on (an exception's message may be long). */
    static final int MAX_MESSAGE_CHARS = 500;

    private final CredentialsFetcher fetcher;
    private final WebIdentityTokenSupplier supplier;
    /**
     * The context class loader of the thread that built the source: the native refresh thread
     * has none, and code that looks services up through it (SDK clients, JSON libraries) would
     * find nothing.
     */
    private final ClassLoader contextLoader;

    private FetcherBridge(CredentialsFetcher fetcher, WebIdentityTokenSupplier supplier) {
        this.fetcher = fetcher;
        this.supplier = supplier;
        this.contextLoader = Thread.currentThread().getContextClassLoader();
    }

    static FetcherBridge of(CredentialsFetcher fetcher) {
        if (fetcher == null) {
            throw new NullPointerException("fetcher");
        }
        return new FetcherBridge(fetcher, null);
    }

    static FetcherBridge of(WebIdentityTokenSupplier supplier) {
        if (supplier == null) {
            throw new NullPointerException("supplier");
        }
        return new FetcherBridge(null, supplier);
    }

    /**
     * Called by the native side on its refresh thread: the credentials (access key id, secret,
     * token) or the token (first string), or a failure (the message in the fourth string).
     *
     * @param numbers receives {@link NativeLayout#FETCHER_NUMBERS} longs
     * @return {@link NativeLayout#FETCHER_STRINGS} strings, any of them null
     */
    String[] call(long[] numbers) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(contextLoader);
        try {
            return answer(numbers);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private String[] answer(long[] numbers) {
        numbers[FETCHER_EXPIRATION] = NO_EXPIRATION;
        numbers[FETCHER_OUTCOME] = FETCHER_OK;
        String[] out = new String[FETCHER_STRINGS];
        try {
            if (supplier != null) {
                String token = supplier.token();
                if (token == null) {
                    return fail(numbers, FETCHER_PERMANENT, "the web identity token supplier returned null");
                }
                out[FETCHER_ACCESS_KEY_ID_OR_TOKEN] = token;
                return out;
            }
            FetchedCredentials c = fetcher.fetch();
            if (c == null) {
                return fail(numbers, FETCHER_PERMANENT, "the fetcher returned null");
            }
            out[FETCHER_ACCESS_KEY_ID_OR_TOKEN] = c.accessKeyId();
            out[FETCHER_SECRET_ACCESS_KEY] = c.secretAccessKey();
            out[FETCHER_SESSION_TOKEN] = c.sessionToken();
            Instant expiration = c.expiration();
            if (expiration != null) {
                try {
                    numbers[FETCHER_EXPIRATION] = expiration.toEpochMilli();
                } catch (ArithmeticException e) {
                    return fail(numbers, FETCHER_PERMANENT, "the expiry " + expiration + " is out of range");
                }
            }
            return out;
        } catch (CredentialsFetchException e) {
            return fail(numbers, e.isRetryable() ? FETCHER_RETRYABLE : FETCHER_PERMANENT,
                    String.valueOf(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail(numbers, FETCHER_RETRYABLE, "interrupted");
        } catch (Throwable t) {
            // Anything else, an Error included: the engine's thread must not die of it.
            return fail(numbers, FETCHER_RETRYABLE, "threw " + t.getClass().getName()
                    + (t.getMessage() == null ? "" : ": " + t.getMessage()));
        }
    }

    /** A failure: the outcome and the message (cut to {@link #MAX_MESSAGE_CHARS}), no answer. */
    private static String[] fail(long[] numbers, long outcome, String message) {
        numbers[FETCHER_OUTCOME] = outcome;
        numbers[FETCHER_EXPIRATION] = NO_EXPIRATION;
        String[] out = new String[FETCHER_STRINGS];
        out[FETCHER_MESSAGE] = message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) + "…" : message;
        return out;
    }
}

package dev.freshcreds;

import java.time.Instant;

import dev.freshcreds.internal.NativeLayout;

/**
 * What the native refresh engine calls: runs the application's {@link CredentialsFetcher} or
 * {@link WebIdentityTokenSupplier}, catches whatever it throws, and answers in strings and
 * numbers (the native side reads nothing else). Holds no reference to the source, so that an
 * unclosed source can still become unreachable.
 */
final class FetcherBridge {
    /** Numbers {@link #call} fills. */
    static final int NUMBERS = 2;
    /** Index of the expiration (epoch millis, or {@link NativeLayout#NO_EXPIRATION}). */
    static final int EXPIRATION = 0;
    /** Index of the outcome: {@link #OK}, {@link #RETRYABLE} or {@link #PERMANENT}. */
    static final int OUTCOME = 1;
    /** The strings hold the answer. */
    static final long OK = 0;
    /** The code failed; trying again soon may help. */
    static final long RETRYABLE = 1;
    /** The code failed; trying again soon will not help. */
    static final long PERMANENT = 2;
    /** Index of the failure message in the strings. */
    static final int MESSAGE = 3;
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
     * @param numbers receives {@link #NUMBERS} longs
     * @return four strings, any of them null
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
        numbers[EXPIRATION] = NativeLayout.NO_EXPIRATION;
        numbers[OUTCOME] = OK;
        String[] out = new String[4];
        try {
            if (supplier != null) {
                String token = supplier.token();
                if (token == null) {
                    return fail(numbers, out, PERMANENT, "the web identity token supplier returned null");
                }
                out[0] = token;
                return out;
            }
            FetchedCredentials c = fetcher.fetch();
            if (c == null) {
                return fail(numbers, out, PERMANENT, "the fetcher returned null");
            }
            out[0] = c.accessKeyId();
            out[1] = c.secretAccessKey();
            out[2] = c.sessionToken();
            Instant expiration = c.expiration();
            if (expiration != null) {
                try {
                    numbers[EXPIRATION] = expiration.toEpochMilli();
                } catch (ArithmeticException e) {
                    return fail(numbers, new String[4], PERMANENT, "the expiry " + expiration + " is out of range");
                }
            }
            return out;
        } catch (CredentialsFetchException e) {
            return fail(numbers, out, e.isRetryable() ? RETRYABLE : PERMANENT, String.valueOf(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail(numbers, new String[4], RETRYABLE, "interrupted");
        } catch (Throwable t) {
            // Anything else, an Error included: the engine's thread must not die of it.
            return fail(numbers, new String[4], RETRYABLE, "threw " + t.getClass().getName()
                    + (t.getMessage() == null ? "" : ": " + t.getMessage()));
        }
    }

    private static String[] fail(long[] numbers, String[] out, long outcome, String message) {
        out[0] = null;
        out[1] = null;
        out[2] = null;
        numbers[OUTCOME] = outcome;
        numbers[EXPIRATION] = NativeLayout.NO_EXPIRATION;
        out[MESSAGE] = message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) + "…" : message;
        return out;
    }
}

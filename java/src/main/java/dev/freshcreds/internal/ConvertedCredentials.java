package dev.freshcreds.internal;

import dev.freshcreds.FreshCredentials;

/**
 * The SDK form of the current credentials, converted once per {@link FreshCredentials} object:
 * a source hands out the same object until the credentials change, so an adapter's hot path is
 * one identity comparison. Thread-safe (a race converts twice, harmlessly). Not an API: each SDK
 * adapter subclasses it with its {@link #convert} (a class, not a lambda: no invokedynamic
 * bootstrap on first use).
 *
 * @param <T> the SDK's credentials type
 */
public abstract class ConvertedCredentials<T> {
    private static final class Entry<T> {
        final FreshCredentials from;
        final T converted;

        Entry(FreshCredentials from, T converted) {
            this.from = from;
            this.converted = converted;
        }
    }

    private volatile Entry<T> last;

    /** For the adapters, which say how to {@link #convert} credentials. */
    protected ConvertedCredentials() {
    }

    /**
     * Builds the SDK form.
     *
     * @param credentials what the source served (never null)
     * @return the SDK's credentials
     */
    protected abstract T convert(FreshCredentials credentials);

    /**
     * The SDK form of {@code credentials}.
     *
     * @param credentials what the source served
     * @return the converted credentials, the same object as last time for the same input
     */
    public final T of(FreshCredentials credentials) {
        Entry<T> e = last;
        if (e != null && e.from == credentials) {
            return e.converted;
        }
        T out = convert(credentials);
        last = new Entry<T>(credentials, out);
        return out;
    }
}

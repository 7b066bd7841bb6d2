package dev.freshcreds.internal;

import java.util.function.Function;

import dev.freshcreds.FreshCredentials;

/**
 * The SDK form of the current credentials, converted once per {@link FreshCredentials} object:
 * a source hands out the same object until the credentials change, so an adapter's hot path is
 * one identity comparison. Thread-safe (a race converts twice, harmlessly). Not an API: the SDK
 * adapters share it.
 *
 * @param <T> the SDK's credentials type
 */
public final class ConvertedCredentials<T> {
    private static final class Entry<T> {
        final FreshCredentials from;
        final T converted;

        Entry(FreshCredentials from, T converted) {
            this.from = from;
            this.converted = converted;
        }
    }

    private final Function<FreshCredentials, T> convert;
    private volatile Entry<T> last;

    /**
     * A cache that converts with {@code convert}.
     *
     * @param convert builds the SDK form (never given null)
     */
    public ConvertedCredentials(Function<FreshCredentials, T> convert) {
        this.convert = convert;
    }

    /**
     * The SDK form of {@code credentials}.
     *
     * @param credentials what the source served
     * @return the converted credentials, the same object as last time for the same input
     */
    public T of(FreshCredentials credentials) {
        Entry<T> e = last;
        if (e != null && e.from == credentials) {
            return e.converted;
        }
        T out = convert.apply(credentials);
        last = new Entry<T>(credentials, out);
        return out;
    }
}

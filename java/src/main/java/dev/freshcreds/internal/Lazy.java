package dev.freshcreds.internal;

/**
 * A value created on first use, at most once per holder while creation succeeds (a creation that
 * throws is tried again by the next {@link #get()}). Thread-safe. Not an API: the SDK hooks hold
 * their provider over the shared source in one, per class loader of the SDK.
 *
 * @param <T> the value's type
 */
public abstract class Lazy<T> {
    private volatile T value;

    /** For subclasses, which say how to {@link #create()} the value. */
    protected Lazy() {
    }

    /**
     * The value, created now when it does not exist yet.
     *
     * @return the value
     */
    public final T get() {
        T v = value;
        if (v == null) {
            synchronized (this) {
                v = value;
                if (v == null) {
                    v = create();
                    value = v;
                }
            }
        }
        return v;
    }

    /**
     * The value when it exists already; never creates it.
     *
     * @return the value, or null before the first successful {@link #get()}
     */
    public final T ifCreated() {
        return value;
    }

    /**
     * Creates the value; called under this holder's lock.
     *
     * @return the value (not null)
     */
    protected abstract T create();
}

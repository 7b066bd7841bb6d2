package dev.freshcreds;

import java.time.Duration;
import java.time.Instant;

/**
 * Credentials valid for the asked minimum validity could not be had: the source's credentials
 * do not last that long (a role session capped at its duration), or it has not issued
 * longer-lived ones yet (an instance metadata service that has not rotated). Says how long the
 * best available credentials last and when more may be; freshcreds never hands out
 * shorter-lived credentials instead. Its kind is {@link Kind#INSUFFICIENT_VALIDITY}.
 *
 * <p>Thrown by {@link FreshCredentialsSource#credentials(Duration)} and the adapters'
 * methods of the same purpose.
 */
public final class InsufficientValidityException extends FreshCredentialsException {
    private static final long serialVersionUID = 1L;

    /** The value the native library passes for a time or limit that is absent. */
    private static final long NONE = Long.MIN_VALUE;

    /** The minimum validity asked for (serialized with the exception). */
    private final Duration requested;
    /** How long the best available credentials stay valid (serialized). */
    private final Duration available;
    /** When they expire, or null (serialized). */
    private final Instant expiration;
    /** When more may be available, or null: never (serialized). */
    private final Instant moreAvailableAt;
    /** The source's longest lifetime, or null: not known (serialized). */
    private final Duration sourceLimit;

    /**
     * Creates the exception; the native library calls this constructor.
     *
     * @param message what was asked, what is available and why, naming the source
     * @param requestedMillis the minimum validity asked for, milliseconds
     * @param availableMillis how long the best available credentials stay valid, milliseconds
     * @param expirationEpochMillis when they expire, epoch milliseconds, or {@code Long.MIN_VALUE}
     *     when none are valid
     * @param moreAtEpochMillis when the source is asked again at the earliest, epoch
     *     milliseconds, or {@code Long.MIN_VALUE} when it never gives more
     * @param sourceLimitMillis the longest lifetime the source gives, milliseconds, or
     *     {@code Long.MIN_VALUE} when not known
     */
    public InsufficientValidityException(String message, long requestedMillis, long availableMillis,
            long expirationEpochMillis, long moreAtEpochMillis, long sourceLimitMillis) {
        super("INSUFFICIENT_VALIDITY", message);
        this.requested = Duration.ofMillis(requestedMillis);
        this.available = Duration.ofMillis(Math.max(0, availableMillis));
        this.expiration = expirationEpochMillis == NONE ? null : Instant.ofEpochMilli(expirationEpochMillis);
        this.moreAvailableAt = moreAtEpochMillis == NONE ? null : Instant.ofEpochMilli(moreAtEpochMillis);
        this.sourceLimit = sourceLimitMillis == NONE ? null : Duration.ofMillis(sourceLimitMillis);
    }

    /**
     * The minimum validity that was asked for.
     *
     * @return the requested validity
     */
    public Duration getRequestedValidity() {
        return requested;
    }

    /**
     * How long the best credentials available now stay valid (zero when none are valid).
     *
     * @return the longest validity available
     */
    public Duration getAvailableValidity() {
        return available;
    }

    /**
     * When the best credentials available now expire.
     *
     * @return the expiry, or {@code null} when no valid credentials are available
     */
    public Instant getExpiration() {
        return expiration;
    }

    /**
     * The earliest time the source is asked again and may give longer-lived credentials.
     *
     * @return that time, or {@code null} when it never will (its credentials do not last as
     *     long as asked: see {@link #getSourceLimit()})
     */
    public Instant getMoreAvailableAt() {
        return moreAvailableAt;
    }

    /**
     * The longest lifetime the source's credentials have, when known (a role session's
     * duration, or the lifetime of the credentials it issued just now).
     *
     * @return the limit, or {@code null} when not known
     */
    public Duration getSourceLimit() {
        return sourceLimit;
    }
}

package dev.freshcreds.micrometer;

import java.util.Collections;
import java.util.function.ToDoubleFunction;

import dev.freshcreds.FreshCredentialsSource;
import dev.freshcreds.FreshCredentialsStatus;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Micrometer meters for one {@link FreshCredentialsSource} (Micrometer is an optional
 * dependency: this class is the only one that needs it): one per number field of
 * {@link FreshCredentialsStatus#fields()} that names a meter, so every counter the native status
 * has is a meter:
 *
 * <ul>
 *   <li>counters, e.g. {@code freshcreds.refresh.rounds}, {@code freshcreds.refreshes},
 *       {@code freshcreds.refresh.failures}, {@code freshcreds.stale.extensions},
 *       {@code freshcreds.invalidations}, {@code freshcreds.untrusted.dates};
 *   <li>gauges: durations in seconds ({@code freshcreds.expires.in}, negative once expired;
 *       {@code freshcreds.refresh.in}; {@code freshcreds.clock.skew}, local minus server time)
 *       and {@code freshcreds.stale} (1 while serving expired credentials).
 * </ul>
 *
 * <p>Every meter is tagged {@code source=<the source's kind>} plus the given tags, and reads the
 * native state when it is sampled. Meters hold the source weakly (Micrometer's own rule for
 * function meters): after the source is closed or collected they report NaN.
 *
 * <pre>{@code
 * new FreshCredentialsMetrics(source).bindTo(registry);
 * }</pre>
 */
public final class FreshCredentialsMetrics implements MeterBinder {
    private final FreshCredentialsSource source;
    private final Iterable<Tag> tags;

    /**
     * Meters for {@code source}.
     *
     * @param source the source to observe
     */
    public FreshCredentialsMetrics(FreshCredentialsSource source) {
        this(source, Collections.<Tag>emptyList());
    }

    /**
     * Meters for {@code source} with extra tags.
     *
     * @param source the source to observe
     * @param tags tags added to every meter
     */
    public FreshCredentialsMetrics(FreshCredentialsSource source, Iterable<Tag> tags) {
        if (source == null) {
            throw new NullPointerException("a source is required");
        }
        this.source = source;
        this.tags = tags;
    }

    /** The status, or null once the source is closed. */
    private static FreshCredentialsStatus statusOf(FreshCredentialsSource s) {
        try {
            return s.typedStatus();
        } catch (IllegalStateException closed) {
            return null;
        }
    }

    /** The sampled value of {@code field}: NaN once closed or when it has none; milliseconds as seconds. */
    private static ToDoubleFunction<FreshCredentialsSource> sampler(final FreshCredentialsStatus.Field field) {
        final boolean millis = "milliseconds".equals(field.unit);
        return new ToDoubleFunction<FreshCredentialsSource>() {
            @Override
            public double applyAsDouble(FreshCredentialsSource s) {
                FreshCredentialsStatus status = statusOf(s);
                Long v = status == null ? null : status.number(field.name);
                if (v == null) {
                    return Double.NaN;
                }
                return millis ? v / 1000.0 : v;
            }
        };
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FreshCredentialsStatus first = statusOf(source);
        // The source's kind, never its full name: tags leave the process for monitoring systems.
        Tags all = Tags.of(tags).and(FreshCredentialsStatus.SOURCE, first == null ? "" : first.getSourceKind());
        for (FreshCredentialsStatus.Field field : FreshCredentialsStatus.fields()) {
            if (field.meterName.isEmpty()) {
                continue;
            }
            if (field.kind == FreshCredentialsStatus.Kind.COUNTER) {
                FunctionCounter.builder(field.meterName, source, sampler(field))
                        .description(field.description).tags(all).register(registry);
            } else {
                Gauge.builder(field.meterName, source, sampler(field)).description(field.description)
                        .baseUnit("milliseconds".equals(field.unit) ? "seconds" : null).tags(all)
                        .register(registry);
            }
        }
    }
}

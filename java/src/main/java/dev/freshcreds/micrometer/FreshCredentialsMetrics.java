package dev.freshcreds.micrometer;

import java.time.Duration;
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
 * dependency: this class is the only one that needs it):
 *
 * <ul>
 *   <li>counters {@code freshcreds.refresh.rounds}, {@code freshcreds.refreshes},
 *       {@code freshcreds.refresh.failures}, {@code freshcreds.stale.extensions} (expired
 *       credentials served on by static stability) and {@code freshcreds.resumes};
 *   <li>gauges {@code freshcreds.expires.in} (seconds until the real expiry, negative once
 *       expired), {@code freshcreds.stale} (1 while serving expired credentials) and
 *       {@code freshcreds.clock.skew} (seconds, local minus server time).
 * </ul>
 *
 * <p>Every meter is tagged {@code source=<the source's name>} plus the given tags, and reads the
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
            throw new NullPointerException("source");
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

    private static ToDoubleFunction<FreshCredentialsSource> number(final ToDoubleFunction<FreshCredentialsStatus> f) {
        return new ToDoubleFunction<FreshCredentialsSource>() {
            @Override
            public double applyAsDouble(FreshCredentialsSource s) {
                FreshCredentialsStatus status = statusOf(s);
                return status == null ? Double.NaN : f.applyAsDouble(status);
            }
        };
    }

    private static double seconds(Duration d) {
        return d == null ? Double.NaN : d.toMillis() / 1000.0;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FreshCredentialsStatus first = statusOf(source);
        // The source's kind, never its full name: tags leave the process for monitoring systems.
        Tags all = Tags.of(tags).and("source", first == null ? "" : first.getSourceKind());
        counter(registry, all, "freshcreds.refresh.rounds", "refresh rounds started", s -> s.getRounds());
        counter(registry, all, "freshcreds.refreshes", "rounds that produced new credentials", s -> s.getRefreshes());
        counter(registry, all, "freshcreds.refresh.failures", "refresh rounds that failed", s -> s.getFailures());
        counter(registry, all, "freshcreds.stale.extensions",
                "expired credentials served on because refreshing failed (static stability)", s -> s.getStaleExtensions());
        counter(registry, all, "freshcreds.resumes", "resumes after a suspend", s -> s.getResumes());
        counter(registry, all, "freshcreds.invalidations", "rejections of the cached credentials reported by SDK calls",
                s -> s.getInvalidations());
        Gauge.builder("freshcreds.expires.in", source, number(s -> seconds(s.getExpiresIn())))
                .description("time until the credentials' real expiry, negative once expired")
                .baseUnit("seconds").tags(all).register(registry);
        Gauge.builder("freshcreds.stale", source, number(s -> s.isStale() ? 1 : 0))
                .description("1 while expired credentials are served because refreshing fails")
                .tags(all).register(registry);
        Gauge.builder("freshcreds.clock.skew", source, number(s -> seconds(s.getClockSkew())))
                .description("local minus server time, from the last Date header")
                .baseUnit("seconds").tags(all).register(registry);
    }

    private void counter(MeterRegistry registry, Tags all, String name, String description,
            ToDoubleFunction<FreshCredentialsStatus> f) {
        FunctionCounter.builder(name, source, number(f)).description(description).tags(all).register(registry);
    }
}

package dev.freshcreds;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.freshcreds.internal.NativeLayout;
import dev.freshcreds.internal.NativeLoader;

/**
 * A point-in-time report of a {@link FreshCredentialsSource}, typed: the same facts as the JSON
 * of {@link FreshCredentialsSource#status()} without the chain's resolution report. Immutable;
 * holds no secret ({@link #getAccessKeyId()} is not one).
 *
 * <p>The report's fields are described once, by the native library ({@link #fields()}): the
 * JSON status, this class, the JMX MBean and the Micrometer meters all iterate that list, so
 * every counter reaches every view. {@link #number(String)} and {@link #text(String)} read any
 * field by its JSON name; the getters are typed shortcuts.
 */
public final class FreshCredentialsStatus {
    /**
     * The JSON name of the field that says which source the engine refreshes from ({@link
     * #getSource()}); views that label what they show by source (the Micrometer tag, the Spring
     * Boot health detail) use it as their key.
     */
    public static final String SOURCE = "source";

    /** What a field measures, which decides how each view shows it. */
    public enum Kind {
        /** A count that only grows. */
        COUNTER,
        /** A signed amount of {@link Field#unit}. */
        GAUGE,
        /** Milliseconds from now, or no value. */
        TIME,
        /** An instant, epoch milliseconds, or no value. */
        INSTANT,
        /** 0 or 1. */
        FLAG,
        /** Text, or no value. */
        TEXT
    }

    /**
     * One field of the report, as the native library describes it: an immutable value whose
     * columns are its public fields.
     */
    public static final class Field {
        /** The JSON key, e.g. {@code rounds}; what {@link #number} and {@link #text} take. */
        public final String name;
        /** What the field measures. */
        public final Kind kind;
        /** The unit of a number: {@code milliseconds} (views may show seconds), {@code events}, or empty. */
        public final String unit;
        /** The Micrometer meter name, or empty when the field is not a meter. */
        public final String meterName;
        /** The JMX attribute name. */
        public final String jmxName;
        /**
         * How JMX shows a text by default: {@code plain}, {@code masked} (but the last four
         * characters) or {@code kind:<field>} (that field's value instead).
         */
        public final String jmxView;
        /** One line for operators (JMX and Micrometer descriptions). */
        public final String description;
        /** Index in the numbers (number kinds) or the texts ({@link Kind#TEXT}). */
        final int index;

        Field(String[] row, int at, int index) {
            this.name = row[at];
            this.kind = Kind.valueOf(row[at + 1]);
            this.unit = row[at + 2];
            this.meterName = row[at + 3];
            this.jmxName = row[at + 4];
            this.jmxView = row[at + 5];
            this.description = row[at + 6];
            this.index = index;
        }

        @Override
        public String toString() {
            return name + " (" + kind + ")";
        }
    }

    /** The fields, read from the native library on first use. */
    private static final class Fields {
        static final List<Field> ALL;
        static final Map<String, Field> BY_NAME;
        static final int NUMBERS;

        static {
            NativeLoader.load();
            String[] rows = Native.statusFields();
            List<Field> all = new ArrayList<Field>();
            Map<String, Field> byName = new LinkedHashMap<String, Field>();
            int numbers = 0;
            int texts = 0;
            int columns = NativeLayout.STATUS_FIELD_COLUMNS;
            for (int at = 0; at + columns <= rows.length; at += columns) {
                boolean text = Kind.TEXT.name().equals(rows[at + 1]);
                Field f = new Field(rows, at, text ? texts++ : numbers++);
                all.add(f);
                byName.put(f.name, f);
            }
            ALL = Collections.unmodifiableList(all);
            BY_NAME = Collections.unmodifiableMap(byName);
            NUMBERS = numbers;
        }
    }

    /**
     * Every field of the report, in a stable order.
     *
     * @return the fields
     * @throws UnsatisfiedLinkError when the native library cannot be loaded
     */
    public static List<Field> fields() {
        return Fields.ALL;
    }

    /** @return how many longs {@code Native.statusValues} fills */
    static int numberCount() {
        return Fields.NUMBERS;
    }

    private final String[] texts;
    private final long[] numbers;

    /** From {@code Native.statusValues}: one string per text field, one long per number field. */
    FreshCredentialsStatus(String[] texts, long[] numbers) {
        this.texts = texts.clone();
        this.numbers = numbers.clone();
    }

    private static Field field(String name, boolean number) {
        Field f = Fields.BY_NAME.get(name);
        if (f == null || (f.kind != Kind.TEXT) != number) {
            throw new IllegalArgumentException("no " + (number ? "number" : "text") + " status field '" + name
                    + "'; the fields are " + Fields.BY_NAME.values());
        }
        return f;
    }

    /**
     * A number field's value.
     *
     * @param name the field's JSON name, e.g. {@code rounds}
     * @return the value (0 or 1 for flags, epoch millis for instants), or null when it has none
     * @throws IllegalArgumentException when no number field has that name
     */
    public Long number(String name) {
        long v = numbers[field(name, true).index];
        return v == NativeLayout.NO_VALUE ? null : v;
    }

    /**
     * A text field's value.
     *
     * @param name the field's JSON name, e.g. {@code sourceKind}
     * @return the text, or null when it has none
     * @throws IllegalArgumentException when no text field has that name
     */
    public String text(String name) {
        return texts[field(name, false).index];
    }

    /**
     * Any field's value: a {@code Long}, a {@code String} or null.
     *
     * @param field one of {@link #fields()}
     * @return the value
     */
    public Object value(Field field) {
        return field.kind == Kind.TEXT ? text(field.name) : number(field.name);
    }

    private long count(String name) {
        Long v = number(name);
        return v == null ? 0 : v;
    }

    private Duration millis(String name) {
        Long v = number(name);
        return v == null ? null : Duration.ofMillis(v);
    }

    /** @return the source the engine refreshes from, e.g. {@code Ec2InstanceMetadata} */
    public String getSource() {
        String s = text(SOURCE);
        return s == null ? "" : s;
    }

    /**
     * @return the source's kind: its name without what parentheses hold (profile names, commands,
     *     endpoints), e.g. {@code Profile/AssumeRole}; what operators' views show by default
     */
    public String getSourceKind() {
        String s = text("sourceKind");
        return s == null ? "" : s;
    }

    /** @return the access key id of the cached credentials, or {@code null} before the first */
    public String getAccessKeyId() {
        return text("accessKeyId");
    }

    /** @return the expiration the source stated, or {@code null} (none yet, or long-term keys) */
    public Instant getExpiration() {
        Long v = number("expirationEpochMillis");
        return v == null ? null : Instant.ofEpochMilli(v);
    }

    /** @return time until the real expiry (negative once expired), or {@code null} */
    public Duration getExpiresIn() {
        return millis("expiresInMillis");
    }

    /** @return time until the next scheduled refresh, or {@code null} */
    public Duration getRefreshIn() {
        return millis("refreshInMillis");
    }

    /** @return while stale, time until the current static-stability extension ends, else {@code null} */
    public Duration getExtensionEndsIn() {
        return millis("extensionEndsInMillis");
    }

    /** @return true while expired credentials are served because refreshing fails */
    public boolean isStale() {
        return count("stale") != 0;
    }

    /** @return the last refresh round's error, or {@code null} when it succeeded */
    public String getLastError() {
        return text("lastError");
    }

    /**
     * @return the kind of the last round's error ({@code TIMEOUT}, {@code CONNECT}, {@code HTTP},
     *     {@code THROTTLED}, {@code PARSE}, {@code INVALID_CONFIG}, {@code EXPIRED}, {@code REFUSED},
     *     {@code TLS}, {@code DISABLED}, {@code NOT_CONFIGURED}, {@code INTERNAL}), or {@code null} when it succeeded
     */
    public String getLastErrorKind() {
        return text("lastErrorKind");
    }

    /** @return refresh rounds started (each one call to the source) */
    public long getRounds() {
        return count("rounds");
    }

    /** @return rounds that produced new credentials */
    public long getRefreshes() {
        return count("refreshes");
    }

    /** @return rounds that failed */
    public long getFailures() {
        return count("failures");
    }

    /** @return answers whose credentials were already expired */
    public long getStaleResponses() {
        return count("staleResponses");
    }

    /** @return rounds that found the source still serving the cached credentials */
    public long getUnrotatedPolls() {
        return count("unrotatedPolls");
    }

    /** @return static-stability extensions granted (expired credentials served on) */
    public long getStaleExtensions() {
        return count("staleExtensions");
    }

    /** @return fetches that panicked (caught; each a failed round) */
    public long getPanics() {
        return count("panics");
    }

    /** @return resumes after a suspend noticed by the background task */
    public long getResumes() {
        return count("resumes");
    }

    /**
     * @return rejections reported for the cached credentials
     *     ({@link FreshCredentialsSource#invalidate}); reports of a key already replaced are not counted
     */
    public long getInvalidations() {
        return count("invalidations");
    }

    /** @return answers whose {@code Date} header was implausibly far from local time (not used to anchor an expiry) */
    public long getUntrustedDates() {
        return count("untrustedDates");
    }

    /** @return local minus server time, as last measured from a {@code Date} header */
    public Duration getClockSkew() {
        return Duration.ofMillis(count("skewMillis"));
    }

    /** Every field, by name; there is no secret among them. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("FreshCredentialsStatus{");
        String sep = "";
        for (Field f : fields()) {
            Object v = value(f);
            if (v != null) {
                b.append(sep).append(f.name).append('=').append(v);
                sep = ", ";
            }
        }
        return b.append('}').toString();
    }
}

package dev.freshcreds.simkit;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

/** A {@code java.util.logging} handler that keeps every record it is given, for tests that assert what was logged. */
public final class LogCapture extends Handler {
    private final List<LogRecord> records = new ArrayList<LogRecord>();

    @Override
    public void publish(LogRecord record) {
        synchronized (records) {
            records.add(record);
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }

    /**
     * The records so far.
     *
     * @return a copy, in the order they were published
     */
    public List<LogRecord> records() {
        synchronized (records) {
            return new ArrayList<LogRecord>(records);
        }
    }
}

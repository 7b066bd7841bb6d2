package dev.freshcreds.example;

import com.amazonaws.AmazonServiceException;
import com.amazonaws.auth.AWSCredentials;
import com.amazonaws.auth.AWSCredentialsProvider;
import com.amazonaws.services.securitytoken.AWSSecurityTokenService;
import com.amazonaws.services.securitytoken.model.GetCallerIdentityRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * GetCallerIdentity from several threads through a real SDK v1 and a real SDK v2 STS client,
 * each thread alternating between the two, until a deadline. Counts calls, errors by code and
 * call latencies per SDK.
 */
final class Workload {
    /** The error code STS answers for credentials past their expiration. */
    static final String EXPIRED_TOKEN = "ExpiredToken";
    private static final int KEPT_ERRORS = 5;

    /** Counters of one SDK's calls. */
    static final class Tally {
        final String sdk;
        final AtomicLong calls = new AtomicLong();
        final AtomicLong ok = new AtomicLong();
        final AtomicLong expiredToken = new AtomicLong();
        final AtomicLong otherErrors = new AtomicLong();
        final AtomicInteger keptErrors = new AtomicInteger();
        final Queue<String> firstErrors = new ConcurrentLinkedQueue<String>();
        final Queue<long[]> latencies = new ConcurrentLinkedQueue<long[]>();

        Tally(String sdk) {
            this.sdk = sdk;
        }

        long errors() {
            return expiredToken.get() + otherErrors.get();
        }

        void failed(String code, String message, double secondsIn) {
            if (EXPIRED_TOKEN.equals(code)) {
                expiredToken.incrementAndGet();
            } else {
                otherErrors.incrementAndGet();
            }
            if (keptErrors.getAndIncrement() < KEPT_ERRORS) {
                firstErrors.add(String.format("%.1fs %s: %s", secondsIn, code, message));
            }
        }

        /** Call latencies in microseconds, sorted. */
        long[] sortedLatencies() {
            int n = 0;
            for (long[] part : latencies) {
                n += part.length;
            }
            long[] all = new long[n];
            int at = 0;
            for (long[] part : latencies) {
                System.arraycopy(part, 0, all, at, part.length);
                at += part.length;
            }
            Arrays.sort(all);
            return all;
        }
    }

    /** Remembers the credentials it last handed to the SDK v1 client (what signed the call). */
    static final class RecordingV1 implements AWSCredentialsProvider {
        final AWSCredentialsProvider delegate;
        volatile AWSCredentials last;

        RecordingV1(AWSCredentialsProvider delegate) {
            this.delegate = delegate;
        }

        @Override
        public AWSCredentials getCredentials() {
            AWSCredentials c = delegate.getCredentials();
            last = c;
            return c;
        }

        @Override
        public void refresh() {
            delegate.refresh();
        }
    }

    /** Remembers the credentials it last handed to the SDK v2 client (what signed the call). */
    static final class RecordingV2 implements AwsCredentialsProvider {
        final AwsCredentialsProvider delegate;
        volatile AwsCredentials last;

        RecordingV2(AwsCredentialsProvider delegate) {
            this.delegate = delegate;
        }

        @Override
        public AwsCredentials resolveCredentials() {
            AwsCredentials c = delegate.resolveCredentials();
            last = c;
            return c;
        }
    }

    /** A growable array of longs (one per thread and SDK, merged at the end). */
    private static final class Longs {
        long[] values = new long[4096];
        int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        long[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }

    final Tally v1 = new Tally("SDK v1");
    final Tally v2 = new Tally("SDK v2");
    private final AWSSecurityTokenService stsV1;
    private final StsClient stsV2;
    private final long startNanos;
    private final long latencyFromNanos;
    private final List<Thread> threads = new ArrayList<Thread>();

    /**
     * A workload whose latencies are recorded from {@code latencyFromNanos} on (calls and errors
     * are counted from the start): the first seconds of a JVM measure class loading and JIT.
     */
    Workload(AWSSecurityTokenService stsV1, StsClient stsV2, long startNanos, long latencyFromNanos) {
        this.stsV1 = stsV1;
        this.stsV2 = stsV2;
        this.startNanos = startNanos;
        this.latencyFromNanos = latencyFromNanos;
    }

    /** Starts {@code count} threads that call until {@code deadlineNanos}, pausing between rounds. */
    void start(int count, final long deadlineNanos, final long intervalMillis) {
        for (int i = 0; i < count; i++) {
            Thread t = new Thread(() -> run(deadlineNanos, intervalMillis), "caller-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Waits for every thread to pass the deadline. */
    void join() throws InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
    }

    private double secondsIn() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private void run(long deadlineNanos, long intervalMillis) {
        Longs latV1 = new Longs();
        Longs latV2 = new Longs();
        try {
            while (System.nanoTime() < deadlineNanos) {
                callV1(latV1);
                callV2(latV2);
                if (intervalMillis > 0) {
                    TimeUnit.MILLISECONDS.sleep(intervalMillis);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            v1.latencies.add(latV1.toArray());
            v2.latencies.add(latV2.toArray());
        }
    }

    private void callV1(Longs lat) {
        long t0 = System.nanoTime();
        v1.calls.incrementAndGet();
        try {
            stsV1.getCallerIdentity(new GetCallerIdentityRequest());
            v1.ok.incrementAndGet();
        } catch (AmazonServiceException e) {
            v1.failed(e.getErrorCode(), e.getErrorMessage(), secondsIn());
        } catch (RuntimeException e) {
            v1.failed(e.getClass().getSimpleName(), String.valueOf(e.getMessage()), secondsIn());
        }
        if (t0 - latencyFromNanos >= 0) {
            lat.add((System.nanoTime() - t0) / 1000);
        }
    }

    private void callV2(Longs lat) {
        long t0 = System.nanoTime();
        v2.calls.incrementAndGet();
        try {
            stsV2.getCallerIdentity();
            v2.ok.incrementAndGet();
        } catch (AwsServiceException e) {
            String code = e.awsErrorDetails() != null ? e.awsErrorDetails().errorCode() : "HTTP " + e.statusCode();
            String message = e.awsErrorDetails() != null ? e.awsErrorDetails().errorMessage() : e.getMessage();
            v2.failed(code, message, secondsIn());
        } catch (RuntimeException e) {
            v2.failed(e.getClass().getSimpleName(), String.valueOf(e.getMessage()), secondsIn());
        }
        if (t0 - latencyFromNanos >= 0) {
            lat.add((System.nanoTime() - t0) / 1000);
        }
    }
}

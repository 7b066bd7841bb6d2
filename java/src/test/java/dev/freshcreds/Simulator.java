package dev.freshcreds;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The freshcreds AWS simulator binary (IMDS at its base URL, STS at "/"), run as a child process. */
final class Simulator implements AutoCloseable {
    private static final String READY = "freshcreds-sim listening on ";

    private final Process process;
    private final String baseUrl;

    private Simulator(Process process, String baseUrl) {
        this.process = process;
        this.baseUrl = baseUrl;
    }

    /** Starts the simulator named by the {@code freshcreds.sim} system property. */
    static Simulator start(String... args) throws IOException {
        String path = System.getProperty("freshcreds.sim");
        if (path == null || !new File(path).canExecute()) {
            throw new IllegalStateException("the simulator binary is missing: set -Dfreshcreds.sim"
                    + " (the Gradle build does; cargo build -p freshcreds-sim builds it), got " + path);
        }
        List<String> command = new ArrayList<String>();
        command.add(path);
        command.addAll(Arrays.asList("--port", "0"));
        command.addAll(Arrays.asList(args));
        File log = File.createTempFile("freshcreds-sim-", ".log");
        log.deleteOnExit();
        Process p = new ProcessBuilder(command).redirectError(log).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null) {
            int at = line.indexOf(READY);
            if (at >= 0) {
                String url = line.substring(at + READY.length()).trim();
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) {
                            // discard
                        }
                    } catch (IOException ignored) {
                        // process ended
                    }
                }, "freshcreds-sim-stdout");
                drain.setDaemon(true);
                drain.start();
                return new Simulator(p, url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            }
        }
        p.destroy();
        throw new IOException("the simulator exited before it was ready; see " + log);
    }

    /** The base URL, like {@code http://127.0.0.1:PORT} (no trailing slash). */
    String baseUrl() {
        return baseUrl;
    }

    /** {@code GET} or {@code POST} on the admin API; returns the body. */
    String admin(String method, String path) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(baseUrl + path).openConnection();
        c.setRequestMethod(method);
        if (method.equals("POST")) {
            c.setDoOutput(true);
            c.getOutputStream().close();
        }
        int status = c.getResponseCode();
        StringBuilder sb = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                status < 400 ? c.getInputStream() : c.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                sb.append(line).append('\n');
            }
        }
        if (status >= 400) {
            throw new IOException(method + " " + path + " answered " + status + ": " + sb);
        }
        return sb.toString();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}

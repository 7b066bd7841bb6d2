package dev.freshcreds.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The local AWS simulator ({@code freshcreds-sim}, path in system property freshcreds.sim) as a child process. */
final class Sim implements AutoCloseable {
    private static final String READY = "freshcreds-sim listening on ";

    private final Process process;
    private final String baseUrl;

    private Sim(Process process, String baseUrl) {
        this.process = process;
        this.baseUrl = baseUrl;
    }

    static Sim start(int lifetimeSecs, int rotationLeadSecs) throws IOException {
        String path = System.getProperty("freshcreds.sim");
        if (path == null || !new File(path).canExecute()) {
            throw new IllegalStateException("the simulator binary is missing: set -Dfreshcreds.sim"
                    + " (gradle :bench:jmh:jmh does; cargo build --release -p freshcreds-sim builds it), got " + path);
        }
        Process p = new ProcessBuilder(path, "--port", "0", "--lifetime", Integer.toString(lifetimeSecs),
                "--rotation-lead", Integer.toString(rotationLeadSecs))
                .redirectError(ProcessBuilder.Redirect.to(new File(System.getProperty("java.io.tmpdir"), "freshcreds-sim-bench.log")))
                .start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null) {
            int at = line.indexOf(READY);
            if (at >= 0) {
                String url = line.substring(at + READY.length()).trim();
                return new Sim(p, url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            }
        }
        p.destroy();
        throw new IOException("the simulator exited before it was ready");
    }

    String baseUrl() {
        return baseUrl;
    }

    /** One counter of {@code GET /_sim/counts}, e.g. {@code imds_credentials}. */
    long count(String name) throws IOException {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\"\\s*:\\s*(\\d+)").matcher(admin("GET", "/_sim/counts", null));
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Sets a fault (JSON, e.g. {@code {"latency_ms":500}}) on an endpoint such as {@code imds_credentials}. */
    void fault(String endpoint, String json) throws IOException {
        admin("POST", "/_sim/faults/" + endpoint, json);
    }

    private String admin(String method, String path, String jsonBody) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(baseUrl + path).openConnection();
        c.setRequestMethod(method);
        if (jsonBody != null) {
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/json");
            try (OutputStream o = c.getOutputStream()) {
                o.write(jsonBody.getBytes(StandardCharsets.UTF_8));
            }
        }
        int status = c.getResponseCode();
        StringBuilder sb = new StringBuilder();
        InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream();
        if (in != null) {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    sb.append(l);
                }
            }
        }
        if (status >= 400) {
            throw new IOException(method + " " + path + " answered " + status + ": " + sb);
        }
        return sb.toString();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}

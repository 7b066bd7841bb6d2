package dev.freshcreds.example;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The local AWS simulator ({@code freshcreds-sim}) as a child process: IMDS at its base URL, STS
 * at {@code /}, and the admin API under {@code /_sim/}.
 */
final class SimProcess implements AutoCloseable {
    private static final String READY = "freshcreds-sim listening on ";

    private final Process process;
    private final String baseUrl;
    private final File log;

    private SimProcess(Process process, String baseUrl, File log) {
        this.process = process;
        this.baseUrl = baseUrl;
        this.log = log;
    }

    /**
     * Starts the simulator and waits until it listens.
     *
     * @param binary the {@code freshcreds-sim} executable
     * @param lifetimeSecs lifetime of the credentials it mints
     * @param rotationLeadSecs IMDS mints new credentials this long before expiry
     */
    static SimProcess start(File binary, int lifetimeSecs, int rotationLeadSecs) throws IOException {
        if (!binary.canExecute()) {
            throw new IOException("the simulator binary " + binary + " is missing or not executable"
                    + " (cargo build --release -p freshcreds-sim builds it; the Gradle task does)");
        }
        List<String> command = new ArrayList<String>(Arrays.asList(binary.getPath(), "--port", "0",
                "--lifetime", Integer.toString(lifetimeSecs),
                "--rotation-lead", Integer.toString(rotationLeadSecs)));
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
                            // nothing more is expected on stdout
                        }
                    } catch (IOException ignored) {
                        // the process ended
                    }
                }, "freshcreds-sim-stdout");
                drain.setDaemon(true);
                drain.start();
                return new SimProcess(p, url.endsWith("/") ? url.substring(0, url.length() - 1) : url, log);
            }
        }
        p.destroy();
        throw new IOException("the simulator exited before it was ready; its log is " + log);
    }

    /** The base URL, like {@code http://127.0.0.1:PORT} (no trailing slash). */
    String baseUrl() {
        return baseUrl;
    }

    /** One counter of {@code GET /_sim/counts}, e.g. {@code imds_credentials}. */
    static long count(String countsJson, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\"\\s*:\\s*(\\d+)").matcher(countsJson);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** {@code GET /_sim/counts}: requests per endpoint as JSON. */
    String counts() throws IOException {
        return admin("GET", "/_sim/counts", null);
    }

    /** Calls the admin API; returns the body, or throws naming the path and status. */
    String admin(String method, String path, String jsonBody) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(baseUrl + path).openConnection();
        c.setRequestMethod(method);
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        if (jsonBody != null) {
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/json");
            try (OutputStream o = c.getOutputStream()) {
                o.write(jsonBody.getBytes(StandardCharsets.UTF_8));
            }
        } else if (method.equals("POST")) {
            c.setDoOutput(true);
            c.getOutputStream().close();
        }
        int status = c.getResponseCode();
        InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream();
        StringBuilder sb = new StringBuilder();
        if (in != null) {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    sb.append(line);
                }
            }
        }
        if (status >= 400) {
            throw new IOException(method + " " + baseUrl + path + " answered " + status + ": " + sb);
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
        log.delete();
    }
}

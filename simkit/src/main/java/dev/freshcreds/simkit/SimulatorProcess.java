package dev.freshcreds.simkit;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
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
 *
 * <p>The simulator listens on a free port ({@code --port 0}); {@link #start} waits for its
 * {@code freshcreds-sim listening on URL} line. Its stderr goes to a temporary log file
 * ({@link #logFile()}), its stdout is drained by a daemon thread. {@link #close()} stops it.
 *
 * <p>Started with {@code --tls-front} (and {@code --ca-file PATH}) or {@code --connect-proxy},
 * it also runs a TLS front with a private CA and an HTTP {@code CONNECT} proxy on loopback:
 * {@link #tlsFrontUrl()}, {@link #caFile()} and {@link #connectProxyUrl()} say where, and
 * {@link #network()} reports their counters ({@code GET /_sim/network}).
 */
public final class SimulatorProcess implements AutoCloseable {
    /** The system property that names the simulator binary (the Gradle builds set it). */
    public static final String BINARY_PROPERTY = "freshcreds.sim";

    private static final String READY = "freshcreds-sim listening on ";
    private static final String TLS_FRONT = "freshcreds-sim TLS front on ";
    private static final String CA_FILE = "freshcreds-sim CA certificate in ";
    private static final String CONNECT_PROXY = "freshcreds-sim CONNECT proxy on ";
    private static final int ADMIN_TIMEOUT_MILLIS = 5000;

    private final Process process;
    private final String baseUrl;
    private final File log;
    private final String tlsFront;
    private final File caFile;
    private final String connectProxy;

    private SimulatorProcess(Process process, String baseUrl, File log, String tlsFront, File caFile,
            String connectProxy) {
        this.process = process;
        this.baseUrl = baseUrl;
        this.log = log;
        this.tlsFront = tlsFront;
        this.caFile = caFile;
        this.connectProxy = connectProxy;
    }

    /**
     * Starts the simulator named by the {@value #BINARY_PROPERTY} system property and waits until
     * it listens.
     *
     * @param args further command-line arguments, e.g. {@code "--lifetime", "60"}
     * @return the running simulator
     * @throws IllegalStateException if the property is unset or names no executable file
     * @throws IOException if the process cannot be started or exits before it is ready
     */
    public static SimulatorProcess start(String... args) throws IOException {
        String path = System.getProperty(BINARY_PROPERTY);
        if (path == null || !new File(path).canExecute()) {
            throw new IllegalStateException("the simulator binary is missing: set -D" + BINARY_PROPERTY
                    + " (the Gradle build does; cargo build -p freshcreds-sim builds it), got " + path);
        }
        return start(new File(path), args);
    }

    /**
     * Starts the given simulator binary and waits until it listens.
     *
     * @param binary the {@code freshcreds-sim} executable
     * @param args further command-line arguments, e.g. {@code "--lifetime", "60"}
     * @return the running simulator
     * @throws IOException if the binary is not executable, cannot be started, or exits before it
     *     is ready
     */
    public static SimulatorProcess start(File binary, String... args) throws IOException {
        if (!binary.canExecute()) {
            throw new IOException("the simulator binary " + binary + " is missing or not executable"
                    + " (cargo build -p freshcreds-sim builds it; the Gradle tasks do)");
        }
        List<String> command = new ArrayList<String>();
        command.add(binary.getPath());
        command.addAll(Arrays.asList("--port", "0"));
        command.addAll(Arrays.asList(args));
        File log = File.createTempFile("freshcreds-sim-", ".log");
        log.deleteOnExit();
        Process p = new ProcessBuilder(command).redirectError(log).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        String tlsFront = null;
        File caFile = null;
        String connectProxy = null;
        while ((line = out.readLine()) != null) {
            if (line.startsWith(TLS_FRONT)) {
                tlsFront = line.substring(TLS_FRONT.length()).trim();
            } else if (line.startsWith(CA_FILE)) {
                caFile = new File(line.substring(CA_FILE.length()).trim());
            } else if (line.startsWith(CONNECT_PROXY)) {
                connectProxy = line.substring(CONNECT_PROXY.length()).trim();
            }
            int at = line.indexOf(READY);
            if (at >= 0) {
                String url = line.substring(at + READY.length()).trim();
                Thread drain = new Thread(new Runnable() {
                    @Override
                    public void run() {
                        try {
                            while (out.readLine() != null) {
                                // nothing more is expected on stdout
                            }
                        } catch (IOException ignored) {
                            // the process ended
                        }
                    }
                }, "freshcreds-sim-stdout");
                drain.setDaemon(true);
                drain.start();
                return new SimulatorProcess(p, url.endsWith("/") ? url.substring(0, url.length() - 1) : url, log,
                        tlsFront, caFile, connectProxy);
            }
        }
        p.destroy();
        throw new IOException("the simulator exited before it was ready; its log is " + log);
    }

    /**
     * The base URL of IMDS, STS and the admin API.
     *
     * @return a URL like {@code http://127.0.0.1:PORT} (no trailing slash)
     */
    public String baseUrl() {
        return baseUrl;
    }

    /**
     * The TLS front's URL: the simulator behind TLS with a certificate from a private CA.
     *
     * @return {@code https://127.0.0.1:PORT}
     * @throws IllegalStateException if the simulator was started without {@code --tls-front}
     */
    public String tlsFrontUrl() {
        if (tlsFront == null) {
            throw new IllegalStateException("the simulator was started without --tls-front");
        }
        return tlsFront;
    }

    /**
     * The file holding the private CA's certificate (PEM), as {@code --ca-file} named it.
     *
     * @return the file
     * @throws IllegalStateException if the simulator was started without {@code --ca-file}
     */
    public File caFile() {
        if (caFile == null) {
            throw new IllegalStateException("the simulator was started without --tls-front --ca-file PATH");
        }
        return caFile;
    }

    /**
     * The {@code CONNECT} proxy's URL; every tunnel leads to the TLS front (to the simulator
     * without one), whatever host the {@code CONNECT} names.
     *
     * @return {@code http://127.0.0.1:PORT}
     * @throws IllegalStateException if the simulator was started without {@code --connect-proxy}
     */
    public String connectProxyUrl() {
        if (connectProxy == null) {
            throw new IllegalStateException("the simulator was started without --connect-proxy");
        }
        return connectProxy;
    }

    /**
     * {@code GET /_sim/network}: the TLS front and the proxy with their counters
     * ({@code tls_handshakes}, {@code tls_failed_handshakes}, {@code proxy_tunnels},
     * {@code proxy_auth_rejections}; read one with {@link #count(String, String)}) and
     * {@code proxy_targets}, the {@code host:port} of every tunnel.
     *
     * @return the JSON
     * @throws IOException if the call fails
     */
    public String network() throws IOException {
        return admin("GET", "/_sim/network");
    }

    /**
     * The file the simulator's stderr goes to (deleted by {@link #close()}).
     *
     * @return the log file
     */
    public File logFile() {
        return log;
    }

    /**
     * Calls the admin API without a request body ({@code POST}s send an empty one).
     *
     * @param method {@code GET}, {@code POST} or {@code DELETE}
     * @param path a path like {@code /_sim/counts}
     * @return the response body
     * @throws IOException if the call fails or answers with status 400 or above
     */
    public String admin(String method, String path) throws IOException {
        return admin(method, path, null);
    }

    /**
     * Calls the admin API.
     *
     * @param method {@code GET}, {@code POST} or {@code DELETE}
     * @param path a path like {@code /_sim/faults/imds_credentials}
     * @param jsonBody the JSON request body, or {@code null} for none
     * @return the response body
     * @throws IOException if the call fails or answers with status 400 or above
     */
    public String admin(String method, String path, String jsonBody) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(baseUrl + path).openConnection();
        c.setRequestMethod(method);
        c.setConnectTimeout(ADMIN_TIMEOUT_MILLIS);
        c.setReadTimeout(ADMIN_TIMEOUT_MILLIS);
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
        String body = "";
        if (in != null) {
            try (InputStream i = in) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                byte[] chunk = new byte[4096];
                int n;
                while ((n = i.read(chunk)) != -1) {
                    buf.write(chunk, 0, n);
                }
                body = new String(buf.toByteArray(), StandardCharsets.UTF_8);
            }
        }
        if (status >= 400) {
            throw new IOException(method + " " + baseUrl + path + " answered " + status + ": " + body);
        }
        return body;
    }

    /**
     * {@code GET /_sim/counts}.
     *
     * @return the requests per endpoint, as JSON
     * @throws IOException if the call fails
     */
    public String counts() throws IOException {
        return admin("GET", "/_sim/counts");
    }

    /**
     * One counter of {@code GET /_sim/counts}.
     *
     * @param name a counter such as {@code imds_credentials}
     * @return its value
     * @throws IOException if the call fails
     * @throws IllegalStateException if the simulator has no such counter
     */
    public long count(String name) throws IOException {
        return count(counts(), name);
    }

    /**
     * One whole-number field of a JSON object, such as a counter of a {@code GET /_sim/counts}
     * answer. A missing field is an error, never a value: a check against a bound must not pass
     * because a counter was renamed.
     *
     * @param json the JSON, e.g. from {@link #counts()}
     * @param name a field such as {@code imds_credentials}
     * @return its value
     * @throws IllegalStateException if the JSON has no such field with a whole number
     */
    public static long count(String json, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\"\\s*:\\s*(\\d+)").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no counter '" + name + "' in " + json);
        }
        return Long.parseLong(m.group(1));
    }

    /**
     * {@code POST /_sim/faults/<endpoint>}: sets a fault on one endpoint.
     *
     * @param endpoint an endpoint such as {@code imds_credentials}
     * @param json the fault, e.g. {@code {"latency_ms":500}}
     * @throws IOException if the call fails
     */
    public void fault(String endpoint, String json) throws IOException {
        admin("POST", "/_sim/faults/" + endpoint, json);
    }

    /**
     * {@code DELETE /_sim/faults}: clears every fault.
     *
     * @throws IOException if the call fails
     */
    public void clearFaults() throws IOException {
        admin("DELETE", "/_sim/faults");
    }

    /**
     * {@code POST /_sim/advance?seconds=N}: moves the simulator's clock forward.
     *
     * @param seconds how far
     * @throws IOException if the call fails
     */
    public void advance(long seconds) throws IOException {
        admin("POST", "/_sim/advance?seconds=" + seconds);
    }

    /**
     * {@code POST /_sim/reset}: resets the counters and clears the faults.
     *
     * @throws IOException if the call fails
     */
    public void reset() throws IOException {
        admin("POST", "/_sim/reset");
    }

    /** Stops the simulator (forcibly after 5 seconds) and deletes its log file. */
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

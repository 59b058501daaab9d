package io.github.engagelabpush.bench;

import io.github.engagelabpush.Client;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;

/**
 * Sequential deletes for the benchmark, printing one JSON line in the format
 * of the C clients (bench/c/bench_common.h):
 *
 * <pre>
 * java -cp BENCH_CLASSES:CLASSES:JNA_JAR io.github.engagelabpush.bench.Bench IMPL N|SECONDSs BASE_URL [CA_FILE|-] [WARMUP]
 * </pre>
 *
 * IMPL is {@code engagelab} (this binding, retries off) or {@code httpclient}
 * ({@code java.net.http.HttpClient}, what a Java user would write instead: one
 * client, HTTP/1.1, a ready Authorization header). Both send
 * {@code DELETE BASE_URL/v4/devices/bench-device-0001} with the demo
 * credentials and check that the status is 2xx, reading the body.
 * CPU is the process's (OperatingSystemMXBean), RSS the peak (VmHWM).
 */
public final class Bench {
    static final String DEVICE = "bench-device-0001";
    static final String APP_KEY = "demo-app-key";
    static final String MASTER_SECRET = "demo-master-secret";

    interface Call {
        boolean run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || args.length > 5) {
            System.err.println("usage: Bench engagelab|httpclient N|SECONDSs BASE_URL [CA_FILE|-] [WARMUP]");
            System.exit(2);
        }
        String impl = args[0];
        long calls = 0;
        double seconds = 0;
        if (args[1].endsWith("s")) {
            seconds = Double.parseDouble(args[1].substring(0, args[1].length() - 1));
        } else {
            calls = Long.parseLong(args[1]);
        }
        String baseUrl = args[2];
        Path ca = args.length > 3 && !args[3].equals("-") && !args[3].isEmpty() ? Path.of(args[3]) : null;
        long warmup = args.length > 4 ? Long.parseLong(args[4]) : 200;

        String name;
        Call call;
        AutoCloseable closer;
        if (impl.equals("engagelab")) {
            Client.Builder b = Client.builder(APP_KEY, MASTER_SECRET).baseUrl(baseUrl).maxRetries(0);
            if (ca != null) {
                b.caFile(ca);
            }
            Client client = b.build();
            name = "java engagelab-push (JNA)";
            call = () -> {
                client.deleteDevice(DEVICE);
                return true;
            };
            closer = client;
        } else if (impl.equals("httpclient")) {
            HttpClient.Builder b = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .proxy(HttpClient.Builder.NO_PROXY)
                    .connectTimeout(Duration.ofSeconds(10));
            if (ca != null) {
                b.sslContext(sslContext(ca));
            }
            HttpClient http = b.build();
            HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl.replaceAll("/+$", "") + "/v4/devices/" + DEVICE))
                    .DELETE()
                    .timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                            (APP_KEY + ":" + MASTER_SECRET).getBytes(StandardCharsets.UTF_8)))
                    .header("Accept", "application/json")
                    .build();
            name = "java.net.http.HttpClient";
            call = () -> {
                HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                return r.statusCode() / 100 == 2;
            };
            closer = () -> {};
        } else {
            System.err.println("Bench: unknown IMPL " + impl);
            System.exit(2);
            return;
        }

        long errors = 0;
        for (long i = 0; i < warmup; i++) {
            errors += ok(call) ? 0 : 1;
        }
        int cap = calls > 0 ? (int) calls : (int) (seconds * 100_000) + 16;
        long[] lat = new long[cap];
        int n = 0;
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long start = System.nanoTime();
        long until = seconds > 0 ? start + (long) (seconds * 1e9) : 0;
        while (n < cap && (calls == 0 || n < calls)) {
            long t0 = System.nanoTime();
            errors += ok(call) ? 0 : 1;
            long t1 = System.nanoTime();
            lat[n++] = t1 - t0;
            if (until != 0 && t1 >= until) {
                break;
            }
        }
        long wallNs = System.nanoTime() - start;
        long cpuNs = os.getProcessCpuTime() - cpu0;
        closer.close();
        long[] sorted = Arrays.copyOf(lat, n);
        Arrays.sort(sorted);
        double sum = 0;
        for (long v : sorted) {
            sum += v;
        }
        double wall = wallNs / 1e9;
        System.out.println(String.format(Locale.ROOT,
                "{\"impl\":\"%s\",\"threads\":1,\"warmup\":%d,\"calls\":%d,\"errors\":%d,"
                        + "\"wall_s\":%.6f,\"median_us\":%.2f,\"p99_us\":%.2f,\"mean_us\":%.2f,"
                        + "\"calls_per_s\":%.1f,\"cpu_us_per_call\":%.3f,\"maxrss_kb\":%d}",
                name, warmup, n, errors, wall, pct(sorted, 0.50) / 1e3, pct(sorted, 0.99) / 1e3,
                n > 0 ? sum / n / 1e3 : 0.0, n / wall, n > 0 ? cpuNs / 1e3 / n : 0.0, peakRssKib()));
        if (errors > 0) {
            System.err.println("Bench: " + errors + " calls failed");
            System.exit(1);
        }
    }

    private static boolean ok(Call call) {
        try {
            return call.run();
        } catch (Exception e) {
            System.err.println("Bench: call failed: " + e);
            return false;
        }
    }

    /** Nearest-rank percentile of sorted values. */
    static long pct(long[] v, double q) {
        if (v.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(q * v.length);
        return v[Math.max(1, Math.min(rank, v.length)) - 1];
    }

    static long peakRssKib() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    static javax.net.ssl.SSLContext sslContext(Path caPem) throws Exception {
        java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
        store.load(null, null);
        try (java.io.InputStream in = Files.newInputStream(caPem)) {
            int i = 0;
            for (java.security.cert.Certificate cert :
                    java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca" + i++, cert);
            }
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}

package io.github.engagelabpush.bench;

import io.github.engagelabpush.Client;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Deletes with IN_FLIGHT calls in flight at once, for bench/in_flight.py:
 *
 * <pre>
 * java -cp ... io.github.engagelabpush.bench.AsyncBench IMPL SECONDS BASE_URL CA_FILE|- IN_FLIGHT WARMUP
 * </pre>
 *
 * IMPL is {@code engagelab} ({@code Client.deleteDeviceAsync}, completing on
 * the library's threads) or {@code httpclient} ({@code HttpClient.sendAsync}).
 * Each of IN_FLIGHT chains starts its next call when the last one completes,
 * until SECONDS have passed. Prints one JSON line: impl, calls, seconds,
 * calls_per_sec, errors.
 */
public final class AsyncBench {
    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: AsyncBench engagelab|httpclient SECONDS BASE_URL CA_FILE|- IN_FLIGHT WARMUP");
            System.exit(2);
        }
        double seconds = Double.parseDouble(args[1]);
        String baseUrl = args[2].replaceAll("/+$", "");
        Path ca = args[3].equals("-") ? null : Path.of(args[3]);
        int inFlight = Integer.parseInt(args[4]);
        int warmup = Integer.parseInt(args[5]);
        String name;
        Supplier<CompletableFuture<?>> call;
        AutoCloseable closer;
        if (args[0].equals("engagelab")) {
            Client.Builder b = Client.builder(Bench.APP_KEY, Bench.MASTER_SECRET).baseUrl(baseUrl).maxRetries(0);
            if (ca != null) {
                b.caFile(ca);
            }
            Client client = b.build();
            name = "java engagelab-push deleteDeviceAsync";
            call = () -> client.deleteDeviceAsync(Bench.DEVICE);
            closer = client;
        } else {
            HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(10));
            if (ca != null) {
                b.sslContext(Bench.sslContext(ca));
            }
            HttpClient http = b.build();
            HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/v4/devices/" + Bench.DEVICE))
                    .DELETE().timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                            (Bench.APP_KEY + ":" + Bench.MASTER_SECRET).getBytes(StandardCharsets.UTF_8)))
                    .header("Accept", "application/json").build();
            name = "java.net.http.HttpClient sendAsync";
            call = () -> http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(r -> {
                if (r.statusCode() / 100 != 2) {
                    throw new IllegalStateException("HTTP " + r.statusCode());
                }
                return r;
            });
            closer = () -> {};
        }
        AtomicLong errors = new AtomicLong();
        for (int i = 0; i < warmup; i++) {
            call.get().exceptionally(e -> { errors.incrementAndGet(); return null; }).join();
        }
        AtomicLong calls = new AtomicLong();
        CountDownLatch done = new CountDownLatch(inFlight);
        long start = System.nanoTime();
        long until = start + (long) (seconds * 1e9);
        for (int i = 0; i < inFlight; i++) {
            chain(call, until, calls, errors, done);
        }
        done.await();
        double wall = (System.nanoTime() - start) / 1e9;
        closer.close();
        System.out.println(String.format(Locale.ROOT,
                "{\"impl\":\"%s\",\"calls\":%d,\"seconds\":%.3f,\"calls_per_sec\":%.1f,\"errors\":%d}",
                name, calls.get(), wall, calls.get() / wall, errors.get()));
        System.exit(errors.get() > 0 ? 1 : 0);
    }

    /** Starts a call, and the next one when it completes, until `until`. */
    private static void chain(Supplier<CompletableFuture<?>> call, long until, AtomicLong calls, AtomicLong errors,
            CountDownLatch done) {
        call.get().whenComplete((r, e) -> {
            calls.incrementAndGet();
            if (e != null) {
                errors.incrementAndGet();
            }
            if (System.nanoTime() < until) {
                chain(call, until, calls, errors, done);
            } else {
                done.countDown();
            }
        });
    }
}

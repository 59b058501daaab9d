package io.github.engagelabpush.bench;

import io.github.engagelabpush.BulkOptions;
import io.github.engagelabpush.BulkSummary;
import io.github.engagelabpush.Client;
import java.nio.file.Path;

/**
 * The bulk benchmark's Java client (bench/bulk.py): one
 * {@code deleteDevices(Path, BulkOptions)} run through this binding.
 *
 * <pre>
 * ENGAGELAB_APP_KEY=... ENGAGELAB_MASTER_SECRET=... ENGAGELAB_BASE_URL=... \
 *   java -cp BENCH_CLASSES:CLASSES:JNA_JAR io.github.engagelabpush.bench.BulkBench IDS_FILE QPS REPORT
 * </pre>
 *
 * The figures come from the run's own summary, the report's last line; it
 * exits 1 when the run did not succeed.
 */
public final class BulkBench {
    private BulkBench() {}

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: BulkBench IDS_FILE QPS REPORT");
            System.exit(2);
        }
        BulkSummary summary;
        try (Client client = Client.fromEnv()) {
            BulkOptions options =
                    new BulkOptions().qps(Integer.parseInt(args[1])).maxDeletions(100_000_000L).report(Path.of(args[2]));
            summary = client.deleteDevices(Path.of(args[0]), options);
        }
        System.exit(summary.isSuccess() ? 0 : 1);
    }
}

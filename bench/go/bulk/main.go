// Command bulk is the bulk benchmark's Go client (bench/bulk.py): one
// DeleteDevicesFromFile run through the Go binding.
//
//	ENGAGELAB_APP_KEY=... ENGAGELAB_MASTER_SECRET=... ENGAGELAB_BASE_URL=... \
//	    go run ./bulk IDS_FILE QPS REPORT
//
// The figures come from the run's own summary, the report's last line; it
// exits 1 when the run did not succeed.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	engagelab "github.com/engagelab-push/engagelab-push/bindings/go"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: bulk IDS_FILE QPS REPORT")
		os.Exit(2)
	}
	qps, err := strconv.ParseUint(os.Args[2], 10, 32)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bulk: QPS:", err)
		os.Exit(2)
	}
	client, err := engagelab.NewClientFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bulk:", err)
		os.Exit(2)
	}
	defer client.Close()
	summary, err := client.DeleteDevicesFromFile(context.Background(), os.Args[1], engagelab.BulkOptions{
		QPS:          uint32(qps),
		MaxDeletions: 100_000_000,
		Report:       os.Args[3],
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bulk:", err)
		os.Exit(1)
	}
	if !summary.IsSuccess() {
		os.Exit(1)
	}
}

// Command erase_users erases the users named as arguments (their aliases)
// through the Go binding: every device bound to them is backed up, deleted
// through the bulk engine and checked again, with a report and a journal in
// the current directory.
//
//	ENGAGELAB_APP_KEY=... ENGAGELAB_MASTER_SECRET=... [ENGAGELAB_BASE_URL=...] \
//	    go run ./examples/erase_users ALIAS...
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"

	engagelab "github.com/engagelab-push/engagelab-push/bindings/go"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: erase_users ALIAS...")
		os.Exit(2)
	}
	client, err := engagelab.NewClientFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer client.Close()

	// Ctrl-C stops the run: nothing more is sent.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	erasure, err := client.EraseUsers(ctx, os.Args[1:], engagelab.BulkOptions{
		Backup:  "erased.backup.jsonl",
		Report:  "erasure.report.jsonl",
		Journal: "erasure.journal",
	})
	if err != nil {
		// Only a run stopped mid-way (a file it could not write) has deleted
		// anything; every other failure sent no DELETE.
		var stopped *engagelab.BulkError
		if errors.As(err, &stopped) && stopped.Kind == engagelab.BulkWriteFailed {
			fmt.Fprintf(os.Stderr, "Go: stopped after deleting %d: %v\n", stopped.Summary.Deleted, err)
		} else {
			fmt.Fprintln(os.Stderr, "Go: nothing erased:", err)
		}
		os.Exit(1)
	}
	for _, u := range erasure.Users {
		switch {
		case u.StillBound == nil:
			fmt.Printf("%s: not checked\n", u.Alias)
		case len(u.StillBound) == 0:
			fmt.Printf("%s: no device bound\n", u.Alias)
		default:
			fmt.Printf("%s: still bound: %s\n", u.Alias, strings.Join(u.StillBound, " "))
		}
	}
	fmt.Printf("deleted %d, failed %d\n", erasure.Summary.Deleted, erasure.Summary.Failed)
	if !erasure.Success {
		os.Exit(1)
	}
}

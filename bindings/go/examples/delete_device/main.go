// Command delete_device deletes one device through the Go binding.
//
//	ENGAGELAB_APP_KEY=... ENGAGELAB_MASTER_SECRET=... [ENGAGELAB_REGION=sgp | ENGAGELAB_BASE_URL=...] \
//	    go run ./examples/delete_device REGISTRATION_ID
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"time"

	engagelab "github.com/engagelab-push/engagelab-push/bindings/go"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: delete_device REGISTRATION_ID")
		os.Exit(2)
	}
	id := os.Args[1]
	client, err := engagelab.NewClientFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer client.Close()

	// Ctrl-C cancels the call in flight; 30 s bound it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	fmt.Printf("Go: deleting device %q with %v (libengagelab_push %s)\n", id, client, engagelab.Version())
	err = client.DeleteDevice(ctx, id)
	var e *engagelab.Error
	switch {
	case err == nil:
		fmt.Printf("Go: deleted device %q\n", id)
	case errors.Is(err, engagelab.ErrNotFound): // HTTP 404, or EngageLab's 400 with code 27002
		fmt.Printf("Go: EngageLab does not know device %q\n", id)
		if errors.As(err, &e) && e.MaybeDeleted {
			fmt.Println("Go: an earlier attempt of this call may have deleted it")
		}
		os.Exit(1)
	case errors.As(err, &e):
		fmt.Fprintf(os.Stderr, "Go: %v (kind %s, HTTP %d, code %d, %d attempts, maybe deleted: %v)\n",
			e, e.Kind, e.HTTPStatus, e.APICode, e.Attempts, e.MaybeDeleted)
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "Go:", err)
		os.Exit(1)
	}
}

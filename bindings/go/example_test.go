package engagelab_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	engagelab "github.com/engagelab-push/engagelab-push/bindings/go"
)

// Build a client for the app's data center. The core checks every setting.
func ExampleNewClient() {
	client, err := engagelab.NewClient("your-app-key", "your-master-secret",
		engagelab.WithRegion("sgp"),
		engagelab.WithTimeout(30*time.Second),
		engagelab.WithConnectTimeout(10*time.Second),
		engagelab.WithMaxRetries(2),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	fmt.Println(client)
	// Output: engagelab.Client(app_key="your-app-key", region=sgp, base_url="https://pushapi-sgp.engagelab.com", timeout=30s, max_retries=2, proxy=no)
}

// Settings the core refuses come back as KindInvalidArgument, naming them.
func ExampleNewClient_invalidSetting() {
	_, err := engagelab.NewClient("your-app-key", "your-master-secret", engagelab.WithRegion("mars"))
	fmt.Println(errors.Is(err, engagelab.ErrInvalidArgument))
	// Output: true
}

// Delete one device. The credentials and endpoint come from
// ENGAGELAB_APP_KEY, ENGAGELAB_MASTER_SECRET and ENGAGELAB_REGION or
// ENGAGELAB_BASE_URL (here: the test mock).
func ExampleClient_DeleteDevice() {
	client, err := engagelab.NewClientFromEnv()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.DeleteDevice(ctx, "1a0018970a5c4e0b"); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("deleted")
	// Output: deleted
}

// Read the category and the details of a failure with errors.Is and
// errors.As.
func ExampleError() {
	client, err := engagelab.NewClientFromEnv()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	err = client.DeleteDevice(context.Background(), "no-such-device")
	var e *engagelab.Error
	if errors.As(err, &e) {
		fmt.Println(e.Kind, e.HTTPStatus, e.APICode, e.Attempts, e.MaybeDeleted)
		fmt.Println(e.Message)
	}
	if errors.Is(err, engagelab.ErrNotFound) {
		fmt.Println("already gone (or never known)")
	}
	// Output:
	// NOT_FOUND 400 27002 1 false
	// unknown error
	// already gone (or never known)
}

// Cancel a call through its context: a call in flight stops within about
// 20 ms with KindCancelled, and errors.Is(err, context.Canceled) holds.
func ExampleClient_DeleteDevice_cancel() {
	client, err := engagelab.NewClientFromEnv()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // e.g. the request that wanted the delete went away
	err = client.DeleteDevice(ctx, "1a0018970a5c4e0b")
	fmt.Println(errors.Is(err, context.Canceled))
	// Output: true
}

// Resolve an alias (the app's user id) to the registration ids of its
// devices, here only those on Android and iOS. An alias with no device gives
// an empty slice; a bad alias is refused before anything is sent.
func ExampleClient_GetAlias() {
	client, err := engagelab.NewClientFromEnv()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	ctx := context.Background()
	ids, err := client.GetAlias(ctx, "user-without-devices", "android", "ios")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(ids), ids != nil)

	_, err = client.GetAlias(ctx, "user/42")
	fmt.Println(errors.Is(err, engagelab.ErrInvalidArgument))
	fmt.Println(err)
	// Output:
	// 0 true
	// true
	// engagelab: invalid argument: alias contains '/' at byte 4; an alias is one path segment of visible characters
}

// Erase a user: resolve the alias, back up and delete each device, then
// resolve again to check that no device is still bound to it.
func ExampleClient_GetAlias_eraseUser() {
	client, err := engagelab.NewClientFromEnv()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ids, err := client.GetAlias(ctx, "user-42")
	if err != nil {
		fmt.Println(err)
		return
	}
	var backups []string
	for _, id := range ids {
		device, err := client.GetDevice(ctx, id)
		if err != nil {
			fmt.Println(err)
			return
		}
		backups = append(backups, device.RawJSON) // store them before deleting
		if err := client.DeleteDevice(ctx, id); err != nil {
			fmt.Println(err) // check e.MaybeDeleted before retrying
			return
		}
	}
	left, err := client.GetAlias(ctx, "user-42")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(left), "devices still bound to user-42")
	// Output: 0 devices still bound to user-42
}

package engagelab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func newMockClient(t testing.TB, m *mock, opts ...Option) *Client {
	t.Helper()
	opts = append([]Option{WithBaseURL(m.URL), WithBackoff(time.Millisecond, 20*time.Millisecond)}, opts...)
	c, err := NewClient(testAppKey, testMasterSecret, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// wantInvalid checks that err is an *Error of KindInvalidArgument, sent
// nothing and names what.
func wantInvalid(t *testing.T, err error, names string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindInvalidArgument || !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("want KindInvalidArgument, got %#v", err)
	}
	if e.Attempts != 0 || e.MaybeDeleted {
		t.Errorf("attempts %d, maybe_deleted %v: nothing may be sent", e.Attempts, e.MaybeDeleted)
	}
	if !strings.Contains(e.Message, names) {
		t.Errorf("message %q does not name %q", e.Message, names)
	}
}

// Bad input gets Go's normal error, an *Error of KindInvalidArgument, never
// a crash, and sends nothing: empty and invalid ids, NUL inside any string
// (C would cut it there and, for an id, delete another device), invalid
// UTF-8, nil context, nil or closed client, out-of-range numbers.
func TestBadInput(t *testing.T) {
	m := fresh(t)
	m.addDevice(t, "dev")
	c := newMockClient(t, m)
	ctx := context.Background()

	wantInvalid(t, c.DeleteDevice(ctx, ""), "registration_id is empty")
	wantInvalid(t, c.DeleteDevice(ctx, "dev\x00../../tags"), "registration_id contains a NUL byte at byte 3")
	wantInvalid(t, c.DeleteDevice(ctx, "\x00"), "NUL")
	wantInvalid(t, c.DeleteDevice(ctx, "dev\xff"), "registration_id")
	wantInvalid(t, c.DeleteDevice(ctx, strings.Repeat("x", 100000)), "registration_id")
	//lint:ignore SA1012 a nil context is the bad input under test
	wantInvalid(t, c.DeleteDevice(nil, "dev"), "ctx is nil") //nolint:staticcheck

	var none *Client
	wantInvalid(t, none.DeleteDevice(ctx, "dev"), "client")
	if none.Close() != nil || none.String() != "engagelab.Client(nil)" {
		t.Error("a nil *Client")
	}

	for _, tc := range []struct {
		name string
		key  string
		sec  string
		opts []Option
	}{
		{"app_key", "demo\x00app-key", testMasterSecret, nil},
		{"master_secret", testAppKey, testMasterSecret + "\x00x", nil},
		{"base_url", "k", "s", []Option{WithBaseURL(m.URL + "\x00")}},
		{"region", "k", "s", []Option{WithRegion("sgp\x00")}},
		{"user_agent", "k", "s", []Option{WithUserAgent("ua\x00")}},
		{"proxy", "k", "s", []Option{WithProxy("http://127.0.0.1:1\x00")}},
		{"ca_file", "k", "s", []Option{WithCAFile("/tmp/ca\x00.pem")}},
		{"app_key", "", "s", nil},
		{"master_secret", "k", "", nil},
		{"timeout", "k", "s", []Option{WithTimeout(-time.Second)}},
		{"timeout", "k", "s", []Option{WithTimeout(0)}},
		{"connect_timeout", "k", "s", []Option{WithConnectTimeout(-1)}},
		{"max_retries", "k", "s", []Option{WithMaxRetries(-1)}},
		{"backoff", "k", "s", []Option{WithBackoff(time.Second, time.Millisecond)}},
		{"user_agent", "k", "s", []Option{WithUserAgent("")}},
		{"proxy", "k", "s", []Option{WithProxy("not a url")}},
		{"ca_file", "k", "s", []Option{WithCAFile("/no/such/file.pem")}},
		{"base_url", "k", "s", []Option{WithBaseURL("http://push.example.com")}},
	} {
		c, err := NewClient(tc.key, tc.sec, tc.opts...)
		if c != nil {
			t.Errorf("%s: got a client with bad input", tc.name)
		}
		t.Run(tc.name, func(t *testing.T) { wantInvalid(t, err, tc.name) })
		if strings.Contains(fmt.Sprintf("%v %#v", err, err), testMasterSecret) {
			t.Errorf("%s: the error shows the secret", tc.name)
		}
	}
	// The longest duration is refused with its own value, not an overflow's.
	_, err := NewClient("k", "s", WithBaseURL(m.URL), WithTimeout(time.Duration(math.MaxInt64)))
	wantInvalid(t, err, "9223372036.855")
	// A nil option is skipped, not a crash.
	if c2, err := NewClient("k", "s", nil, WithBaseURL(m.URL)); err != nil {
		t.Errorf("a nil option: %v", err)
	} else {
		c2.Close()
	}

	if log := m.log(t); len(log) != 0 {
		t.Errorf("bad input sent requests: %+v", log)
	}
	if devices := m.devices(t); len(devices) != 2 { // the example device and "dev"
		t.Errorf("devices: %v", devices)
	}
}

func TestCloseIsIdempotentAndLaterCallsFail(t *testing.T) {
	m := fresh(t)
	m.addDevice(t, "dev-close")
	c := newMockClient(t, m)
	if !strings.Contains(c.String(), `app_key="`+testAppKey+`"`) || strings.Contains(c.String(), "secret") {
		t.Errorf("String: %s", c)
	}
	for i := 0; i < 3; i++ {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.HasSuffix(c.String(), ", closed)") {
		t.Errorf("String after Close: %s", c)
	}
	wantInvalid(t, c.DeleteDevice(context.Background(), "dev-close"), "client")
	if log := m.log(t); len(log) != 0 {
		t.Errorf("a closed client sent %+v", log)
	}
}

// Close waits for the calls still running instead of freeing the client
// under them.
func TestCloseWaitsForRunningCalls(t *testing.T) {
	m := fresh(t)
	m.script(t, "dev-slow-close", []map[string]any{{"status": 200, "delay_ms": 300}})
	c := newMockClient(t, m)
	done := make(chan error)
	go func() { done <- c.DeleteDevice(context.Background(), "dev-slow-close") }()
	time.Sleep(100 * time.Millisecond)
	c.Close()
	if err := <-done; err != nil {
		t.Fatalf("the running call failed: %v", err)
	}
}

// A call made while Close waits for a slow call fails at once with "the
// client is closed", whatever its context; before, it waited for Close
// (ignoring its own deadline) and then failed with "client is NULL".
func TestACallWhileCloseWaitsFailsAtOnce(t *testing.T) {
	m := fresh(t)
	m.script(t, "dev-slow-closing", []map[string]any{{"status": 200, "delay_ms": 3000}})
	c := newMockClient(t, m)
	slow := make(chan error)
	go func() { slow <- c.DeleteDevice(context.Background(), "dev-slow-closing") }()
	for len(m.log(t)) == 0 { // the slow call is running
		time.Sleep(5 * time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	for !strings.HasSuffix(c.String(), ", closed)") { // Close has begun
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	started := time.Now()
	err := c.DeleteDevice(ctx, "dev-other")
	took := time.Since(started)
	wantInvalid(t, err, "the client is closed")
	_, err = c.GetAlias(context.Background(), "user-go")
	wantInvalid(t, err, "the client is closed")
	select {
	case <-closed:
		t.Fatal("Close returned before the slow call ended")
	default:
	}
	// The slow call takes 3 s; a call that waited for Close took that long.
	if took > 2*time.Second {
		t.Errorf("the call after Close took %v", took)
	}
	if err := <-slow; err != nil {
		t.Fatalf("the running call failed: %v", err)
	}
	<-closed
	if n := len(m.log(t)); n != 1 {
		t.Errorf("%d requests sent, want only the slow call's", n)
	}
}

// The finalizer frees clients that were never closed, and only those.
func TestFinalizerFreesUnclosedClients(t *testing.T) {
	const n = 50
	m := fresh(t)
	before := finalized.Load()
	for i := 0; i < n; i++ {
		if _, err := NewClient("k", "s", WithBaseURL(m.URL)); err != nil {
			t.Fatal(err)
		}
		closed, err := NewClient("k", "s", WithBaseURL(m.URL))
		if err != nil {
			t.Fatal(err)
		}
		closed.Close() // Close removes the finalizer: no double free
	}
	deadline := time.Now().Add(10 * time.Second)
	for finalized.Load()-before < n && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := finalized.Load() - before; got != n {
		t.Fatalf("%d unclosed clients finalized, want %d", got, n)
	}
}

// Many goroutines share one client: every delete lands exactly once.
func TestConcurrentDeletesShareOneClient(t *testing.T) {
	const goroutines, each = 32, 25
	m := fresh(t)
	for g := 0; g < goroutines; g++ {
		for i := 0; i < each; i++ {
			m.addDevice(t, fmt.Sprintf("dev-%d-%d", g, i))
		}
	}
	c := newMockClient(t, m)
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				ctx := context.Background()
				if i%2 == 1 { // half with a cancel token and a deadline
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
					defer cancel()
				}
				if err := c.DeleteDevice(ctx, fmt.Sprintf("dev-%d-%d", g, i)); err != nil {
					errs <- err
				}
				// An unknown id: an error, mapped concurrently too.
				var e *Error
				if err := c.DeleteDevice(ctx, fmt.Sprintf("missing-%d-%d", g, i)); !errors.As(err, &e) || e.Kind != KindNotFound {
					errs <- fmt.Errorf("unknown id: %v", err)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if devices := m.devices(t); len(devices) != 1 || devices[0] != exampleDevice {
		t.Errorf("devices left: %d", len(devices))
	}
	if n := len(m.log(t)); n != 2*goroutines*each {
		t.Errorf("%d requests, want %d", n, 2*goroutines*each)
	}
}

func TestNewClientFromEnv(t *testing.T) {
	m := fresh(t)
	m.addDevice(t, "dev-env")
	t.Setenv("ENGAGELAB_APP_KEY", testAppKey)
	t.Setenv("ENGAGELAB_MASTER_SECRET", testMasterSecret)
	t.Setenv("ENGAGELAB_BASE_URL", m.URL)
	t.Setenv("ENGAGELAB_REGION", "")
	c, err := NewClientFromEnv(WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The core's description (el_client_describe), the empty
	// ENGAGELAB_REGION unset by the core's rule.
	if want := `engagelab.Client(app_key="` + testAppKey + `", region=none, base_url=` + strconv.Quote(m.URL) +
		`, timeout=30s, max_retries=0, proxy=no)`; c.String() != want {
		t.Errorf("String() %q, want %q", c.String(), want)
	}
	if err := c.DeleteDevice(context.Background(), "dev-env"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ENGAGELAB_REGION", "defra")
	_, err = NewClientFromEnv()
	wantInvalid(t, err, "not both")
	t.Setenv("ENGAGELAB_BASE_URL", "")
	d, err := NewClientFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if s := d.String(); !strings.Contains(s, "region=defra") || strings.Contains(s, testMasterSecret) {
		t.Errorf("String() %q: want the region, never the secret", s)
	}
	d.Close()
	t.Setenv("ENGAGELAB_BASE_URL", "")
	t.Setenv("ENGAGELAB_REGION", "mars")
	_, err = NewClientFromEnv()
	wantInvalid(t, err, "mars")
	t.Setenv("ENGAGELAB_MASTER_SECRET", "")
	_, err = NewClientFromEnv()
	wantInvalid(t, err, "ENGAGELAB_MASTER_SECRET is not set")
	t.Setenv("ENGAGELAB_APP_KEY", "")
	_, err = NewClientFromEnv()
	wantInvalid(t, err, "ENGAGELAB_APP_KEY is not set")
	// The core's message and sentence, as el_config_from_env reports them.
	if err.Error() != "engagelab: invalid argument: ENGAGELAB_APP_KEY is not set" {
		t.Errorf("Error() %q", err.Error())
	}
}

func TestVersion(t *testing.T) {
	if v := Version(); len(strings.Split(v, ".")) != 3 {
		t.Errorf("Version() = %q", v)
	}
}

// GetDevice returns what the mock holds for a device: its tags in order, its
// alias and the whole answer; a device without an alias has a nil Alias; an
// unknown id is NOT_FOUND (EngageLab's HTTP 400 with code 27002), the core's
// sentence in Error(). The device stays.
func TestGetDevice(t *testing.T) {
	m := fresh(t)
	if err := m.call("POST", "devices", map[string]any{
		"registration_id": "dev-go-get", "tags": []string{"vip", "beta"}, "alias": "alice",
	}, nil); err != nil {
		t.Fatal(err)
	}
	m.addDevice(t, "dev-go-plain")
	c := newMockClient(t, m)

	d, err := c.GetDevice(context.Background(), "dev-go-get")
	if err != nil {
		t.Fatal(err)
	}
	if d.RegistrationID != "dev-go-get" || strings.Join(d.Tags, ",") != "vip,beta" || d.Alias == nil || *d.Alias != "alice" {
		t.Fatalf("got %+v", d)
	}
	raw, err := d.Raw()
	if err != nil {
		t.Fatal(err)
	}
	if raw["alias"] != "alice" || fmt.Sprint(raw["tags"]) != "[vip beta]" {
		t.Errorf("Raw() = %v from %q", raw, d.RawJSON)
	}

	plain, err := c.GetDevice(context.Background(), "dev-go-plain")
	if err != nil {
		t.Fatal(err)
	}
	if plain.Alias != nil || plain.Tags == nil || len(plain.Tags) != 0 {
		t.Errorf("got %+v, want no tags and no alias", plain)
	}

	d, err = c.GetDevice(context.Background(), "dev-go-nope")
	var e *Error
	if d != nil || !errors.As(err, &e) || e.Kind != KindNotFound || !errors.Is(err, ErrNotFound) {
		t.Fatalf("want KindNotFound and no device, got %v, %#v", d, err)
	}
	if e.HTTPStatus != 400 || e.APICode != 27002 || e.Attempts != 1 || e.MaybeDeleted {
		t.Errorf("got %+v", e)
	}
	if !strings.HasPrefix(err.Error(), "engagelab: ") || !strings.Contains(err.Error(), e.Message) {
		t.Errorf("Error() %q", err.Error())
	}
	if !slices.Contains(m.devices(t), "dev-go-get") {
		t.Error("GetDevice removed the device")
	}

	// Like DeleteDevice: bad input is refused before sending, a cancelled
	// context stops the call.
	_, err = c.GetDevice(context.Background(), "a\x00b")
	wantInvalid(t, err, "NUL")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.GetDevice(ctx, "dev-go-get"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
}

package engagelab

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// bindUser seeds the devices of the alias "user-go": one per platform and one
// without a platform, plus a device of another alias.
func bindUser(t *testing.T, m *mock) {
	t.Helper()
	m.bind(t, "go-a1", "user-go", "android")
	m.bind(t, "go-b1", "user-go", "ios")
	m.bind(t, "go-c1", "user-go", "hmos")
	m.bind(t, "go-d1", "user-go", "")
	m.bind(t, "go-z9", "someone-else", "android")
}

// GetAlias returns the ids bound to an alias, in the mock's order, through
// one GET of the alias's path; platforms narrow it and go in the query, each
// once; an alias with no device is an empty, non-nil slice. Nothing is
// deleted.
func TestGetAlias(t *testing.T) {
	m := fresh(t)
	bindUser(t, m)
	c := newMockClient(t, m)
	ctx := context.Background()

	for _, tc := range []struct {
		alias     string
		platforms []string
		path      string
		want      []string
	}{
		{"user-go", nil, "/v4/aliases/user-go", []string{"go-a1", "go-b1", "go-c1", "go-d1"}},
		{"user-go", []string{"ios"}, "/v4/aliases/user-go?platform=ios", []string{"go-b1"}},
		{"user-go", []string{"ios", "android"}, "/v4/aliases/user-go?platform=ios,android", []string{"go-a1", "go-b1"}},
		{"user-go", []string{"hmos", "hmos"}, "/v4/aliases/user-go?platform=hmos", []string{"go-c1"}},
		{"user-go", []string{}, "/v4/aliases/user-go", []string{"go-a1", "go-b1", "go-c1", "go-d1"}},
		{"nobody-here", nil, "/v4/aliases/nobody-here", []string{}},
		{"someone-else", []string{"ios"}, "/v4/aliases/someone-else?platform=ios", []string{}},
		{"u?x#y%z", nil, "/v4/aliases/u%3Fx%23y%25z", []string{}},
	} {
		name := tc.alias + "/" + strings.Join(tc.platforms, ",")
		m.reset(t)
		bindUser(t, m)
		ids, err := c.GetAlias(ctx, tc.alias, tc.platforms...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ids == nil || !slices.Equal(ids, tc.want) {
			t.Errorf("%s: got %#v, want %q", name, ids, tc.want)
		}
		log := m.log(t)
		if len(log) != 1 || log[0].Method != "GET" || log[0].Path != tc.path {
			t.Errorf("%s: sent %+v, want GET %s", name, log, tc.path)
		}
	}
	if devices := m.devices(t); len(devices) != 6 { // the example device and bindUser's
		t.Errorf("GetAlias changed the store: %v", devices)
	}
}

// Erasing a user: resolve the alias, delete each id, resolve again: none is
// left, and the devices of other aliases stay.
func TestGetAliasErasesUser(t *testing.T) {
	m := fresh(t)
	bindUser(t, m)
	c := newMockClient(t, m)
	ctx := context.Background()
	ids, err := c.GetAlias(ctx, "user-go")
	if err != nil || len(ids) != 4 {
		t.Fatalf("got %q, %v", ids, err)
	}
	for _, id := range ids {
		if err := c.DeleteDevice(ctx, id); err != nil {
			t.Fatalf("deleting %s: %v", id, err)
		}
	}
	left, err := c.GetAlias(ctx, "user-go")
	if err != nil || left == nil || len(left) != 0 {
		t.Fatalf("after erasing: got %#v, %v", left, err)
	}
	if devices := m.devices(t); !slices.Equal(devices, []string{exampleDevice, "go-z9"}) {
		t.Errorf("devices left: %v", devices)
	}
}

// Bad aliases and platforms are the core's KindInvalidArgument, naming what
// is wrong, and send nothing (each platform name reaches the core as it
// is); a NUL byte in either is refused as in an id; a nil ctx, a nil or
// closed client are refused as for the other calls.
func TestGetAliasBadInput(t *testing.T) {
	m := fresh(t)
	bindUser(t, m)
	c := newMockClient(t, m)
	ctx := context.Background()
	for _, tc := range []struct {
		alias     string
		platforms []string
		names     string
	}{
		{"", nil, "alias is empty"},
		{strings.Repeat("a", 41), nil, "alias is 41 bytes long"},
		{"user/../devices", nil, "alias contains '/' at byte 4"},
		{"user\x0142", nil, "alias contains a control character U+0001 at byte 4"},
		{"user\n42", nil, "U+000A at byte 4"},
		{"user 42", nil, "whitespace U+0020 at byte 4"},
		{"..", nil, `alias must not be "." or ".."`},
		{"user\xff", nil, "alias"},
		{"user\x00/../x", nil, "alias contains a NUL byte at byte 4"},
		{"user-go", []string{"windows"}, `platform "windows" is not one of android, ios, hmos`},
		{"user-go", []string{"Android"}, `platform "Android"`},
		{"user-go", []string{"ios", ""}, `platform ""`},
		{"user-go", []string{"ios", "android\x00"}, "platforms[1] contains a NUL byte at byte 7"},
		{"user-go", []string{"android,ios"}, `platform "android,ios"`},
		{"user-go", []string{""}, `platform ""`},
	} {
		ids, err := c.GetAlias(ctx, tc.alias, tc.platforms...)
		if ids != nil {
			t.Errorf("%q %q: got ids %q with bad input", tc.alias, tc.platforms, ids)
		}
		t.Run(tc.names, func(t *testing.T) { wantInvalid(t, err, tc.names) })
	}
	//lint:ignore SA1012 a nil context is the bad input under test
	_, err := c.GetAlias(nil, "user-go") //nolint:staticcheck
	wantInvalid(t, err, "ctx is nil")
	var none *Client
	_, err = none.GetAlias(ctx, "user-go")
	wantInvalid(t, err, "client")
	closed := newMockClient(t, m)
	closed.Close()
	_, err = closed.GetAlias(ctx, "user-go")
	wantInvalid(t, err, "client")
	if log := m.log(t); len(log) != 0 {
		t.Errorf("bad input sent requests: %+v", log)
	}
}

// A done ctx sends nothing (KindCancelled); cancelling ctx mid-call
// stops it before the answer with KindCancelled wrapping context.Canceled; a ctx
// deadline gives KindTimeout wrapping context.DeadlineExceeded. Reading
// deletes nothing: MaybeDeleted stays false.
func TestGetAliasContext(t *testing.T) {
	m := fresh(t)
	slow := []map[string]any{{"status": 200, "body": `{"registration_ids":[]}`, "delay_ms": 3000}}
	c := newMockClient(t, m, WithMaxRetries(0))

	done, cancel := context.WithCancel(context.Background())
	cancel()
	if ids, err := c.GetAlias(done, "user-slow"); ids != nil || !errors.Is(err, context.Canceled) || !errors.Is(err, ErrCancelled) {
		t.Errorf("cancelled ctx: got %q, %#v, want KindCancelled wrapping context.Canceled", ids, err)
	}
	if log := m.log(t); len(log) != 0 {
		t.Errorf("a done ctx sent %+v", log)
	}

	m.scriptAlias(t, "user-slow", slow)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := make(chan time.Time, 1)
	go func() {
		m.awaitRequests(t, 1) // the request is on the wire
		cancelled <- time.Now()
		cancel()
	}()
	ids, err := c.GetAlias(ctx, "user-slow")
	returned := time.Now()
	if took := returned.Sub(<-cancelled); took > time.Second {
		t.Errorf("returned %v after the cancel; the answer was due 3 s after the request", took)
	}
	var e *Error
	if ids != nil || !errors.As(err, &e) || e.Kind != KindCancelled {
		t.Fatalf("want no ids and an *Error of KindCancelled, got %q, %#v", ids, err)
	}
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrCancelled) {
		t.Errorf("errors.Is(err, context.Canceled) and ErrCancelled must both hold: %v", err)
	}
	if e.MaybeDeleted || e.Attempts != 1 {
		t.Errorf("maybe_deleted %v, attempts %d: one read was sent", e.MaybeDeleted, e.Attempts)
	}

	m.scriptAlias(t, "user-deadline", slow)
	ctx, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	started := time.Now()
	_, err = c.GetAlias(ctx, "user-deadline")
	if took := time.Since(started); took < 250*time.Millisecond || took > 2*time.Second { // the answer was due after 3 s
		t.Errorf("took %v with a 300ms ctx deadline", took)
	}
	if !errors.As(err, &e) || e.Kind != KindTimeout || e.MaybeDeleted {
		t.Fatalf("want an *Error of KindTimeout, got %#v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrTimeout) {
		t.Errorf("errors.Is(err, context.DeadlineExceeded) and ErrTimeout must both hold: %v", err)
	}
}

// Many goroutines resolve aliases on one client at once (with and without a
// cancellable ctx), each getting its own alias's ids; errors are mapped
// concurrently too. Run under -race by `cargo xtask binding go test`.
func TestGetAliasConcurrent(t *testing.T) {
	const goroutines, each = 16, 25
	m := fresh(t)
	for g := 0; g < goroutines; g++ {
		m.bind(t, fmt.Sprintf("con-%d-a", g), fmt.Sprintf("user-%d", g), "android")
		m.bind(t, fmt.Sprintf("con-%d-b", g), fmt.Sprintf("user-%d", g), "ios")
	}
	c := newMockClient(t, m)
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			want := []string{fmt.Sprintf("con-%d-a", g), fmt.Sprintf("con-%d-b", g)}
			for i := 0; i < each; i++ {
				ctx := context.Background()
				if i%2 == 1 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
					defer cancel()
				}
				ids, err := c.GetAlias(ctx, fmt.Sprintf("user-%d", g))
				if err != nil || !slices.Equal(ids, want) {
					errs <- fmt.Errorf("user-%d: got %q, %v", g, ids, err)
				}
				if _, err := c.GetAlias(ctx, fmt.Sprintf("user-%d", g), "web"); !errors.Is(err, ErrInvalidArgument) {
					errs <- fmt.Errorf("platform web: %v", err)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(m.log(t)); n != goroutines*each {
		t.Errorf("%d requests, want %d", n, goroutines*each)
	}
}

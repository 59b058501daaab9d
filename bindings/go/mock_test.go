package engagelab

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The repository root, from bindings/go.
var repoRoot, _ = filepath.Abs(filepath.Join("..", ".."))

// exampleDevice is seeded into the shared mock at start-up (and so after each
// reset): the examples delete it.
const exampleDevice = "1a0018970a5c4e0b"

// The mock's demo credentials (engagelab_mock::DEFAULT_APP_KEY and
// DEFAULT_MASTER_SECRET), typed once for every test.
const (
	testAppKey       = "demo-app-key"
	testMasterSecret = "demo-master-secret"
)

// mock is a running engagelab-mock binary and its control API (/__mock/).
type mock struct {
	URL  string
	cmd  *exec.Cmd
	http *http.Client
}

// shared is the mock every test uses, started by TestMain; tests reset it.
var shared *mock

// startMock starts the binary named by ENGAGELAB_MOCK_BIN (else
// target/debug/engagelab-mock) with no environment proxy, and reads its URL
// from the first line of its stdout, as tests/contract/scenarios/README.md says.
func startMock(args ...string) (*mock, error) {
	bin := os.Getenv("ENGAGELAB_MOCK_BIN")
	if bin == "" {
		bin = filepath.Join(repoRoot, "target", "debug", "engagelab-mock")
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("engagelab-mock not found at %s: run `cargo build -p engagelab-mock` or set ENGAGELAB_MOCK_BIN", bin)
	}
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasSuffix(strings.ToLower(strings.SplitN(kv, "=", 2)[0]), "_proxy") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	url := strings.TrimSpace(line)
	if err != nil || !strings.HasPrefix(url, "http") {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("engagelab-mock printed %q instead of its URL (%v)", line, err)
	}
	// Loopback only: never route control calls through an environment proxy.
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 30 * time.Second}
	return &mock{URL: url, cmd: cmd, http: client}, nil
}

func (m *mock) stop() {
	_ = m.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = m.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = m.cmd.Process.Kill()
		<-done
	}
}

func (m *mock) call(method, path string, body, into any) error {
	return callJSON(m.http, method, m.URL+"/__mock/"+path, body, into)
}

// callJSON sends body (when not nil) as JSON and decodes a 2xx answer into
// into (when not nil); any other answer is an error.
func callJSON(client *http.Client, method, url string, body, into any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, raw)
	}
	if into != nil {
		return json.Unmarshal(raw, into)
	}
	return nil
}

// The control API, failing the test on any error.

func (m *mock) reset(t testing.TB) {
	t.Helper()
	if err := m.call("POST", "reset", map[string]any{}, nil); err != nil {
		t.Fatal(err)
	}
}

func (m *mock) addDevice(t testing.TB, id string) {
	t.Helper()
	if err := m.call("POST", "devices", map[string]any{"registration_id": id}, nil); err != nil {
		t.Fatal(err)
	}
}

func (m *mock) devices(t testing.TB) []string {
	t.Helper()
	var got struct {
		IDs []string `json:"registration_ids"`
	}
	if err := m.call("GET", "devices", nil, &got); err != nil {
		t.Fatal(err)
	}
	return got.IDs
}

func (m *mock) script(t testing.TB, id string, answers any) {
	t.Helper()
	if err := m.call("POST", "script", map[string]any{"registration_id": id, "responses": answers}, nil); err != nil {
		t.Fatal(err)
	}
}

// scriptAlias queues answers for GET /v4/aliases/{alias}.
func (m *mock) scriptAlias(t testing.TB, alias string, answers any) {
	t.Helper()
	if err := m.call("POST", "script", map[string]any{"alias": alias, "responses": answers}, nil); err != nil {
		t.Fatal(err)
	}
}

// bind adds a device bound to alias, of platform (none when "").
func (m *mock) bind(t testing.TB, id, alias, platform string) {
	t.Helper()
	seed := map[string]any{"registration_id": id, "alias": alias}
	if platform != "" {
		seed["platform"] = platform
	}
	if err := m.call("POST", "devices", seed, nil); err != nil {
		t.Fatal(err)
	}
}

func (m *mock) config(t testing.TB, settings map[string]any) {
	t.Helper()
	if err := m.call("POST", "config", settings, nil); err != nil {
		t.Fatal(err)
	}
}

type loggedRequest struct {
	Method   string      `json:"method"`
	Path     string      `json:"path"`
	Headers  [][2]string `json:"headers"`
	BodySize int64       `json:"body_size"`
}

func (m *mock) log(t testing.TB) []loggedRequest {
	t.Helper()
	var got struct {
		Requests []loggedRequest `json:"requests"`
	}
	if err := m.call("GET", "log", nil, &got); err != nil {
		t.Fatal(err)
	}
	return got.Requests
}

// awaitRequests waits until the mock has logged n requests (it logs each on
// arrival, before any scripted delay): "the request is on the wire" as a
// fact rather than a sleep. Safe on any goroutine: it reports a failure with
// t.Errorf and returns.
func (m *mock) awaitRequests(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got struct {
			Requests []loggedRequest `json:"requests"`
		}
		if err := m.call("GET", "log", nil, &got); err != nil {
			t.Errorf("reading the mock's log: %v", err)
			return
		}
		if len(got.Requests) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("the mock did not log %d requests within 10 s", n)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fresh resets the shared mock and returns it.
func fresh(t testing.TB) *mock {
	t.Helper()
	shared.reset(t)
	return shared
}

// TestMain starts the shared mock and points the environment at it, so that
// the examples can use NewClientFromEnv as a user would.
func TestMain(m *testing.M) {
	if os.Getenv("ENGAGELAB_GO_THREADS_CHILD") == "1" {
		os.Exit(m.Run()) // a child process of one test: no mock, which it would orphan if it died
	}
	var err error
	shared, err = startMock("--device", exampleDevice)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Setenv("ENGAGELAB_APP_KEY", testAppKey)
	os.Setenv("ENGAGELAB_MASTER_SECRET", testMasterSecret)
	os.Setenv("ENGAGELAB_BASE_URL", shared.URL)
	os.Unsetenv("ENGAGELAB_REGION")
	code := m.Run()
	shared.stop()
	os.Exit(code)
}

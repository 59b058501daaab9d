// Command bench measures sequential deletes against one base URL for a fixed
// time, through the Go binding (-impl binding) or through net/http, the
// client a Go user would write by hand (-impl nethttp), and prints one JSON
// line:
//
//	{"impl":"binding","calls":..,"seconds":..,"calls_per_sec":..,"p50_us":..,"p99_us":..,"cpu_us_per_call":..,"rss_mib":..}
//
// Every call must succeed, so point it at a server that answers 2xx for any
// id: engagelab-mock with unknown ids answered 200, which -mock-unknown-ok
// sets (POST /__mock/config {"unknown_device":{"status":200}}), e.g.
//
//	target/release/engagelab-mock --tls --ca-out /tmp/ca.pem   # prints https://localhost:PORT
//	go run . -url https://localhost:PORT -ca /tmp/ca.pem -mock-unknown-ok -seconds 10 -impl binding
//	go run . -url https://localhost:PORT -ca /tmp/ca.pem -mock-unknown-ok -seconds 10 -impl nethttp
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	engagelab "github.com/engagelab-push/engagelab-push/bindings/go"
)

func main() {
	base := flag.String("url", "", "base URL of the server (required)")
	seconds := flag.Float64("seconds", 5, "how long to run")
	impl := flag.String("impl", "binding", "binding (the Go binding) or nethttp (net/http)")
	caFile := flag.String("ca", "", "PEM file of an extra root CA (for a TLS mock)")
	appKey := flag.String("app-key", "demo-app-key", "AppKey")
	secret := flag.String("master-secret", "demo-master-secret", "Master Secret")
	mockUnknownOK := flag.Bool("mock-unknown-ok", false,
		"first tell engagelab-mock to answer 200 for unknown ids (POST /__mock/config)")
	flag.Parse()
	if *base == "" {
		flag.Usage()
		os.Exit(2)
	}
	if *mockUnknownOK {
		configureMock(*base, *caFile)
	}

	var call func(ctx context.Context, id string) error
	switch *impl {
	case "binding":
		opts := []engagelab.Option{engagelab.WithBaseURL(*base), engagelab.WithMaxRetries(0)}
		if *caFile != "" {
			opts = append(opts, engagelab.WithCAFile(*caFile))
		}
		c, err := engagelab.NewClient(*appKey, *secret, opts...)
		if err != nil {
			fail(err)
		}
		defer c.Close()
		call = c.DeleteDevice
	case "nethttp":
		call = netHTTP(*base, *caFile, *appKey, *secret)
	default:
		fail(fmt.Errorf("unknown -impl %q", *impl))
	}

	ctx := context.Background()
	for i := 0; i < 100; i++ { // warm up: connections, TLS session
		if err := call(ctx, "bench-warmup"); err != nil {
			fail(err)
		}
	}
	var cpu0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &cpu0)
	latencies := make([]time.Duration, 0, 1<<16)
	started := time.Now()
	end := started.Add(time.Duration(*seconds * float64(time.Second)))
	for i := 0; ; i++ {
		t0 := time.Now()
		if !t0.Before(end) {
			break
		}
		if err := call(ctx, "bench-"+strconv.Itoa(i)); err != nil {
			fail(err)
		}
		latencies = append(latencies, time.Since(t0))
	}
	elapsed := time.Since(started).Seconds()
	var cpu1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &cpu1)
	cpuUS := float64(tvUS(cpu1.Utime)+tvUS(cpu1.Stime)-tvUS(cpu0.Utime)-tvUS(cpu0.Stime)) / float64(len(latencies))

	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds())
	}
	out, _ := json.Marshal(map[string]any{
		"impl":            *impl,
		"calls":           len(latencies),
		"seconds":         round(elapsed, 3),
		"calls_per_sec":   round(float64(len(latencies))/elapsed, 1),
		"p50_us":          pct(0.50),
		"p99_us":          pct(0.99),
		"cpu_us_per_call": round(cpuUS, 1),
		"rss_mib":         round(rssMiB(), 1),
	})
	fmt.Println(string(out))
}

// configureMock makes engagelab-mock answer 200 for every unknown id.
func configureMock(base, caFile string) {
	client := &http.Client{Transport: transport(caFile), Timeout: 10 * time.Second}
	resp, err := client.Post(strings.TrimSuffix(base, "/")+"/__mock/config", "application/json",
		strings.NewReader(`{"unknown_device":{"status":200}}`))
	if err != nil {
		fail(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		fail(fmt.Errorf("POST /__mock/config: HTTP %d", resp.StatusCode))
	}
}

// transport is net/http's default transport without the environment proxy,
// trusting caFile's roots too.
func transport(caFile string) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.MaxIdleConnsPerHost = 4
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			fail(err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pool.AppendCertsFromPEM(pem)
		t.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return t
}

// netHTTP is the hand-written client: Basic auth, the id escaped as one path
// segment, any 2xx is success.
func netHTTP(base, caFile, appKey, secret string) func(context.Context, string) error {
	client := &http.Client{
		Transport: transport(caFile),
		Timeout:   30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	prefix := strings.TrimSuffix(base, "/") + "/v4/devices/"
	return func(ctx context.Context, id string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodDelete, prefix+url.PathEscape(id), nil)
		if err != nil {
			return err
		}
		req.SetBasicAuth(appKey, secret)
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	}
}

func tvUS(tv syscall.Timeval) int64 { return tv.Sec*1_000_000 + tv.Usec }

func round(x float64, digits int) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', digits, 64), 64)
	return f
}

func rssMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

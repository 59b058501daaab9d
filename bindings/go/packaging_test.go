package engagelab

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const modulePath = "github.com/engagelab-push/engagelab-push/bindings/go"

// The module works as a Go user gets it: a tiny program in an empty module
// elsewhere requires it (a replace directive points at this directory, as
// the module proxy's zip of a release tag would), builds with no cargo and no
// rustc on the PATH and no network, links the library statically, and
// deletes a device on the mock.
func TestPackaging(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("builds a program: run without -short and without -race")
	}
	moduleDir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	goBin, _ = filepath.EvalSymlinks(goBin)

	// A PATH with the go tool and the C toolchain, and without Rust.
	var path []string
	path = append(path, filepath.Dir(goBin))
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(dir, "cargo")); err == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "rustc")); err == nil {
			continue
		}
		path = append(path, dir)
	}
	for _, dir := range path {
		for _, tool := range []string{"cargo", "rustc"} {
			if _, err := os.Stat(filepath.Join(dir, tool)); err == nil {
				t.Fatalf("%s is still on the PATH in %s", tool, dir)
			}
		}
	}

	work := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(work, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/consumer\n\ngo 1.22\n\nrequire "+modulePath+" v0.0.0\n\nreplace "+
		modulePath+" => "+moduleDir+"\n")
	write("main.go", `package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	engagelab "`+modulePath+`"
)

func main() {
	client, err := engagelab.NewClientFromEnv()
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	defer client.Close()
	if err := client.DeleteDevice(context.Background(), os.Args[1]); err != nil {
		var e *engagelab.Error
		if errors.As(err, &e) {
			fmt.Println("failed:", e.Kind, e.HTTPStatus, e.APICode)
		}
		os.Exit(1)
	}
	fmt.Println("deleted", os.Args[1], "with library", engagelab.Version())
}
`)
	env := []string{
		"PATH=" + strings.Join(path, string(filepath.ListSeparator)),
		"HOME=" + os.Getenv("HOME"),
		"GOCACHE=" + os.Getenv("GOCACHE"),
		"GOPATH=" + os.Getenv("GOPATH"),
		"GOPROXY=off", // nothing to download: no network needed
		"GOFLAGS=-mod=mod",
		"GOWORK=off",
		"CGO_ENABLED=1",
	}
	if env[2] == "GOCACHE=" {
		out, _ := exec.Command(goBin, "env", "GOCACHE").Output()
		env[2] = "GOCACHE=" + strings.TrimSpace(string(out))
	}
	if env[3] == "GOPATH=" {
		out, _ := exec.Command(goBin, "env", "GOPATH").Output()
		env[3] = "GOPATH=" + strings.TrimSpace(string(out))
	}
	build := exec.Command(goBin, "build", "-o", "consumer", ".")
	build.Dir, build.Env = work, env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build in an empty module: %v\n%s", err, out)
	}

	// Static: the binary needs no libengagelab_push shared object.
	bin := filepath.Join(work, "consumer")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	libs, err := f.ImportedLibraries()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(libs, func(l string) bool { return strings.Contains(l, "engagelab") }) {
		t.Fatalf("the binary loads the library dynamically: %v", libs)
	}

	m := fresh(t)
	m.addDevice(t, "dev-packaged")
	run := exec.Command(bin, "dev-packaged")
	run.Env = append(env[:1:1],
		"ENGAGELAB_APP_KEY="+testAppKey,
		"ENGAGELAB_MASTER_SECRET="+testMasterSecret,
		"ENGAGELAB_BASE_URL="+m.URL,
		"LD_LIBRARY_PATH=", // nothing to find a shared library in
	)
	out, err := run.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "deleted dev-packaged with library ") {
		t.Fatalf("the packaged program: %v\n%s", err, out)
	}
	if slices.Contains(m.devices(t), "dev-packaged") {
		t.Fatal("the device is still there")
	}
	t.Logf("%s/%s: %s", runtime.GOOS, runtime.GOARCH, strings.TrimSpace(string(out)))
}

package engagelab

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestEraseUsersExample runs examples/erase_users as a user would, against
// the shared mock (TestMain sets the environment), in an empty directory
// where it leaves its backup, report and journal (0600).
func TestEraseUsersExample(t *testing.T) {
	m := fresh(t)
	m.bind(t, "go-erase-1", "user-go", "android")
	dir := t.TempDir()
	bin := filepath.Join(dir, "erase_users")
	if out, err := exec.Command("go", "build", "-o", bin, "./examples/erase_users").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := exec.Command(bin, "user-go", "nobody")
	run.Dir = dir
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("erase_users: %v\n%s", err, out)
	}
	for _, want := range []string{"user-go: no device bound", "nobody: no device bound", "deleted 1, failed 0"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if slices.Contains(m.devices(t), "go-erase-1") {
		t.Error("the device is still in the store")
	}
	for _, name := range []string{"erased.backup.jsonl", "erasure.report.jsonl", "erasure.journal"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", name, info, err)
		}
	}
	usage := exec.Command(bin)
	usage.Dir = dir
	if err := usage.Run(); usage.ProcessState.ExitCode() != 2 {
		t.Errorf("no argument: %v, want exit 2", err)
	}
}

// Package linux_amd64_musl holds libengagelab_push.a for linux/amd64 with musl
// (placed here by a release, from `cargo xtask dist`; build with -tags musl).
// The Go file only lets `go mod vendor` copy the directory.
package linux_amd64_musl

// Package linux_arm64_musl holds libengagelab_push.a for linux/arm64 with musl
// (placed here by a release, from `cargo xtask dist`; build with -tags musl).
// The Go file only lets `go mod vendor` copy the directory.
package linux_arm64_musl

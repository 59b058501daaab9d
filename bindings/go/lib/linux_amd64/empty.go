// Package linux_amd64 holds libengagelab_push.a for linux/amd64 (placed here by
// `cargo xtask binding go test`, or by a release). The Go file only lets
// `go mod vendor` copy the directory.
package linux_amd64

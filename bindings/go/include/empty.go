// Package include holds engagelab_push.h, the C header the binding compiles
// against (placed here by `cargo xtask binding go test`, or by a release).
// The Go file only lets `go mod vendor` copy the directory.
package include

package engagelab

// The link to libengagelab_push, statically, as wasmtime-go does: each
// supported platform has its prebuilt static library under
// lib/GOOS_GOARCH[_musl]/ and the C header under include/. The link lines are
// in link_gnu.go (glibc, the default) and link_musl.go (`-tags musl`). In the
// repository `cargo xtask binding go test` copies them there from `cargo
// xtask lib --release`; a release commits `cargo xtask dist`'s module tree
// into the tagged module (see README.md), so `go get` needs no Rust.

/*
#cgo CFLAGS: -I${SRCDIR}/include
#include <engagelab_push.h>
*/
import "C"

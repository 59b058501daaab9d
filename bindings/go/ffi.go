package engagelab

// The link to libengagelab_push, statically, as wasmtime-go does: each
// supported platform has its prebuilt static library under lib/GOOS_GOARCH/
// and the C header under include/. In the repository `cargo xtask binding go
// test` copies them there from `cargo xtask lib --release`; a release commits
// them into the tagged module (see README.md), so `go get` needs no Rust.
// The extra libraries are what `rustc --print=native-static-libs` lists for
// the static library.

/*
#cgo CFLAGS: -I${SRCDIR}/include
#cgo linux,amd64 LDFLAGS: ${SRCDIR}/lib/linux_amd64/libengagelab_push.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#cgo linux,arm64 LDFLAGS: ${SRCDIR}/lib/linux_arm64/libengagelab_push.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#include <engagelab_push.h>
*/
import "C"

//go:build linux && !musl

package engagelab

// The glibc link (the default): the libraries `rustc --print=native-static-libs`
// lists for the static library. libgcc_s is the unwinder (zig cc takes it as
// its own libunwind, linked in); libutil, librt, libpthread and libdl are
// separate libraries before glibc 2.34, so kept for the 2.17 floor.

/*
#cgo amd64 LDFLAGS: ${SRCDIR}/lib/linux_amd64/libengagelab_push.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#cgo arm64 LDFLAGS: ${SRCDIR}/lib/linux_arm64/libengagelab_push.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
*/
import "C"

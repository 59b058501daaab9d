//go:build linux && musl

package engagelab

// The musl link (`go build -tags musl`): musl's libc holds what glibc splits
// into libpthread, libdl, librt, libutil and libm, so only the unwinder is
// named: libgcc_eh, which exists for static links too (libgcc_s does not),
// and which zig cc takes as its own libunwind.

/*
#cgo amd64 LDFLAGS: ${SRCDIR}/lib/linux_amd64_musl/libengagelab_push.a -lgcc_eh
#cgo arm64 LDFLAGS: ${SRCDIR}/lib/linux_arm64_musl/libengagelab_push.a -lgcc_eh
*/
import "C"

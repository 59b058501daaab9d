//go:build includebuild

package engagelab

// These imports are never compiled (no build sets the includebuild tag): they
// only make `go mod vendor`, which copies nothing but directories holding Go
// packages, carry the header and the prebuilt static libraries along, as
// wasmtime-go does.
import (
	_ "github.com/engagelab-push/engagelab-push/bindings/go/include"
	_ "github.com/engagelab-push/engagelab-push/bindings/go/lib/linux_amd64"
	_ "github.com/engagelab-push/engagelab-push/bindings/go/lib/linux_amd64_musl"
	_ "github.com/engagelab-push/engagelab-push/bindings/go/lib/linux_arm64"
	_ "github.com/engagelab-push/engagelab-push/bindings/go/lib/linux_arm64_musl"
)

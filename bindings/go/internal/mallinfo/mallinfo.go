// Package mallinfo reads how many bytes glibc's malloc has handed out and
// not had back, for the leak tests: every native object of the library (a
// client, a cancel token, a device, an id list) is made of such bytes, while
// Go's own heap is not, so a missing free shows as exactly its bytes per call.
package mallinfo

/*
#include <malloc.h>
*/
import "C"

// InUse is malloc's bytes in use: small blocks plus mmap'd ones.
func InUse() int64 {
	m := C.mallinfo2()
	return int64(m.uordblks) + int64(m.hblkhd)
}

package engagelab

/*
#include <stdlib.h>
#include <engagelab_push.h>
*/
import "C"

import (
	"context"
	"strconv"
	"unsafe"
)

// GetAlias resolves an alias, the app's name for its user (GET
// /v4/aliases/{alias}): the registration ids of the devices bound to it, in
// the order EngageLab gave them; an empty (never nil) slice when none is.
// Erasing a user is GetAlias, DeleteDevice for each id, then GetAlias again
// to check that none is left.
//
// platforms narrows the lookup to devices of these platforms: "android",
// "ios" and "hmos", exactly; none means every platform. The core checks the
// alias before anything is sent (1 to [MaxAliasLen] bytes of UTF-8, no "/", no control,
// whitespace or invisible format character, not "." or "..") and each
// platform name as given, and sends the alias as one escaped path segment.
// The same errors, retries, deadline and context handling apply as to
// GetDevice; MaybeDeleted is always false. An answer without a list of
// registration ids is KindInvalidResponse.
func (c *Client) GetAlias(ctx context.Context, alias string, platforms ...string) ([]string, error) {
	names, free, bad := cStringArray("platforms", platforms)
	if bad != nil {
		return nil, bad
	}
	defer free()
	var out *C.el_id_list
	err := c.invoke(ctx, text{"alias", alias}, func(client *C.el_client, s *C.char, options *C.el_call_options, e *C.el_error) C.el_status {
		return C.el_get_alias_with(client, s, names, C.size_t(len(platforms)), options, &out, e)
	})
	if err != nil {
		return nil, err
	}
	defer C.el_id_list_free(out)
	ids := make([]string, int(C.el_id_list_count(out)))
	for i := range ids {
		ids[i] = C.GoString(C.el_id_list_get(out, C.size_t(i)))
	}
	return ids, nil
}

// cStringArray copies values into a C array of C strings, the C ABI's form
// of a list (NULL for none), refusing a NUL byte in any (named name[i]).
// free releases it; call it once the call has returned.
func cStringArray(name string, values []string) (array **C.char, free func(), bad *Error) {
	if len(values) == 0 {
		return nil, func() {}, nil
	}
	size := C.size_t(len(values)) * C.size_t(unsafe.Sizeof((*C.char)(nil)))
	array = (**C.char)(C.malloc(size))
	entries := unsafe.Slice(array, len(values))
	free = func() {
		for _, p := range entries {
			C.free(unsafe.Pointer(p))
		}
		C.free(unsafe.Pointer(array))
	}
	for i := range entries {
		entries[i] = nil // free(NULL) is a no-op, should a later copy fail
	}
	for i, v := range values {
		if entries[i], bad = cString(name+"["+strconv.Itoa(i)+"]", v); bad != nil {
			free()
			return nil, nil, bad
		}
	}
	return array, free, nil
}

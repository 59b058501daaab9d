package engagelab

// The C ABI calls these back during a bulk run (el_bulk_options), on the
// goroutine's thread that called el_delete_devices or el_erase_users; their
// user_data is a cgo.Handle of the run. This file holds only exports: cgo
// forbids C definitions beside them.

/*
#include <engagelab_push.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

//export goBulkProgress
func goBulkProgress(user unsafe.Pointer, p *C.el_bulk_progress) {
	r := cgo.Handle(uintptr(user)).Value().(*bulkRun)
	if r.opts.OnProgress != nil {
		progress := progressOf(p)
		r.guarded(func() { r.opts.OnProgress(progress) })
	}
}

//export goBulkConfirm
func goBulkConfirm(user unsafe.Pointer, plan *C.el_bulk_plan) C.bool {
	r := cgo.Handle(uintptr(user)).Value().(*bulkRun)
	p := BulkPlan{
		Entries: uint64(plan.entries),
		IDs:     uint64(plan.ids),
		DryRun:  bool(plan.dry_run),
	}
	yes := false
	r.guarded(func() { yes = r.opts.Confirm(p) })
	return C.bool(yes)
}

//export goBulkResolved
func goBulkResolved(user unsafe.Pointer, alias *C.char, ids *C.el_id_list) {
	r := cgo.Handle(uintptr(user)).Value().(*bulkRun)
	if r.opts.OnResolved != nil {
		name, list := C.GoString(alias), idsOf(ids)
		r.guarded(func() { r.opts.OnResolved(name, list) })
	}
}

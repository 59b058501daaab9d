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
	defer r.recover()
	if r.opts.OnProgress != nil {
		r.opts.OnProgress(progressOf(p))
	}
}

//export goBulkConfirm
func goBulkConfirm(user unsafe.Pointer, plan *C.el_bulk_plan) (yes C.bool) {
	r := cgo.Handle(uintptr(user)).Value().(*bulkRun)
	defer r.recover()
	return C.bool(r.opts.Confirm(BulkPlan{
		Entries: uint64(plan.entries),
		IDs:     uint64(plan.ids),
		DryRun:  bool(plan.dry_run),
	}))
}

//export goBulkResolved
func goBulkResolved(user unsafe.Pointer, alias *C.char, ids *C.el_id_list) {
	r := cgo.Handle(uintptr(user)).Value().(*bulkRun)
	defer r.recover()
	if r.opts.OnResolved != nil {
		r.opts.OnResolved(C.GoString(alias), idsOf(ids))
	}
}

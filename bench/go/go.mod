module github.com/engagelab-push/engagelab-push/bench/go

go 1.22

require github.com/engagelab-push/engagelab-push/bindings/go v0.0.0

// The binding as it is in this tree (cgo links the library copied into it).
replace github.com/engagelab-push/engagelab-push/bindings/go => ../../bindings/go

// The benchmark's Go clients (main.go: sequential deletes; bulk/: one bulk run), a
// module of their own over the binding in this tree.
module github.com/engagelab-push/engagelab-push/bench/go

go 1.22

require github.com/engagelab-push/engagelab-push/bindings/go v0.0.0

// The binding as it is in this tree (cgo links the library copied into it).
replace github.com/engagelab-push/engagelab-push/bindings/go => ../../bindings/go

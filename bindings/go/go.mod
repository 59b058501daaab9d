module github.com/engagelab-push/engagelab-push/bindings/go

go 1.22

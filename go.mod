module github.com/maestro-go/maestro

go 1.26.8

require gopkg.in/yaml.v3 v3.0.1

require (
	github.com/dominikbraun/graph v0.23.0 // indirect
	github.com/spf13/pflag v1.0.10 // indirect
	go.etcd.io/bbolt v1.5.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
)

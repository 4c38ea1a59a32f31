//go:build tools

// Package tools pins the etcd server built for the devcluster; its go.mod has
// replace directives, so `go install` cannot build it and this module does.
package tools

import _ "go.etcd.io/etcd/server/v3"

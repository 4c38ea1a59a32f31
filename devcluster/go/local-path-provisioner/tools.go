//go:build tools

// Package tools pins the local-path-provisioner built for the devcluster's storage.
package tools

import _ "github.com/rancher/local-path-provisioner"

//go:build tools

// Package tools pins the kwok version built for the devcluster.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"

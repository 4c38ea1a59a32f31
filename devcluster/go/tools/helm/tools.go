//go:build tools

// Package tools pins the helm version the chart tests build. It is a module of its own so that
// helm's Kubernetes client libraries never mix with the control plane's.
package tools

import _ "helm.sh/helm/v3/cmd/helm"

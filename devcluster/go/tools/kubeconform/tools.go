//go:build tools

// Package tools pins the kubeconform version the chart tests build.
package tools

import _ "github.com/yannh/kubeconform/cmd/kubeconform"

//go:build tools

// Package tools pins the Tailscale that the devcluster's local tailnet runs: tailscaled and tailscale
// for the nodes, and testcontrol, DERP and STUN in cmd/agentyard-tailnet-control.
package tools

import (
	_ "tailscale.com/cmd/tailscale"
	_ "tailscale.com/cmd/tailscaled"
)

import pkg from "../../package.json" with { type: "json" };
import { CODE_SERVER_VERSION, TAILSCALE_VERSION } from "../../schema/contract/index.ts";

/** The agent runtime image built from agent-image/; tagged with the project's version. */
export const DEFAULT_AGENT_IMAGE = `agentyard/agent:${pkg.version}`;

export const DEFAULT_EDITOR_IMAGE = `codercom/code-server:${CODE_SERVER_VERSION}`;

export const EDITOR_PORT = 8443;

/** The sidecar of mesh mode sidecar: Tailscale's official image, whose containerboot reads TS_* variables. */
export const DEFAULT_TAILSCALE_IMAGE = `tailscale/tailscale:${TAILSCALE_VERSION}`;

/**
 * A preset's variant of an agent image: the repository name with `-<preset>` appended, the tag or
 * digest kept, as agent-image/ builds them (agentyard/agent:0.1.0 → agentyard/agent-codex:0.1.0).
 */
export function presetImage(agentImage: string, preset: string): string {
  const lastSlash = agentImage.lastIndexOf("/");
  const digest = agentImage.indexOf("@", lastSlash);
  const tag = agentImage.indexOf(":", lastSlash + 1);
  const end = digest !== -1 ? digest : tag !== -1 ? tag : agentImage.length;
  return `${agentImage.slice(0, end)}-${preset}${agentImage.slice(end)}`;
}

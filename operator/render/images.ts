import pkg from "../../package.json" with { type: "json" };
import { CODE_SERVER_VERSION } from "../../schema/contract/index.ts";

/** The agent runtime image built from agent-image/; tagged with the project's version. */
export const DEFAULT_AGENT_IMAGE = `agentyard/agent:${pkg.version}`;

export const DEFAULT_EDITOR_IMAGE = `codercom/code-server:${CODE_SERVER_VERSION}`;

export const EDITOR_PORT = 8443;

import pkg from "../../package.json" with { type: "json" };

/** The agent runtime image built from agent-image/; tagged with the project's version. */
export const DEFAULT_AGENT_IMAGE = `agentyard/agent:${pkg.version}`;

/** code-server, pinned here and nowhere else. */
export const CODE_SERVER_VERSION = "4.139.0";
export const DEFAULT_EDITOR_IMAGE = `codercom/code-server:${CODE_SERVER_VERSION}`;

export const EDITOR_PORT = 8443;

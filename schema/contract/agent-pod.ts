/**
 * The agent pod as the operator renders it and the agent runtime, the api and the devcluster's node
 * agent find it.
 */

/** The container that runs the agent runtime: its status is the task's, its log is the task's log. */
export const AGENT_CONTAINER = "agent";
/**
 * The container that clones and pushes for the agent: the only one that mounts the Org's git
 * credentials, so that neither the task's command nor the editor can read them.
 */
export const GIT_CONTAINER = "git";
/** What the git container's args start with: the runtime's image runs its git side instead of a task. */
export const GIT_CONTAINER_ARGS = ["git"] as const;
/** The container that runs code-server beside it. */
export const EDITOR_CONTAINER = "editor";
/** The editor's port, by name: the Service targets it, a host-process node keys its local address by it. */
export const EDITOR_PORT_NAME = "editor";

/** code-server, pinned here and nowhere else: the editor image's tag and the devcluster's local install. */
export const CODE_SERVER_VERSION = "4.139.0";

/** Where the agent's volumes are mounted, by volume; the agent runtime falls back to these when told none. */
export const MOUNT_PATH = {
  state: "/state",
  workspace: "/workspace",
  gitHandoff: "/var/run/agentyard/handoff",
  gitHome: "/var/run/agentyard/git-home",
} as const;
/** Written into the state directory once the task's command has started: the readiness probe's file. */
export const STARTED_FILE = "started";

/**
 * The container that joins the Org's tailnet in mesh mode sidecar and publishes the editor's port
 * there (the official tailscale/tailscale image, its containerboot in userspace networking).
 */
export const TAILSCALE_CONTAINER = "tailscale";
/**
 * Tailscale, pinned here and nowhere else: the sidecar image's tag and the devcluster's local
 * tailnet, built from the tailscale.com Go module (v1.104 needs a newer Go than the one installed).
 */
export const TAILSCALE_VERSION = "v1.102.5";
/** The key of the Org's tailnet Secret that holds the pre-authorised key. */
export const TAILNET_AUTH_KEY = "authkey";
/** The condition of a sidecar-mode task that says whether its editor is on the tailnet. */
export const TAILNET_READY = "TailnetReady";

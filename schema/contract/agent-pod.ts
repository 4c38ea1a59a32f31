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

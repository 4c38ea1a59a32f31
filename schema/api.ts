/** The API group, version and resource names shared by the CRDs, the operator, the REST API and the dashboard. */
export const GROUP = "agentyard.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

export const ORG_KIND = "Org";
export const ORG_PLURAL = "orgs";
export const AGENT_TASK_KIND = "AgentTask";
export const AGENT_TASK_PLURAL = "agenttasks";

/** `kubectl get agentyard` lists both kinds. */
export const CATEGORY = "agentyard";

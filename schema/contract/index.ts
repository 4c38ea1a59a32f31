/**
 * What two parts of agentyard must agree on, and only here: the operator writes it, the api, the
 * agent runtime, the devcluster and the install read it. Kept out of schema/index.ts, which the
 * dashboard bundles for the browser: this module needs Node.
 */

export * from "./admission.ts";
export * from "./agent-env.ts";
export * from "./agent-pod.ts";
export * from "./credential-origin.ts";
export * from "./fencing.ts";
export * from "./kinds.ts";
export * from "./labels.ts";
export * from "./lifecycle.ts";
export * from "./names.ts";
export * from "./pull-request.ts";
export * from "./rbac.ts";
export * from "./state.ts";
export * from "./warm-pool.ts";

/** The single source of truth for agentyard's resources: import from here. */
export * from "./agent.ts";
export * from "./agenttask.ts";
export * from "./api.ts";
export * from "./artifact.ts";
export * from "./duration.ts";
export * from "./issues.ts";
export * from "./meta.ts";
export * from "./network.ts";
export * from "./org.ts";
export * from "./org-secret-ref.ts";
export * from "./phase.ts";
export * from "./pull-request.ts";
export * from "./quantity.ts";
export * from "./task-key.ts";

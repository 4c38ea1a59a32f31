/**
 * Where each feature's plugin is mounted. server.ts registers the plugins with these prefixes and
 * the route files spell only the paths below them; an answer that links to another feature builds
 * the link from here.
 */
export const PREFIXES = {
  /** The MVP's path, kept where its clients call it. */
  schedule: "/schedule",
  tasks: "/api/v1/tasks",
  orgs: "/api/v1/orgs",
  whoami: "/api/v1/whoami",
  events: "/api/v1/events",
} as const;

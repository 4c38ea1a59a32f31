import { join } from "node:path";
import { cacheRoot } from "./paths.ts";

/** Go's module and build caches live in agentyard's cache so that a fresh clone reuses them. */
export function goEnv(): NodeJS.ProcessEnv {
  const root = cacheRoot();
  return {
    ...process.env,
    GOMODCACHE: process.env.AGENTYARD_GOMODCACHE || join(root, "go", "mod"),
    GOCACHE: process.env.AGENTYARD_GOCACHE || join(root, "go", "build"),
    GOFLAGS: "-buildvcs=false",
    CGO_ENABLED: "0",
  };
}

import { createHash } from "node:crypto";
import { z } from "zod";

/**
 * Idempotency-Key without state in the api: the key and the caller decide the task's name, so every
 * retry creates the same object and the API server lets exactly one create win. The winner carries
 * a hash of its request, which tells a retry (same hash) from a reuse of the key (another hash).
 */

export const IDEMPOTENCY_ANNOTATION = "agentyard.dev/idempotency-request-sha256";

export const IdempotencyKeySchema = z
  .string()
  .min(1, "must not be empty")
  .max(255, "must be at most 255 characters")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces, e.g. a UUID");

/** A DNS-1035 name for the task, unique to the caller and key within the Org's namespace. */
export function idempotentTaskName(caller: string, key: string): string {
  const digest = createHash("sha256").update(`${caller}\u0000${key}`).digest("hex");
  return `task-${digest.slice(0, 20)}`;
}

/** A hash of the request that ignores key order, so the same request always hashes the same. */
export function requestHash(request: unknown): string {
  return createHash("sha256").update(canonicalJson(request)).digest("hex");
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

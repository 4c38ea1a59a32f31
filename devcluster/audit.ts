import { readFile } from "node:fs/promises";

/** The fields of an audit.k8s.io/v1 Event that tests and benchmarks read. */
export interface AuditEvent {
  verb: string;
  user?: { username?: string };
  /** The User-Agent header: tells apart processes that share a user (replicas of one operator). */
  userAgent?: string;
  /** Whom the request acted as, when its sender impersonated someone. */
  impersonatedUser?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  objectRef?: { resource?: string; namespace?: string; name?: string; subresource?: string };
  responseStatus?: { code?: number };
  /** The request's body, for the few resources the policy logs at Request level. */
  requestObject?: unknown;
  /** metav1.MicroTime (six fractional digits, UTC): compares as a string. */
  requestReceivedTimestamp?: string;
}

const WRITE_VERBS = new Set(["create", "update", "patch", "delete"]);

/** Every entry of a devcluster's audit log (JSON lines). */
export async function readAuditLog(path: string): Promise<AuditEvent[]> {
  return (await readFile(path, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEvent);
}

export function isWrite(event: AuditEvent): boolean {
  return WRITE_VERBS.has(event.verb);
}

/** How many writes (create, update, patch, delete) `user` has made so far. */
export async function countWrites(path: string, user: string): Promise<number> {
  return (await readAuditLog(path)).filter((e) => e.user?.username === user && isWrite(e)).length;
}

/** The writes of the client whose User-Agent starts with `userAgent`, such as the operator's. */
export async function writesByAgent(path: string, userAgent: string): Promise<AuditEvent[]> {
  return (await readAuditLog(path)).filter((e) => isWrite(e) && e.userAgent?.startsWith(userAgent));
}

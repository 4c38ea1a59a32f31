import type { Org } from "../schema/index.ts";
import { type Actor, callerKey } from "./actor.ts";
import { keep, share } from "./kept.ts";
import { readOrg } from "./resources.ts";

interface Kept {
  org: Org;
  expires: number;
}

/**
 * The Orgs each caller read in the last `ttlMs`, so a burst of schedules for one Org reads it once
 * instead of before every create. Only what the API server let that very caller read is given back
 * to that caller (keyed by the whole identity); a refusal or a 404 is never kept. What a kept Org
 * decides is its namespace, which never changes (the CRD refuses it), and how the answer reads:
 * the create that follows is still made as the caller and authorized by the API server, and the
 * operator cancels a task of an Org being deleted (OrgDeleted), so an Org deleted within the window
 * costs the caller only the early 409.
 */
export class RecentOrgs {
  private readonly ttlMs: number;
  private readonly kept = new Map<string, Kept>();
  private readonly pending = new Map<string, Promise<Org>>();

  constructor(ttlMs: number) {
    this.ttlMs = ttlMs;
  }

  async read(actor: Actor, name: string): Promise<Org> {
    const key = keyOf(actor, name);
    const kept = this.kept.get(key);
    if (kept && kept.expires > Date.now()) return kept.org;
    return share(this.pending, key, async () => {
      const org = await readOrg(actor, name);
      if (this.ttlMs > 0) keep(this.kept, key, { org, expires: Date.now() + this.ttlMs });
      return org;
    });
  }

  /** Reads the Org anew next time: something done with what was kept went wrong. */
  forget(actor: Actor, name: string): void {
    this.kept.delete(keyOf(actor, name));
  }
}

function keyOf(actor: Actor, name: string): string {
  return JSON.stringify([callerKey(actor.caller), name]);
}

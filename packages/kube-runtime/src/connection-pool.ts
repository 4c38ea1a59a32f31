import { createHash } from "node:crypto";
import type { ConnectionOptions } from "node:tls";
import { Agent, type Dispatcher } from "undici";

/** What a connection to the API server is made with: the kubeconfig's TLS material, read per request. */
export type TlsMaterial = Pick<
  ConnectionOptions,
  "ca" | "cert" | "key" | "rejectUnauthorized" | "servername"
>;

/**
 * The connections of one client to one API server, kept open and reused. client-node builds a new
 * undici Agent for every request, so each one opens a TCP connection and a TLS handshake, and the
 * agents are never closed. The pool is replaced when the TLS material changes (a rotated client
 * certificate on disk, an exec plugin's new one); requests still on the old pool finish there.
 */
export class ConnectionPool {
  private current: { fingerprint: string; agent: Agent } | undefined;
  private readonly retired = new Set<Agent>();

  for(tls: TlsMaterial): Dispatcher {
    const fingerprint = fingerprintOf(tls);
    if (this.current?.fingerprint === fingerprint) return this.current.agent;
    if (this.current) this.retire(this.current.agent);
    const agent = new Agent({
      // client-go's and client-node's keep-alive probe interval: idle load balancers drop at 60 s.
      connect: { ...definedOnly(tls), keepAlive: true, keepAliveInitialDelay: 30_000 },
    });
    this.current = { fingerprint, agent };
    return agent;
  }

  async close(): Promise<void> {
    const agents = [...this.retired, ...(this.current ? [this.current.agent] : [])];
    this.current = undefined;
    this.retired.clear();
    await Promise.all(agents.map((agent) => agent.destroy()));
  }

  private retire(agent: Agent): void {
    this.retired.add(agent);
    void agent.close().finally(() => this.retired.delete(agent));
  }
}

function definedOnly(tls: TlsMaterial): TlsMaterial {
  return Object.fromEntries(Object.entries(tls).filter(([, value]) => value !== undefined));
}

function fingerprintOf(tls: TlsMaterial): string {
  const hash = createHash("sha256");
  const add = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) add(item);
    else hash.update(Buffer.isBuffer(value) ? value : String(value)).update("\0");
  };
  for (const [name, value] of Object.entries(definedOnly(tls)).sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`${name}\0`);
    add(value);
  }
  return hash.digest("hex");
}

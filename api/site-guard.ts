import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { Problem, ProblemType } from "./problem.ts";

export interface SiteGuardOptions {
  /**
   * Host header values this api answers to (lower case, with the port). A web page that rebinds its
   * own name to 127.0.0.1 still sends that name as Host, so a loopback api refuses it. Unchecked when
   * undefined: behind a Service or an Ingress the name is the operator's choice.
   */
  allowedHosts: () => ReadonlySet<string> | undefined;
  /** Origins allowed by CORS, whose pages may also write. */
  corsOrigins: readonly string[];
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** What a browser sends as Sec-Fetch-Site for a request a page of this api made, or a person typed. */
const SAME_SITE_FETCH = new Set(["same-origin", "none"]);

/** The Host names a server on `host:port` is reached by from this machine, as browsers write them. */
export function loopbackHosts(host: string, port: number): Set<string> {
  const names = new Set([`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
  names.add(`${host.includes(":") ? `[${host}]` : host}:${port}`.toLowerCase());
  return names;
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}

function refused(detail: string): Problem {
  return new Problem(403, ProblemType.forbidden, detail);
}

/**
 * Refuses requests a browser was tricked into sending: any request whose Host is not this api's own
 * name (DNS rebinding), and a write (POST, DELETE, ...) that another site's page sends (CSRF),
 * recognised by its Sec-Fetch-Site or its Origin. Programs that send neither header are unaffected.
 */
export const siteGuardPlugin = fp<SiteGuardOptions>(
  async (app: FastifyInstance, { allowedHosts, corsOrigins }) => {
    const trusted = new Set(corsOrigins);
    app.addHook("onRequest", async (request: FastifyRequest) => {
      const host = request.headers.host?.toLowerCase();
      const hosts = allowedHosts();
      if (hosts && (!host || !hosts.has(host))) {
        throw refused(
          `this api answers only to ${[...hosts].join(", ")}, not to Host ${JSON.stringify(host ?? "")}; open it by one of those addresses`,
        );
      }
      if (SAFE_METHODS.has(request.method)) return;
      const origin = request.headers.origin;
      // By host, not scheme: behind a proxy that ends TLS the page is https and this request http.
      const sameOrigin = origin !== undefined && host !== undefined && originHost(origin) === host;
      const allowed = sameOrigin || (origin !== undefined && trusted.has(origin));
      if (origin !== undefined && !allowed) {
        throw refused(
          `a ${request.method} from a page of ${origin} is refused: only this api's own pages and the configured CORS origins may write`,
        );
      }
      const site = request.headers["sec-fetch-site"];
      if (typeof site === "string" && !SAME_SITE_FETCH.has(site) && !allowed) {
        throw refused(
          `a ${request.method} that another site's page sent (Sec-Fetch-Site: ${site}) is refused`,
        );
      }
    });
  },
);

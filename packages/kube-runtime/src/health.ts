import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { type Logger, silentLogger } from "./log.ts";
import { collectProcessMetrics } from "./metrics.ts";

export interface HealthServerOptions {
  /** "host:port", or a bare port (all interfaces); port 0 picks a free one. */
  address: string;
  /** Whether the process can do its work (informers synced). A standby that is not leading is ready. */
  ready: () => boolean;
  /** What /metrics serves; process metrics are added to it. */
  registry: Registry;
  log?: Logger;
}

export interface HealthServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves /healthz (the process answers), /readyz and /metrics. */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const log = options.log ?? silentLogger();
  const { host, port } = parseAddress(options.address);
  const { registry } = options;
  collectProcessMetrics(registry);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const ready = safely(options.ready, log);
      res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(ready ? "ok\n" : "not ready\n");
    } else if (path === "/metrics") {
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        (err: unknown) => {
          log.error({ err }, "collecting metrics failed");
          res.writeHead(500).end();
        },
      );
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  log.info({ port: bound }, "serving /healthz, /readyz and /metrics");
  return {
    url: `http://${shown}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parseAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(":");
  const host = colon < 0 ? "0.0.0.0" : address.slice(0, colon).replace(/^\[|\]$/g, "") || "0.0.0.0";
  const port = Number(colon < 0 ? address : address.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`bad listen address: ${address}`);
  return { host, port };
}

function safely(check: () => boolean, log: Logger): boolean {
  try {
    return check();
  } catch (err) {
    log.error({ err }, "readiness check threw");
    return false;
  }
}

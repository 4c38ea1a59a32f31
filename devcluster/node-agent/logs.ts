import { existsSync } from "node:fs";
import { open, readFile, stat } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import { writeSelfSigned } from "../self-signed.ts";
import { LOCAL_IP } from "./status.ts";

export interface LogServer {
  port: number;
  close(): Promise<void>;
}

/**
 * A self-signed serving certificate for the kubelet endpoint. The devcluster's API server is not
 * given --kubelet-certificate-authority, so, like a default API server, it does not verify it.
 */
async function certificate(dir: string): Promise<{ key: Buffer; cert: Buffer }> {
  const key = join(dir, "kubelet.key");
  const cert = join(dir, "kubelet.crt");
  if (!existsSync(key) || !existsSync(cert)) {
    await writeSelfSigned({
      keyFile: key,
      certFile: cert,
      commonName: "agentyard-local",
      ip: LOCAL_IP,
      days: 3650,
    });
  }
  return { key: await readFile(key), cert: await readFile(cert) };
}

/** The end of a log: its last `lines` lines, at most `bytes` bytes. */
export function tail(text: Buffer, lines: number | undefined, bytes: number | undefined): Buffer {
  let out = text;
  if (lines !== undefined) {
    let at = out.length;
    // A final newline ends the last line rather than starting another.
    if (at > 0 && out[at - 1] === 0x0a) at--;
    for (let n = 0; n < lines && at > 0; n++) at = out.lastIndexOf(0x0a, at - 1);
    out = lines === 0 ? Buffer.alloc(0) : out.subarray(at <= 0 ? 0 : at + 1);
  }
  return bytes !== undefined ? out.subarray(0, bytes) : out;
}

/**
 * The one kubelet API the API server proxies that matters here: container logs, so `kubectl logs`
 * and the dashboard's log tail work for local pods. On loopback, without authentication (the API
 * server sends no client certificate to kubelets in the devcluster): dev only.
 */
export async function startLogServer(
  dir: string,
  logFile: (namespace: string, pod: string, container: string) => string | undefined,
): Promise<LogServer> {
  const server: Server = createServer(await certificate(dir), async (req, res) => {
    const url = new URL(req.url ?? "/", "https://local");
    const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const file = match && logFile(...(match.slice(1).map(decodeURIComponent) as [string, string, string]));
    if (req.method !== "GET" || !file) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not a container of a pod on this node\n");
      return;
    }
    const number = (name: string) => {
      const v = url.searchParams.get(name);
      return v === null ? undefined : Number(v);
    };
    const text = await readFile(file).catch(() => Buffer.alloc(0));
    res.writeHead(200, { "content-type": "text/plain" });
    res.write(tail(text, number("tailLines"), number("limitBytes")));
    if (url.searchParams.get("follow") !== "true") {
      res.end();
      return;
    }
    // Follow by reading what was appended, until the client goes away.
    let offset = text.length;
    const timer = setInterval(async () => {
      const size = (await stat(file).catch(() => undefined))?.size ?? offset;
      if (size <= offset) return;
      const handle = await open(file, "r");
      const chunk = Buffer.alloc(size - offset);
      await handle.read(chunk, 0, chunk.length, offset).finally(() => handle.close());
      offset = size;
      res.write(chunk);
    }, 250);
    res.on("close", () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, LOCAL_IP, resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { createServer, request } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DevCluster } from "../../devcluster/cluster.ts";
import { writeSelfSigned } from "../../devcluster/self-signed.ts";

export interface Certificate {
  /** PEM. */
  cert: string;
  /** PEM. */
  key: string;
}

/** A self-signed serving certificate for 127.0.0.1: a client trusts it by taking it as its CA. */
export async function selfSignedCertificate(): Promise<Certificate> {
  const dir = await mkdtemp(join(tmpdir(), "agentyard-tls-"));
  try {
    await writeSelfSigned({
      keyFile: join(dir, "key.pem"),
      certFile: join(dir, "cert.pem"),
      commonName: "agentyard-test",
      ip: "127.0.0.1",
      days: 1,
    });
    return {
      cert: await readFile(join(dir, "cert.pem"), "utf8"),
      key: await readFile(join(dir, "key.pem"), "utf8"),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface RecordingServer {
  /** https://127.0.0.1:<port> */
  url: string;
  /** The certificate it serves, PEM: the CA a client needs. */
  ca: string;
  /** The Authorization header of every request it received, in order ("" for none). */
  readonly authorizations: string[];
  close(): Promise<void>;
}

/**
 * An HTTPS server on 127.0.0.1 that notes the Authorization header of every request before `handle`
 * answers it. Its sockets do not keep the process alive, so it stops with the suite at the latest.
 */
export async function recordingServer(handle: RequestListener): Promise<RecordingServer> {
  const { cert, key } = await selfSignedCertificate();
  const authorizations: string[] = [];
  const server = createServer({ cert, key }, (req, res) => {
    authorizations.push(req.headers.authorization ?? "");
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  server.on("connection", (socket: Socket) => socket.unref());
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ca: cert,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Passes a request on to a devcluster's API server at `path`, as a load balancer in front of it would. */
export function forwardTo(
  cluster: DevCluster,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): void {
  const target = new URL(cluster.server);
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      path,
      method: req.method,
      headers: { ...req.headers, host: target.host },
      ca: cluster.info().ca,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      // The server went away mid-answer (a watch, say): so does the answer, as a load balancer's would.
      answer.on("close", () => {
        if (!answer.complete) res.destroy();
      });
    },
  );
  upstream.on("error", () => res.destroy());
  res.on("close", () => upstream.destroy());
  req.pipe(upstream);
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { DevCluster } from "../../devcluster/cluster.ts";
import { forwardTo, selfSignedCertificate } from "../../test/support/tls.ts";

/** pass: a load balancer in front of the API server; the others: how it misbehaves instead. */
export type ProxyMode = "pass" | "hang" | "forbidden" | "error";

export interface FaultProxy {
  /** https://127.0.0.1:<port> */
  url: string;
  /** The certificate it serves, PEM: the CA a client needs. */
  ca: string;
  /**
   * Switches how the proxy answers. Open connections are cut, as when a load balancer or the
   * server behind it restarts, so that watches made before meet the new mode when they reconnect.
   */
  setMode(mode: ProxyMode): void;
  close(): Promise<void>;
}

function status(res: ServerResponse, code: number, reason: string): void {
  res
    .writeHead(code, { "content-type": "application/json" })
    .end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason, code }));
}

/** An HTTPS proxy on 127.0.0.1 in front of a devcluster's API server, with a switch for faults. */
export async function faultProxy(cluster: DevCluster): Promise<FaultProxy> {
  const { cert, key } = await selfSignedCertificate();
  let mode: ProxyMode = "pass";
  const sockets = new Set<Socket>();
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    switch (mode) {
      case "pass":
        return forwardTo(cluster, req, res, req.url ?? "/");
      case "hang":
        // Held open and never answered, until the mode changes and the connection is cut.
        return;
      case "forbidden":
        return status(res, 403, "Forbidden");
      case "error":
        return status(res, 500, "InternalError");
    }
  };
  const server = createServer({ cert, key }, handle);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ca: cert,
    setMode(next) {
      mode = next;
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

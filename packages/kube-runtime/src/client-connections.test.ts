import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { promisify } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClusterClient, clientFromKubeConfig } from "./client.ts";

/** A self-signed serving certificate for 127.0.0.1, made by openssl in a directory of its own. */
async function servingPair(): Promise<{ cert: Buffer; key: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), "kube-runtime-pool-"));
  try {
    const [certFile, keyFile] = [join(dir, "tls.crt"), join(dir, "tls.key")];
    await promisify(execFile)("openssl", [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=pool-test"],
      ...["-addext", "subjectAltName=IP:127.0.0.1"],
    ]);
    return { cert: await readFile(certFile), key: await readFile(keyFile) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("a client's connections", () => {
  let server: Server;
  let cert: Buffer;
  const handshakes: TLSSocket[] = [];
  const authorizations: (string | undefined)[] = [];

  beforeAll(async () => {
    const pair = await servingPair();
    cert = pair.cert;
    server = createServer(pair, (req, res) => {
      authorizations.push(req.headers.authorization);
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify(req.url === "/version" ? { major: "1", minor: "36" } : { items: [] }));
    });
    server.on("secureConnection", (socket: TLSSocket) => handshakes.push(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function client(): { client: ClusterClient; kc: KubeConfig } {
    handshakes.length = 0;
    authorizations.length = 0;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        {
          name: "pooled",
          server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
          caData: cert.toString("base64"),
          skipTLSVerify: false,
        },
      ],
      users: [{ name: "someone", token: "first" }],
      contexts: [{ name: "pooled", cluster: "pooled", user: "someone" }],
      currentContext: "pooled",
    });
    return { client: clientFromKubeConfig(kc, "pooled"), kc };
  }

  it("sends requests, fenced writes and typed calls over the connections of one pool", async () => {
    const { client: c } = client();
    try {
      for (let i = 0; i < 5; i++) {
        await c.request("GET", "/api/v1/namespaces");
        await c.request("PUT", "/api/v1/namespaces/a", { body: {}, signal: new AbortController().signal });
        await c.version.getCode();
        await c.core.listNamespace();
      }
      expect(authorizations).toHaveLength(20);
      // One after the other, yet a request may start before the connection of the one before is
      // free again: undici then opens a second. Without the pool, every request opened its own.
      expect(handshakes.length).toBeLessThanOrEqual(2);
    } finally {
      await c.close();
    }
  });

  it("reads the kubeconfig's credentials anew for every request", async () => {
    const { client: c, kc } = client();
    try {
      await c.request("GET", "/api/v1/namespaces");
      (kc.getCurrentUser() as { token?: string }).token = "second";
      await c.request("GET", "/api/v1/namespaces");
      expect(authorizations).toEqual(["Bearer first", "Bearer second"]);
    } finally {
      await c.close();
    }
  });

  it("closes its connection when the client is closed, and opens another for a later request", async () => {
    const { client: c } = client();
    await c.request("GET", "/api/v1/namespaces");
    const [socket] = handshakes as [TLSSocket];
    const closed = new Promise((resolve) => socket.once("close", resolve));
    await c.close();
    await closed;
    await c.request("GET", "/api/v1/namespaces");
    expect(handshakes).toHaveLength(2);
    await c.close();
  });
});

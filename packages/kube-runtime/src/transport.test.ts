import { execFile } from "node:child_process";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClusterClient, clientFromKubeConfig } from "./client.ts";
import { ConnectionPool } from "./connection-pool.ts";
import { Deadline, monotonicNow } from "./deadline.ts";

interface Served {
  port: number;
  requests: string[];
  stop: () => Promise<void>;
}

/** An API server stand-in on loopback that notes each request with its body. */
async function serve(tls?: { key: string; cert: string }): Promise<Served> {
  const requests: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      requests.push(`${req.method} ${req.url} ${body}`);
      res.setHeader("content-type", "application/json");
      res.end("{}");
    });
  };
  const server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function clientOf(port: number, ca?: string): ClusterClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      ca
        ? { name: "here", server: `https://127.0.0.1:${port}`, caData: Buffer.from(ca).toString("base64") }
        : { name: "here", server: `http://127.0.0.1:${port}`, skipTLSVerify: true },
    ],
    users: [{ name: "me", token: "t" }],
    contexts: [{ name: "here", cluster: "here", user: "me" }],
    currentContext: "here",
  });
  return clientFromKubeConfig(kc, "here");
}

let dir: string;
let tls: { key: string; cert: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "transport-test-"));
  const [keyFile, certFile] = [join(dir, "key.pem"), join(dir, "cert.pem")];
  await promisify(execFile)("openssl", [
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ...["-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=127.0.0.1"],
    ...["-addext", "subjectAltName=IP:127.0.0.1"],
  ]);
  tls = { key: await readFile(keyFile, "utf8"), cert: await readFile(certFile, "utf8") };
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each([
  ["plain HTTP", false],
  ["TLS, on a fresh connection", true],
])("a write through the client, over %s", (_, secure) => {
  it("is on the wire, body included, before anything else runs after the fence let it start", async () => {
    const server = await serve(secure ? tls : undefined);
    const client = clientOf(server.port, secure ? tls.cert : undefined);
    // The fence looks at the term when the connection starts the request; undici's sendHeaders
    // follows in that step. Any turn of the event loop before the body is written is a moment in
    // which a paused process (SIGSTOP) holds a write that its term may no longer allow when it
    // resumes. A microtask queued at sendHeaders runs at the first such turn.
    const steps: string[] = [];
    let sameStep = false;
    const onHeaders = () => {
      sameStep = true;
      steps.push("headers");
      queueMicrotask(() => {
        sameStep = false;
      });
    };
    const onBody = () => steps.push(sameStep ? "body, same step" : "body, a later step");
    subscribe("undici:client:sendHeaders", onHeaders);
    subscribe("undici:request:bodySent", onBody);
    try {
      const term = new Deadline(monotonicNow() + 60_000, "the renew deadline passed");
      await client.request("POST", "/api/v1/namespaces/a/configmaps", {
        body: { metadata: { name: "x" } },
        signal: term.signal,
      });
    } finally {
      unsubscribe("undici:client:sendHeaders", onHeaders);
      unsubscribe("undici:request:bodySent", onBody);
      await client.close();
      await server.stop();
    }
    expect(steps).toEqual(["headers", "body, same step"]);
    expect(server.requests).toEqual(['POST /api/v1/namespaces/a/configmaps {"metadata":{"name":"x"}}']);
  });
});

describe("a connection pool", () => {
  it("keeps its connections while the TLS material stays, and starts anew when it changes", async () => {
    const pool = new ConnectionPool();
    const first = pool.for({ ca: Buffer.from("ca-1"), cert: "cert", key: "key" });
    expect(pool.for({ key: "key", cert: "cert", ca: Buffer.from("ca-1") })).toBe(first);
    const rotated = pool.for({ ca: Buffer.from("ca-1"), cert: "cert-2", key: "key-2" });
    expect(rotated).not.toBe(first);
    expect(pool.for({ ca: Buffer.from("ca-1"), cert: "cert-2", key: "key-2" })).toBe(rotated);
    await pool.close();
  });
});

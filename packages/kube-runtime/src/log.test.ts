import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./log.ts";

describe("createLogger", () => {
  it("redacts secret-ish fields at any of the first three levels", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger("info", { name: "test", destination }).child({ controller: "c", key: "ns/a" });
    log.info(
      {
        token: "t0p",
        cluster: { kubeconfig: "apiVersion: v1" },
        req: { headers: { authorization: "Bearer x", cookie: "session=s3cret" } },
      },
      "hello",
    );
    const line = JSON.parse(lines[0] as string);
    expect(line).toMatchObject({
      name: "test",
      controller: "c",
      key: "ns/a",
      token: "[redacted]",
      msg: "hello",
    });
    expect(line.cluster.kubeconfig).toBe("[redacted]");
    expect(line.req.headers.authorization).toBe("[redacted]");
    expect(line.req.headers.cookie).toBe("[redacted]");
  });
});

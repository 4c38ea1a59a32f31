import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { lineLogger, prettyWanted, programLogger } from "./log-output.ts";

/** A terminal or a pipe that keeps what was written. */
function output(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY });
  let text = "";
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { stream, text: () => text };
}

const EVENT = [
  { token: "tok-s3cret", request: { authorization: "Bearer abc123" }, task: "demo/x" },
  "task started",
] as const;

describe("log output", () => {
  it("writes the same event as one JSON line to a pipe and as one prefixed line to a terminal, redacted in both", () => {
    const pipe = output(false);
    const terminal = output(true);
    programLogger("info", { name: "agentyard", label: "operator" }, "auto", pipe.stream).info(...EVENT);
    programLogger("info", { name: "agentyard", label: "operator" }, "auto", terminal.stream).info(...EVENT);

    const record = JSON.parse(pipe.text());
    expect(record).toMatchObject({
      name: "agentyard",
      msg: "task started",
      task: "demo/x",
      token: "[redacted]",
    });
    expect(record.request.authorization).toBe("[redacted]");

    const pretty = terminal.text();
    expect(pretty.split("\n").filter(Boolean)[0]).toMatch(/INFO.*\[operator\] task started/);
    expect(pretty).toContain("demo/x");
    expect(pretty).toContain("[redacted]");
    for (const text of [pipe.text(), pretty]) {
      expect(text).not.toContain("tok-s3cret");
      expect(text).not.toContain("abc123");
    }
  });

  it("keeps JSON when asked, even on a terminal, and pretty when asked, even in a pipe", () => {
    expect(prettyWanted("json", { isTTY: true })).toBe(false);
    expect(prettyWanted("pretty", { isTTY: false })).toBe(true);
    expect(prettyWanted("auto", { isTTY: false })).toBe(false);
    expect(prettyWanted("auto", {})).toBe(false);
    const terminal = output(true);
    programLogger("info", { name: "agentyard-api", label: "api" }, "json", terminal.stream).info("listening");
    expect(JSON.parse(terminal.text())).toMatchObject({ name: "agentyard-api", msg: "listening" });
  });

  it("turns the devcluster's progress lines into records that name their step", () => {
    const pipe = output(false);
    const log = lineLogger(
      programLogger("info", { name: "devcluster", label: "devcluster" }, "json", pipe.stream),
    );
    log("[code-server] installing 4.139.1");
    log("[devcluster] installed orgs, agenttasks");
    log("plain words");
    const records = pipe
      .text()
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    expect(records.map((r) => [r.component, r.msg])).toEqual([
      ["code-server", "installing 4.139.1"],
      [undefined, "installed orgs, agenttasks"],
      [undefined, "plain words"],
    ]);

    const terminal = output(true);
    lineLogger(programLogger("info", { name: "devcluster", label: "devcluster" }, "pretty", terminal.stream))(
      "[code-server] installing",
    );
    expect(terminal.text()).toContain("[devcluster/code-server] installing");
  });
});

import { describe, expect, it } from "vitest";
import { MAX_SUMMARY_LENGTH } from "../schema/agenttask.ts";
import { LineSplitter } from "./lines.ts";
import { commitMessage, summaryOf, titleOf } from "./message.ts";
import { Redactor } from "./redact.ts";
import { Tail } from "./tail.ts";

describe("Redactor", () => {
  it("removes URL userinfo and registered secrets in every form", () => {
    const r = new Redactor();
    r.add("p@ss/word");
    r.add("ab");
    expect(r.redact("fatal: https://bot:x@host/r.git and ssh://git@host/r")).toBe(
      "fatal: https://host/r.git and ssh://host/r",
    );
    expect(r.redact("token p@ss/word or p%40ss%2Fword; ab stays")).toBe(
      "token [redacted] or [redacted]; ab stays",
    );
  });
});

describe("Tail", () => {
  it("keeps the last bytes and drops a character cut in half", () => {
    const t = new Tail(5);
    t.push("abc");
    t.push("déf");
    expect(t.toString()).toBe("cdéf");
    t.push("gh");
    expect(t.toString()).toBe("éfgh");
    t.push("i");
    expect(t.toString()).toBe("fghi");
  });
});

describe("LineSplitter", () => {
  it("emits whole lines, holds a partial one until it ends or is flushed", () => {
    const out: string[] = [];
    const s = new LineSplitter((l) => out.push(l), 8);
    s.push("a\nb");
    s.push("c\nd");
    expect(out).toEqual(["a\n", "bc\n"]);
    s.push("123456789");
    expect(out).toEqual(["a\n", "bc\n", "d123456789"]);
    s.push("e");
    s.flush();
    expect(out.at(-1)).toBe("e");
  });
});

describe("commit messages", () => {
  const task = { task: "t1", org: "acme", attempt: 2 };

  it("take the first non-empty line as the title", () => {
    expect(titleOf("\n  Add a login page  \nwith OAuth", "t1")).toBe("Add a login page");
    expect(titleOf("   ", "t1")).toBe("agentyard: t1");
    expect(titleOf("x".repeat(150), "t1")).toHaveLength(100);
  });

  it("carry the whole prompt and trailers naming the task", () => {
    expect(commitMessage("Fix it", task)).toBe(
      "Fix it\n\nAgentyard-Org: acme\nAgentyard-Task: t1\nAgentyard-Attempt: 2\n",
    );
    expect(commitMessage("Fix it\nproperly", task)).toBe(
      "Fix it\n\nFix it\nproperly\n\nAgentyard-Org: acme\nAgentyard-Task: t1\nAgentyard-Attempt: 2\n",
    );
  });
});

describe("summaryOf", () => {
  const stat = " hello.txt | 1 +\n 1 file changed, 1 insertion(+)";

  it("is the prompt and the diffstat", () => {
    expect(summaryOf("Add a greeting", stat)).toBe(`Add a greeting\n\n${stat}`);
  });

  it("cuts a long prompt, marked, so that the summary fits in the status with its diffstat", () => {
    const summary = summaryOf("p".repeat(65_536), stat);
    expect(summary).toHaveLength(MAX_SUMMARY_LENGTH);
    expect(summary.endsWith(`…\n\n${stat}`)).toBe(true);
  });

  it("cuts a diffstat too long for the status as well", () => {
    const summary = summaryOf("Add a greeting", "s".repeat(MAX_SUMMARY_LENGTH * 2));
    expect(summary).toHaveLength(MAX_SUMMARY_LENGTH);
    expect(summary.endsWith("…")).toBe(true);
  });
});

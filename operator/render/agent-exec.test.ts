import { describe, expect, it } from "vitest";
import { ARG_MAX } from "../../schema/exec-limits.ts";
import { org, task } from "../../schema/fixtures.test-support.ts";
import { agentExec, expandedLength } from "./agent-exec.ts";
import type { Rendered } from "./rendered.test-support.ts";
import { renderTask } from "./task.ts";

const bytes = (text: string) => new TextEncoder().encode(text).length;
/** What execve counts for one string on a 64-bit machine: its bytes, its NUL and its pointer. */
const counted = (text: string) => bytes(text) + 1 + 8;

describe("expandedLength", () => {
  const defined = new Map([
    ["A", 5],
    ["EMPTY", 0],
  ]);

  it.each([
    ["no references", "plain é text", bytes("plain é text")],
    ["a defined reference", "x$(A)y", 7],
    ["an empty one", "$(EMPTY)", 0],
    ["a reference to a variable not defined before, as written", "$(B)", 4],
    ["$$ as one $", "$$(A)", 4],
    ["$$$ as $$", "$$$", 2],
    ["a $ before anything else, as written", "$x$é$", bytes("$x$é$")],
    ["an unclosed reference, as written", "$(A", 3],
    ["a name up to the first closing parenthesis, as written when not defined", "$($(A)", 6],
  ])("counts %s", (_, value, expected) => {
    expect(expandedLength(value, defined)).toBe(expected);
  });

  it("stays finite for references of references", () => {
    const doubled = new Map<string, number>();
    let size = expandedLength("x".repeat(32_768), doubled);
    for (let i = 0; i < 128; i++) {
      doubled.set("V", size);
      size = expandedLength("$(V)".repeat(8192), doubled);
    }
    expect(size).toBe(ARG_MAX);
  });
});

describe("agentExec", () => {
  const orgEnv = [
    { name: "SHARED", value: "from the Org" },
    { name: "ORG_ONLY", value: "€".repeat(1000) },
  ];
  const taskEnv = [
    { name: "SHARED", value: "from the task" },
    { name: "TASK_ONLY", value: "😀".repeat(10) },
  ];
  const o = org({ agent: { image: "agents/acme:1", env: orgEnv, args: ["--verbose"] } });
  const t = task({ command: ["sh", "-c", "make test"], agent: { env: taskEnv } });

  it("counts every env entry the renderer writes, with its NUL and pointer, by who set it", () => {
    const rendered = renderTask(t, o, { attempt: 1, running: true, editorPassword: "p", remote: false });
    const deployment = rendered.find((r) => r.kind === "Deployment") as unknown as Rendered;
    const env: { name: string; value: string }[] = deployment.spec.template.spec.containers[0].env;
    const size = (names: (n: string) => boolean) =>
      env.filter((e) => names(e.name)).reduce((sum, e) => sum + counted(`${e.name}=${e.value}`), 0);

    const exec = agentExec(t, o, 1);
    expect(exec.operator).toBe(size((n) => n.startsWith("AGENTYARD_")));
    expect(exec.org).toBe(counted(`ORG_ONLY=${"€".repeat(1000)}`));
    expect(exec.task).toBe(counted("SHARED=from the task") + counted(`TASK_ONLY=${"😀".repeat(10)}`));
    expect(exec.argv).toBe(counted("sh") + counted("-c") + counted("make test"));
    expect(exec.total).toBe(size(() => true) + exec.argv);
    expect(exec.largest).toEqual({
      name: "ORG_ONLY",
      bytes: bytes(`ORG_ONLY=${"€".repeat(1000)}`),
      part: "org",
    });
  });

  it("counts the Org's args when they are the longer argv", () => {
    const long = org({ agent: { image: "agents/acme:1", args: ["x".repeat(100)] } });
    expect(agentExec(task(), long, 1).argv).toBe(counted("x".repeat(100)));
  });

  it("counts agentyard's own values as the agent reads them, their escaped $ once", () => {
    const dollars = task({ prompt: "kill $$ $(AGENTYARD_TASK)" });
    expect(agentExec(dollars, org(), 1).operator - agentExec(task({ prompt: "x" }), org(), 1).operator).toBe(
      bytes("kill $$ $(AGENTYARD_TASK)") - 1,
    );
  });

  it("counts the attempt's digits", () => {
    expect(agentExec(t, o, 10).operator - agentExec(t, o, 9).operator).toBe(1);
  });

  it("counts each $(NAME) as the value it expands to, agentyard's own variables included", () => {
    const prompt = "p".repeat(1000);
    const copies = task({
      prompt,
      agent: { env: [{ name: "COPIES", value: "$(AGENTYARD_PROMPT)".repeat(200) }] },
    });
    const exec = agentExec(copies, org(), 1);
    expect(exec.task).toBe(counted(`COPIES=${prompt.repeat(200)}`));
    expect(exec.largest).toEqual({
      name: "COPIES",
      bytes: bytes(`COPIES=${prompt.repeat(200)}`),
      part: "task",
    });
  });

  it("expands the Org's args with the whole environment, and counts the command as written", () => {
    const env = [{ name: "LATER", value: "y".repeat(50) }];
    const referring = org({ agent: { image: "agents/acme:1", args: ["$(LATER)", "$(LATER)"] } });
    const withCommand = task({ command: ["echo", "$(LATER)", "$$"], agent: { env } });
    expect(agentExec(task({ agent: { env } }), referring, 1).argv).toBe(2 * counted("y".repeat(50)));
    expect(agentExec(withCommand, org(), 1).argv).toBe(counted("echo") + counted("$(LATER)") + counted("$$"));
  });
});

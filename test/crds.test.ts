import { describe, expect, it } from "vitest";
import { acceptedCases, type Manifest, rejectedCases } from "./crd-cases.ts";
import { kubectl } from "./support/cluster.ts";

const apply = (m: Manifest) => kubectl(["apply", "-f", "-"], { input: JSON.stringify(m) });
const remove = (m: Manifest) =>
  kubectl([
    "delete",
    "--ignore-not-found",
    "--wait",
    `${m.kind.toLowerCase()}.agentyard.dev`,
    m.metadata.name,
    ...(m.metadata.namespace ? ["-n", m.metadata.namespace] : []),
  ]);

describe("the CRDs on a real API server", () => {
  it("are Established", async () => {
    const r = await kubectl([
      "get",
      "crd",
      "orgs.agentyard.dev",
      "agenttasks.agentyard.dev",
      "-o",
      'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Established")].status}{" "}{end}',
    ]);
    expect(r.stdout.trim()).toBe("True True");
  });

  // One test, not one per case: the cases share the names acme and fix-login, so they must run in order.
  it("refuse every invalid manifest with the message that names the field", async () => {
    const failures: string[] = [];
    for (const c of rejectedCases) {
      await remove(c.manifest);
      if (c.before) {
        const b = await apply(c.before);
        if (b.code !== 0) failures.push(`${c.name}: the object before the update was refused: ${b.stderr}`);
      }
      const r = await apply(c.manifest);
      const answer = r.stderr + r.stdout;
      if (r.code === 0 || !answer.includes(`${c.field}: `) || !answer.includes(c.message)) {
        failures.push(`${c.name}: expected "${c.field}: ... ${c.message}", got: ${answer.trim()}`);
      }
      await remove(c.manifest);
    }
    expect(failures).toEqual([]);
  });

  it("accept every valid manifest", async () => {
    const failures: string[] = [];
    for (const c of acceptedCases) {
      await remove(c.manifest);
      const r = await apply(c.manifest);
      if (r.code !== 0) failures.push(`${c.name}: ${r.stderr}`);
      await remove(c.manifest);
    }
    expect(failures).toEqual([]);
  });

  it("show the printer columns in kubectl get", async () => {
    const task = acceptedCases.find((c) => c.manifest.kind === "AgentTask")?.manifest as Manifest;
    const org = acceptedCases.find((c) => c.manifest.kind === "Org")?.manifest as Manifest;
    await apply(org);
    await apply(task);
    const tasks = await kubectl(["get", "agenttasks", "-n", task.metadata.namespace as string]);
    expect(tasks.stdout.split("\n")[0]).toMatch(
      /^NAME\s+ORG\s+PHASE\s+READY\s+EDITOR\s+PR\s+AGE\s+REASON\s+MESSAGE$/,
    );
    const orgs = await kubectl(["get", "orgs"]);
    expect(orgs.stdout.split("\n")[0]).toMatch(
      /^NAME\s+NAMESPACE\s+CLUSTER\s+READY\s+RUNNING\s+QUEUED\s+AGE\s+REASON\s+MESSAGE$/,
    );
    const all = await kubectl(["get", "agentyard", "-A", "-o", "name"]);
    expect(all.stdout).toContain(`agenttask.agentyard.dev/${task.metadata.name}`);
    expect(all.stdout).toContain(`org.agentyard.dev/${org.metadata.name}`);
    await remove(task);
    await remove(org);
  });
});

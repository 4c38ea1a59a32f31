import { clientFromKubeconfigFile, LeaderElector } from "@agentyard/kube-runtime";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../devcluster/http.ts";
import { kubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

const TIMING = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 250 };

interface Candidate {
  elector: LeaderElector;
  /** "start" and "stop" in the order the callbacks ran. */
  calls: string[];
}

async function holder(namespace: string, name: string): Promise<string | undefined> {
  const r = await kubectl(["get", "lease", name, "-n", namespace, "-o", "jsonpath={.spec.holderIdentity}"]);
  return r.code === 0 ? r.stdout : undefined;
}

describe("LeaderElector on a real Lease", () => {
  const running: LeaderElector[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((e) => e.stop()));
  });

  async function twoCandidates(): Promise<{ namespace: string; name: string; a: Candidate; b: Candidate }> {
    const namespace = uniqueName("lease");
    const name = "agentyard-operator";
    const created = await kubectl(["create", "namespace", namespace]);
    expect(created.code, created.stderr).toBe(0);
    const candidate = (identity: string): Candidate => {
      const client = clientFromKubeconfigFile(sharedCluster().kubeconfig, identity);
      const elector = new LeaderElector(client, { namespace, name, identity, ...TIMING });
      const calls: string[] = [];
      running.push(elector);
      void elector.run({
        onStartedLeading: () => {
          calls.push("start");
        },
        onStoppedLeading: () => {
          calls.push("stop");
        },
      });
      return { elector, calls };
    };
    const a = candidate("a");
    await waitFor("a to lead", async () => (a.elector.isLeader() ? true : undefined));
    const b = candidate("b");
    return { namespace, name, a, b };
  }

  it("lets exactly one lead, and hands over at once when the leader releases", async () => {
    const { namespace, name, a, b } = await twoCandidates();
    expect(await holder(namespace, name)).toBe("a");
    // Several renewals pass; the standby must stay a standby throughout.
    const renewals = new Set<string>();
    let standbyLed = false;
    await waitFor("three renewals by a", async () => {
      standbyLed ||= b.elector.isLeader();
      const r = await kubectl(["get", "lease", name, "-n", namespace, "-o", "jsonpath={.spec.renewTime}"]);
      renewals.add(r.stdout);
      return renewals.size >= 3 ? true : undefined;
    });
    expect(standbyLed).toBe(false);

    const released = Date.now();
    await a.elector.release();
    expect(a.elector.isLeader()).toBe(false);
    expect(a.calls).toEqual(["start", "stop"]);
    await waitFor("b to take over", async () => (b.elector.isLeader() ? true : undefined), {
      timeoutMs: 5000,
      intervalMs: 20,
    });
    // Well before the lease would have expired: the release cleared the holder.
    expect(Date.now() - released).toBeLessThan(TIMING.leaseDurationMs);
    expect(b.calls).toEqual(["start"]);
    expect(await holder(namespace, name)).toBe("b");
  });

  it("takes over from a leader that stopped renewing only once the lease has expired", async () => {
    const { namespace, name, a, b } = await twoCandidates();
    // Like a crash: no more renewals, and no release.
    await a.elector.stop();
    const stopped = Date.now();
    expect(await holder(namespace, name)).toBe("a");
    await waitFor("b to take over", async () => (b.elector.isLeader() ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    const waited = Date.now() - stopped;
    expect(waited).toBeGreaterThanOrEqual(TIMING.leaseDurationMs - TIMING.retryPeriodMs * 2);
    expect(waited).toBeLessThan(TIMING.leaseDurationMs + 5000);
    expect(await holder(namespace, name)).toBe("b");
    const transitions = await kubectl([
      "get",
      "lease",
      name,
      "-n",
      namespace,
      "-o",
      "jsonpath={.spec.leaseTransitions}",
    ]);
    expect(transitions.stdout).toBe("1");
  });

  it("stops leading when the Lease is taken away", async () => {
    const { namespace, name, a, b } = await twoCandidates();
    await b.elector.stop();
    // Someone else overwrites the lease: the next renewal sees another holder.
    const taken = await kubectl([
      "patch",
      "lease",
      name,
      "-n",
      namespace,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { holderIdentity: "intruder", leaseDurationSeconds: 60 } }),
    ]);
    expect(taken.code, taken.stderr).toBe(0);
    await waitFor("a to step down", async () => (a.elector.isLeader() ? undefined : true), {
      timeoutMs: 5000,
    });
    expect(a.calls).toEqual(["start", "stop"]);
  });
});

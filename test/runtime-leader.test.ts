import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import {
  type ClusterClient,
  clientFromKubeConfig,
  clientFromKubeconfigFile,
  LeaderElector,
  monotonicNow,
} from "@agentyard/kube-runtime";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../devcluster/http.ts";
import { kubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

const TIMING = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 250 };

interface Candidate {
  elector: LeaderElector;
  /** "start" and "stop" in the order the callbacks ran. */
  calls: string[];
  /** Monotonic times: when each term started, when its signal aborted, when onStoppedLeading ran. */
  started: number[];
  aborted: number[];
  stopped: number[];
}

/**
 * A TCP relay to the API server that can stop passing bytes either way: to a client behind it, the
 * server took the request and never answers (a partition, or an API server that hangs).
 */
interface FreezableRelay {
  url: string;
  freeze(): void;
  close(): Promise<void>;
}

async function freezableRelay(target: string): Promise<FreezableRelay> {
  const { hostname, port } = new URL(target);
  const sockets: Socket[] = [];
  let frozen = false;
  const server: Server = createServer((downstream) => {
    const upstream = tcpConnect(Number(port), hostname);
    sockets.push(downstream, upstream);
    for (const [from, to] of [
      [downstream, upstream],
      [upstream, downstream],
    ] as const) {
      from.on("data", (chunk) => {
        if (!frozen) to.write(chunk);
      });
      from.on("error", () => to.destroy());
      from.on("close", () => to.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${address.port}`,
    freeze: () => {
      frozen = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A client of the shared devcluster that connects through `server` instead. */
function clientVia(server: string, name: string): ClusterClient {
  const kc = new KubeConfig();
  kc.loadFromFile(sharedCluster().kubeconfig);
  kc.loadFromOptions({
    clusters: kc.clusters.map((c) => ({ ...c, server })),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return clientFromKubeConfig(kc, name);
}

async function holder(namespace: string, name: string): Promise<string | undefined> {
  const r = await kubectl(["get", "lease", name, "-n", namespace, "-o", "jsonpath={.spec.holderIdentity}"]);
  return r.code === 0 ? r.stdout : undefined;
}

/** Waits until the Lease's renewTime has taken `n` new values. */
async function renewalsOf(namespace: string, name: string, n: number): Promise<void> {
  const seen = new Set<string>();
  await waitFor(`${n} renewals`, async () => {
    const r = await kubectl(["get", "lease", name, "-n", namespace, "-o", "jsonpath={.spec.renewTime}"]);
    seen.add(r.stdout);
    return seen.size > n ? true : undefined;
  });
}

describe("LeaderElector on a real Lease", () => {
  const running: LeaderElector[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((e) => e.stop()));
  });

  /** a leads, then b stands by; `ofA` changes a's timing or the client it talks through. */
  async function twoCandidates(
    ofA: { timing?: typeof TIMING; client?: ClusterClient } = {},
    timingOfB: typeof TIMING = ofA.timing ?? TIMING,
  ): Promise<{ namespace: string; name: string; a: Candidate; b: Candidate }> {
    const namespace = uniqueName("lease");
    const name = "agentyard-operator";
    const created = await kubectl(["create", "namespace", namespace]);
    expect(created.code, created.stderr).toBe(0);
    const candidate = (identity: string, timing: typeof TIMING, client?: ClusterClient): Candidate => {
      const elector = new LeaderElector(
        client ?? clientFromKubeconfigFile(sharedCluster().kubeconfig, identity),
        { namespace, name, identity, ...timing },
      );
      const c: Candidate = { elector, calls: [], started: [], aborted: [], stopped: [] };
      running.push(elector);
      void elector.run({
        onStartedLeading: (term) => {
          c.calls.push("start");
          c.started.push(monotonicNow());
          term.addEventListener("abort", () => c.aborted.push(monotonicNow()), { once: true });
        },
        onStoppedLeading: () => {
          c.calls.push("stop");
          c.stopped.push(monotonicNow());
        },
      });
      return c;
    };
    const a = candidate("a", ofA.timing ?? TIMING, ofA.client);
    await waitFor("a to lead", async () => (a.elector.isLeader() ? true : undefined));
    const b = candidate("b", timingOfB);
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

  it("neither ends a term nor hands the Lease over when the wall clock is stepped", async () => {
    // a renews once a second; b looks four times as often, so it sees the same record again and again.
    const { namespace, name, a, b } = await twoCandidates(
      { timing: { ...TIMING, retryPeriodMs: 1000 } },
      TIMING,
    );
    const wallClock = Date.now;
    let offset = 0;
    Date.now = () => wallClock() + offset;
    // The wall clock keeps being stepped an hour forward, faster than b looks: judged by it, every
    // record b sees twice would have expired long ago.
    const stepper = setInterval(() => {
      offset += 3_600_000;
    }, 50);
    try {
      let standbyLed = false;
      const watch = setInterval(() => {
        standbyLed ||= b.elector.isLeader();
      }, 20);
      await renewalsOf(namespace, name, 3);
      clearInterval(watch);
      expect(standbyLed).toBe(false);
      expect(a.elector.isLeader()).toBe(true);
      expect(a.calls).toEqual(["start"]);
      expect(b.calls).toEqual([]);
    } finally {
      clearInterval(stepper);
      Date.now = wallClock;
    }
  });

  it("cuts off a renewal that gets no answer, and stops leading at the renew deadline", async () => {
    // Longer than the other tests', so that being late is told apart from a slow machine.
    const timing = { leaseDurationMs: 6000, renewDeadlineMs: 4000, retryPeriodMs: 500 };
    const relay = await freezableRelay(sharedCluster().server);
    try {
      const { namespace, name, a, b } = await twoCandidates({
        timing,
        client: clientVia(relay.url, "a-via-relay"),
      });
      // Renewed through the relay: the connection it will reuse is one that is going to hang.
      await renewalsOf(namespace, name, 1);
      const frozen = monotonicNow();
      relay.freeze();
      await waitFor("a to stop leading", async () => (a.stopped.length > 0 ? true : undefined), {
        timeoutMs: 15_000,
        intervalMs: 20,
      });
      // Its last successful renewal started before the freeze: the term ended within the deadline
      // of it, the renewal in flight cut off rather than waited for.
      expect((a.stopped[0] as number) - frozen).toBeLessThan(timing.renewDeadlineMs + 400);
      const [aborted] = a.aborted as [number];
      expect(aborted - frozen).toBeLessThan(timing.renewDeadlineMs + 400);
      expect(a.elector.isLeader()).toBe(false);
      await waitFor("b to take over", async () => (b.started.length > 0 ? true : undefined), {
        timeoutMs: 20_000,
        intervalMs: 20,
      });
      // Strictly one after the other: the standby waits the lease duration from its own last look.
      expect(b.started[0] as number).toBeGreaterThan(aborted);
      expect((b.started[0] as number) - frozen).toBeGreaterThanOrEqual(
        timing.leaseDurationMs - timing.retryPeriodMs,
      );
    } finally {
      await relay.close();
    }
  });
});

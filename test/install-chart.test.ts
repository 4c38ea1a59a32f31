import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { synthesize } from "../cdk8s/main.ts";
import { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import { projectRoot } from "../devcluster/paths.ts";
import { freePort } from "../devcluster/ports.ts";
import { LABEL_MANAGED_BY, leaderElectionRules, operatorRules } from "../schema/contract/index.ts";
import {
  type AgentyardProcess,
  builtinSchemas,
  CHART_DIR,
  crdSchemas,
  ensureTools,
  helmTemplate,
  kubeconform,
  type Manifest,
  parseManifests,
  RELEASE,
  RELEASE_NAMESPACE,
  runTool,
  serviceAccountKubeconfig,
  startAgentyard,
  TOOL_BUILD_TIMEOUT_MS,
} from "./support/install.ts";
import { getOrg, phaseIs, waitForTask, writeAgentState } from "./support/operator.ts";

/** Values that switch on every optional branch of the templates. */
const VARIANT = {
  imagePullSecrets: [{ name: "pull" }],
  operator: {
    replicas: 3,
    agentImage: "agents.example.com/agent:2",
    secretNamespaces: ["capi-clusters", "platform-secrets"],
    nodeSelector: { "kubernetes.io/os": "linux" },
    tolerations: [{ key: "dedicated", operator: "Equal", value: "agents", effect: "NoSchedule" }],
    priorityClassName: "system-cluster-critical",
    resources: { requests: { cpu: 1, memory: "1Gi" }, limits: { memory: "2Gi" } },
    podDisruptionBudget: { enabled: false },
  },
  api: { enabled: false },
  networkPolicy: {
    metricsIngressFrom: [
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
    ],
  },
};

/** The api serving HTTPS from a TLS Secret, as cert-manager would write it. */
const TLS_VARIANT = { api: { tls: { secretName: "agentyard-api-tls" } } };

/** Every (group, resource, verb) a set of RBAC rules grants: rules grouped differently compare equal. */
function grants(rules: { apiGroups?: string[]; resources?: string[]; verbs: string[] }[]): string[] {
  return rules
    .flatMap((r) =>
      (r.apiGroups ?? []).flatMap((g) =>
        (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${g || "core"}/${res}:${v}`)),
      ),
    )
    .sort();
}

let cluster: DevCluster;
let scratch: string;

beforeAll(() => ensureTools("helm", "kubeconform"), TOOL_BUILD_TIMEOUT_MS);

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "agentyard-install-"));
  // A cluster of its own and without the CRDs: the chart installs them, and an operator runs here.
  cluster = await DevCluster.start({ name: "install" });
  await must(cluster.kubectl(["create", "namespace", RELEASE_NAMESPACE]), "creating the release namespace");
  // PodSecurity `restricted`, enforced: the API server refuses any pod of the chart that breaks it.
  await must(
    cluster.kubectl([
      "label",
      "namespace",
      RELEASE_NAMESPACE,
      "pod-security.kubernetes.io/enforce=restricted",
    ]),
    "labelling the release namespace",
  );
});

afterAll(async () => {
  await cluster?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function must(result: Promise<{ code: number; stdout: string; stderr: string }>, what: string) {
  const r = await result;
  if (r.code !== 0) throw new Error(`${what} failed: ${r.stderr || r.stdout}`);
  return r;
}

function asList(objects: unknown[]): string {
  return JSON.stringify({ apiVersion: "v1", kind: "List", items: objects });
}

/** What the API server would store for `objects` (server-side apply, dry run), minus bookkeeping. */
async function asStored(objects: unknown[]): Promise<Map<string, Manifest>> {
  const r = await must(
    cluster.kubectl(
      ["apply", "--server-side", "--dry-run=server", "--field-manager=compare", "-o", "json", "-f", "-"],
      { input: asList(objects) },
    ),
    "server-side dry run",
  );
  const stored = new Map<string, Manifest>();
  for (const o of (JSON.parse(r.stdout) as { items: Manifest[] }).items) {
    const m = o.metadata as Record<string, unknown>;
    for (const f of ["uid", "creationTimestamp", "managedFields", "resourceVersion", "generation"])
      delete m[f];
    delete o.status;
    // Each tool signs its objects; nothing else may differ.
    for (const labels of [
      o.metadata.labels,
      (o as { spec?: { template?: Manifest } }).spec?.template?.metadata.labels,
    ]) {
      for (const l of ["helm.sh/chart", LABEL_MANAGED_BY, "cdk8s.io/metadata.addr"]) delete labels?.[l];
    }
    if (o.kind === "ClusterRole" || o.kind === "Role") o.rules = grants(o.rules as never);
    stored.set(`${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`, o);
  }
  return stored;
}

describe("the Helm chart", () => {
  it("passes helm lint --strict", async () => {
    const r = await runTool("helm", ["lint", "--strict", CHART_DIR]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  // Seven helm runs: seconds each alone, over a minute in all beside a fresh machine's builds.
  it("refuses bad values through values.schema.json, naming the field", { timeout: 300_000 }, async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ operator: { replicas: 0 } }, "/operator/replicas"],
      [{ operator: { replica: 2 } }, "additional properties 'replica' not allowed"],
      [{ operator: { leaseDuration: "soon" } }, "/operator/leaseDuration"],
      [{ operator: { resources: { requests: { memory: "lots" } } } }, "/operator/resources/requests/memory"],
      [{ image: { pullPolicy: "Sometimes" } }, "/image/pullPolicy"],
      [{ api: { service: { type: "ExternalName" } } }, "/api/service/type"],
      [{ networkPolicy: { apiServerPorts: [] } }, "/networkPolicy/apiServerPorts"],
    ];
    for (const [values, message] of cases) {
      await expect(helmTemplate({ values }), JSON.stringify(values)).rejects.toThrow(message);
    }
  });

  it("renders manifests kubeconform -strict accepts, with the API server's schemas and the CRDs", async () => {
    const builtins = await builtinSchemas((args) => cluster.kubectl(args));
    const crds = await crdSchemas(join(scratch, "crd-schemas"));
    for (const values of [undefined, VARIANT, TLS_VARIANT]) {
      const r = await kubeconform(await helmTemplate({ values, includeCrds: true }), [builtins, crds]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Invalid: 0, Errors: 0, Skipped: 0/);
    }
    const orgs = await kubeconform(await readFile(join(projectRoot, "orgs.example.yaml"), "utf8"), [
      builtins,
      crds,
    ]);
    expect(orgs.stdout).toMatch(/3 resources found .* Valid: 3, Invalid: 0/);
    // Strict means strict: an unknown field fails, in a built-in kind and in an Org.
    const typo = await kubeconform(
      asList([
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "x" }, automount: false },
        {
          apiVersion: "agentyard.dev/v1alpha1",
          kind: "Org",
          metadata: { name: "x" },
          spec: { colour: "red" },
        },
      ]),
      [builtins, crds],
    );
    expect(typo.stdout).toMatch(/Invalid: 2/);
  });

  it("grants the operator the rules generated from the contract, and the api what api/rbac.yaml says", async () => {
    const objects = parseManifests(await helmTemplate());
    const role = (name: string) =>
      objects.find((o) => o.kind.endsWith("Role") && o.metadata.name === name)?.rules as never;
    // schema/contract/rbac.test.ts pins these rules to what the operator's code uses.
    expect(grants(role(`${RELEASE}-operator`))).toEqual(grants(operatorRules()));
    expect(grants(role(`${RELEASE}-operator-leader-election`))).toEqual(grants(leaderElectionRules()));
    const apiRbac = parseManifests(await readFile(join(projectRoot, "api", "rbac.yaml"), "utf8"));
    const apiRole = apiRbac.find((o) => o.kind === "ClusterRole")?.rules as never;
    expect(grants(role(`${RELEASE}-api`))).toEqual(grants(apiRole));
  });

  it("is accepted by the API server, and the cdk8s app makes the same objects and the same RBAC", async () => {
    for (const values of [{}, VARIANT, TLS_VARIANT]) {
      const fromHelm = parseManifests(await helmTemplate({ values, includeCrds: true }));
      const fromCdk8s = synthesize({ values });
      const [chart, app] = [await asStored(fromHelm), await asStored(fromCdk8s)];
      expect([...app.keys()].sort()).toEqual([...chart.keys()].sort());
      const differ = [...chart.keys()].filter((k) => !isDeepStrictEqual(chart.get(k), app.get(k)));
      for (const k of differ) expect(app.get(k), k).toEqual(chart.get(k));
    }
  });
});

describe("an install from the chart", () => {
  const processes: AgentyardProcess[] = [];

  afterAll(async () => {
    for (const p of processes) await p.stop();
  });

  it("runs the operator and the api with the chart's own ServiceAccount tokens through a task", async () => {
    try {
      await endToEnd();
    } catch (err) {
      const logs = processes.map((p) => p.output().slice(-4000)).join("\n---\n");
      throw new Error(`${(err as Error).message}\nprocess output:\n${logs}`);
    }
  });

  async function endToEnd() {
    await must(
      cluster.kubectl(["apply", "--server-side", "-f", "-"], {
        input: await helmTemplate({ includeCrds: true }),
      }),
      "applying the chart",
    );
    await must(
      cluster.kubectl([
        "wait",
        "--for=condition=Established",
        "crd/orgs.agentyard.dev",
        "crd/agenttasks.agentyard.dev",
      ]),
      "waiting for the CRDs",
    );

    const operator = startAgentyard(
      [
        "operator",
        "--kubeconfig",
        await serviceAccountKubeconfig(cluster, `${RELEASE}-operator`, scratch),
        "--lease-name",
        `${RELEASE}-operator`,
        "--metrics-address",
        "127.0.0.1:0",
      ],
      { POD_NAMESPACE: RELEASE_NAMESPACE, POD_NAME: "local-operator" },
    );
    processes.push(operator);
    const apiPort = await freePort();
    const api = startAgentyard([
      "api",
      "--kubeconfig",
      await serviceAccountKubeconfig(cluster, `${RELEASE}-api`, scratch),
      "--listen",
      `127.0.0.1:${apiPort}`,
      "--auth",
      "token",
    ]);
    processes.push(api);

    // The example Orgs are accepted as written; those in this cluster become Ready.
    const examples = join(projectRoot, "orgs.example.yaml");
    await must(cluster.kubectl(["apply", "-f", examples]), "applying orgs.example.yaml");
    const orgs = parseManifests(await readFile(examples, "utf8")) as (Manifest & {
      spec: { cluster?: unknown };
    })[];
    const local = orgs.filter((o) => !o.spec.cluster).map((o) => o.metadata.name);
    const remote = orgs.filter((o) => o.spec.cluster).map((o) => o.metadata.name);
    const [org] = local as [string];
    for (const name of local) {
      await waitFor(`Org ${name} to be Ready`, async () => {
        const o = await getOrg(cluster, name);
        return o?.status?.conditions?.find((c) => c.type === "Ready" && c.status === "True");
      });
    }

    // alice may schedule in the Org's namespace: the api checks that with SubjectAccessReview and acts as her.
    const rbac = "rbac.authorization.k8s.io";
    await must(
      cluster.kubectl(["apply", "-f", "-"], {
        input: asList([
          {
            apiVersion: `${rbac}/v1`,
            kind: "ClusterRole",
            metadata: { name: "org-reader" },
            rules: [
              { apiGroups: ["agentyard.dev"], resources: ["orgs"], resourceNames: [org], verbs: ["get"] },
            ],
          },
          {
            apiVersion: `${rbac}/v1`,
            kind: "ClusterRoleBinding",
            metadata: { name: "org-reader-alice" },
            roleRef: { apiGroup: rbac, kind: "ClusterRole", name: "org-reader" },
            subjects: [{ apiGroup: rbac, kind: "User", name: "alice" }],
          },
          {
            apiVersion: `${rbac}/v1`,
            kind: "Role",
            metadata: { name: "schedulers", namespace: `org-${org}` },
            rules: [
              { apiGroups: ["agentyard.dev"], resources: ["agenttasks"], verbs: ["create", "get", "list"] },
            ],
          },
          {
            apiVersion: `${rbac}/v1`,
            kind: "RoleBinding",
            metadata: { name: "schedulers-alice", namespace: `org-${org}` },
            roleRef: { apiGroup: rbac, kind: "Role", name: "schedulers" },
            subjects: [{ apiGroup: rbac, kind: "User", name: "alice" }],
          },
        ]),
      }),
      "granting alice",
    );
    const scheduled = await waitFor("the api to schedule the task", async () => {
      const res = await fetch(`http://127.0.0.1:${apiPort}/schedule`, {
        method: "POST",
        headers: { authorization: `Bearer ${cluster.token("alice")}`, "content-type": "application/json" },
        body: JSON.stringify({ org, task: "Add a friendly greeting to the README" }),
      });
      if (res.status !== 202) return undefined;
      return (await res.json()) as { task: { name: string; namespace: string } };
    });
    const { name, namespace } = scheduled.task;

    await waitForTask(cluster, namespace, name, "to be Running", phaseIs("Running"));
    const written = await writeAgentState(cluster, namespace, name, {
      attempt: "1",
      startedAt: new Date(Date.now() - 60_000).toISOString(),
      finishedAt: new Date().toISOString(),
      exitCode: "0",
    });
    expect(written.code, written.stderr).toBe(0);
    await waitForTask(cluster, namespace, name, "to succeed", phaseIs("Succeeded"));

    // Orgs naming a kubeconfig Secret that is not here say so, and nothing was refused anywhere.
    for (const name of remote) {
      const o = await getOrg(cluster, name);
      expect(o?.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
    }
    for (const p of [operator, api]) expect(p.output()).not.toMatch(/forbidden|\b403\b/i);
  }

  it("has its Deployments' pods admitted under PodSecurity restricted", async () => {
    const components = await waitFor("the chart's pods", async () => {
      const pods = await must(
        cluster.kubectl(["get", "pods", "-n", RELEASE_NAMESPACE, "-o", "json"]),
        "listing pods",
      );
      const items = (JSON.parse(pods.stdout) as { items: Manifest[] }).items;
      return items.length === 4
        ? items.map((p) => p.metadata.labels?.["app.kubernetes.io/component"]).sort()
        : undefined;
    });
    expect(components).toEqual(["api", "api", "operator", "operator"]);
  });
});

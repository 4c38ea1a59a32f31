import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ApiObject, Chart, Duration, Include, JsonPatch, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-33";
import type { Construct } from "constructs";
import type { Values } from "../charts/values.ts";
import { OPERATOR_IMAGE_COMMAND } from "../cli/node-flags.ts";
import {
  LABEL_MANAGED_BY,
  leaderElectionRules,
  leaderFencePolicy,
  operatorRules,
  type PolicyRule,
  taskCreatorPolicy,
} from "../schema/contract/index.ts";

/**
 * agentyard's install as a cdk8s chart: the same objects as charts/agentyard for the same values
 * (test/install-chart.test.ts compares what the API server makes of both). Workloads, accounts and
 * RBAC are cdk8s-plus constructs; NetworkPolicies and PodDisruptionBudgets are plain ApiObjects,
 * because cdk8s-plus cannot write a rule that admits every peer or has no PDB construct.
 */

export interface InstallProps {
  /** The Helm release name it stands in for: object names derive from it as the chart's do. */
  release: string;
  namespace: string;
  values: Values;
  appVersion: string;
  /** Where the CRD files are (the chart's crds/). */
  crdsDir: string;
}

type Component = "operator" | "api";

/**
 * Patches land before cdk8s-plus's typed serializer, which reads every quantity's `.value` (and
 * camelCase field names, e.g. setHostnameAsFqdn): hand it Quantity objects, not strings.
 */
/** Where the api's pod mounts the TLS Secret of values.api.tls. */
const API_TLS_DIR = "/etc/agentyard/tls";

/** authentication.k8s.io resources the api impersonates: the caller's uid and a ServiceAccount token's extras. */
const IMPERSONATED_IDENTITY = [
  "uids",
  ...["credential-id", "node-name", "node-uid", "pod-name", "pod-uid"].map(
    (key) => `userextras/authentication.kubernetes.io/${key}`,
  ),
];

function quantities(resources: Values["operator"]["resources"]) {
  const list = (l: Record<string, string | number> | undefined) =>
    l && Object.fromEntries(Object.entries(l).map(([k, v]) => [k, kplus.k8s.Quantity.fromString(String(v))]));
  return { requests: list(resources.requests), limits: list(resources.limits) };
}

function allowAll(role: kplus.Role | kplus.ClusterRole, rules: PolicyRule[]): void {
  for (const { apiGroups, resources, verbs } of rules) {
    for (const apiGroup of apiGroups) {
      role.allow(verbs, ...resources.map((r) => kplus.ApiResource.custom({ apiGroup, resourceType: r })));
    }
  }
}

export class AgentyardInstall extends Chart {
  private readonly props: InstallProps;
  readonly fullname: string;

  constructor(scope: Construct, id: string, props: InstallProps) {
    super(scope, id, { disableResourceNameHashes: true });
    // zod hands back some objects without a prototype, which cdk8s's resolver drops as empty.
    this.props = { ...props, values: JSON.parse(JSON.stringify(props.values)) as Values };
    const name = props.release.includes("agentyard") ? props.release : `${props.release}-agentyard`;
    this.fullname = name.slice(0, 50).replace(/-+$/, "");

    for (const file of readdirSync(props.crdsDir).sort()) {
      new Include(this, `crd-${file}`, { url: join(props.crdsDir, file) });
    }
    this.operator();
    if (props.values.api.enabled) this.api();
  }

  private selectorOf(component: Component): Record<string, string> {
    return {
      "app.kubernetes.io/name": "agentyard",
      "app.kubernetes.io/instance": this.props.release,
      "app.kubernetes.io/component": component,
    };
  }

  private componentLabels(component: Component): Record<string, string> {
    return {
      ...this.selectorOf(component),
      "app.kubernetes.io/version": this.props.appVersion,
      "app.kubernetes.io/part-of": "agentyard",
      [LABEL_MANAGED_BY]: "cdk8s",
    };
  }

  private meta(component: Component, name: string, namespaced = true) {
    return {
      name,
      labels: this.componentLabels(component),
      ...(namespaced ? { namespace: this.props.namespace } : {}),
    };
  }

  private serviceAccount(component: Component, name: string): kplus.ServiceAccount {
    return new kplus.ServiceAccount(this, `${component}-sa`, {
      metadata: this.meta(component, name),
      automountToken: false,
    });
  }

  private operator(): void {
    const v = this.props.values.operator;
    const name = `${this.fullname}-operator`;
    const sa = this.serviceAccount("operator", name);

    // The chart's rules, from the same table.
    const role = new kplus.ClusterRole(this, "operator-clusterrole", {
      metadata: this.meta("operator", name, false),
    });
    allowAll(role, operatorRules());
    new kplus.ClusterRoleBinding(this, "operator-clusterrolebinding", {
      metadata: this.meta("operator", name, false),
      role,
    }).addSubjects(sa);

    const leaderElection = `${name}-leader-election`;
    const lease = new kplus.Role(this, "operator-leader-election", {
      metadata: this.meta("operator", leaderElection),
    });
    allowAll(lease, leaderElectionRules());
    new kplus.RoleBinding(this, "operator-leader-election-binding", {
      metadata: this.meta("operator", leaderElection),
      role: lease,
    }).addSubjects(sa);

    const self = { namespace: this.props.namespace, name };
    const fence = leaderFencePolicy(
      `${name}-leader-fence`,
      { serviceAccount: self, lease: self },
      this.meta("operator", "", false),
    );
    new ApiObject(this, "operator-leader-fence-policy", fence.policy as never);
    new ApiObject(this, "operator-leader-fence-binding", fence.binding as never);

    const args = [
      "operator",
      `--lease-name=${name}`,
      `--lease-duration=${v.leaseDuration}`,
      `--concurrency=${v.concurrency}`,
      `--metrics-address=:${v.metricsPort}`,
      `--log-level=${v.logLevel}`,
      ...(v.agentImage ? [`--agent-image=${v.agentImage}`] : []),
      ...(v.editorImage ? [`--editor-image=${v.editorImage}`] : []),
      ...(v.tailscaleImage ? [`--tailscale-image=${v.tailscaleImage}`] : []),
      ...(v.secretNamespaces.length > 0 ? [`--secret-namespaces=${v.secretNamespaces.join(",")}`] : []),
    ];
    this.deployment("operator", name, sa, {
      replicas: v.replicas,
      command: OPERATOR_IMAGE_COMMAND,
      args,
      port: { name: "metrics", number: v.metricsPort },
      env: {
        POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
        POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
      },
      workload: v,
    });
    if (v.podDisruptionBudget.enabled)
      this.disruptionBudget("operator", name, v.podDisruptionBudget.maxUnavailable);
    if (this.props.values.networkPolicy.enabled) {
      this.networkPolicy("operator", name, v.metricsPort, this.props.values.networkPolicy.metricsIngressFrom);
    }
  }

  private api(): void {
    const v = this.props.values.api;
    const name = `${this.fullname}-api`;
    const sa = this.serviceAccount("api", name);
    // The same rules as api/rbac.yaml: review tokens and access, impersonate callers, nothing else.
    const role = new kplus.ClusterRole(this, "api-clusterrole", { metadata: this.meta("api", name, false) });
    role.allow(["create"], kplus.ApiResource.TOKEN_REVIEWS);
    role.allow(["create"], kplus.ApiResource.SUBJECT_ACCESS_REVIEWS);
    role.allow(
      ["impersonate"],
      ...["users", "groups", "serviceaccounts"].map((r) =>
        kplus.ApiResource.custom({ apiGroup: "", resourceType: r }),
      ),
      ...IMPERSONATED_IDENTITY.map((r) =>
        kplus.ApiResource.custom({ apiGroup: "authentication.k8s.io", resourceType: r }),
      ),
    );
    const admission = taskCreatorPolicy(`${this.fullname}-task-creator`, this.meta("api", "", false));
    new ApiObject(this, "api-task-creator-policy", admission.policy as never);
    new ApiObject(this, "api-task-creator-binding", admission.binding as never);
    new kplus.ClusterRoleBinding(this, "api-clusterrolebinding", {
      metadata: this.meta("api", name, false),
      role,
    }).addSubjects(sa);

    const tls = v.tls.secretName;
    const deployment = this.deployment("api", name, sa, {
      replicas: v.replicas,
      args: [
        "api",
        `--listen=:${v.port}`,
        "--auth=token",
        `--log-level=${v.logLevel}`,
        ...(tls ? [`--tls-cert=${API_TLS_DIR}/tls.crt`, `--tls-key=${API_TLS_DIR}/tls.key`] : []),
      ],
      port: { name: "http", number: v.port },
      env: {},
      workload: v,
    });
    if (tls) {
      const pod = "/spec/template/spec";
      ApiObject.of(deployment).addJsonPatch(
        JsonPatch.add(`${pod}/volumes/-`, { name: "tls", secret: { secretName: tls } }),
        JsonPatch.add(`${pod}/containers/0/volumeMounts/-`, {
          name: "tls",
          mountPath: API_TLS_DIR,
          readOnly: true,
        }),
        JsonPatch.add(`${pod}/containers/0/livenessProbe/httpGet/scheme`, "HTTPS"),
        JsonPatch.add(`${pod}/containers/0/readinessProbe/httpGet/scheme`, "HTTPS"),
      );
    }
    const service = new kplus.Service(this, "api-service", {
      metadata: { ...this.meta("api", name), annotations: v.service.annotations },
      type: v.service.type as kplus.ServiceType,
      ports: [{ name: "http", port: v.service.port, targetPort: v.port, protocol: kplus.Protocol.TCP }],
    });
    for (const [key, value] of Object.entries(this.selectorOf("api"))) service.selectLabel(key, value);
    if (v.podDisruptionBudget.enabled)
      this.disruptionBudget("api", name, v.podDisruptionBudget.maxUnavailable);
    if (this.props.values.networkPolicy.enabled) {
      this.networkPolicy("api", name, v.port, this.props.values.networkPolicy.apiIngressFrom);
    }
  }

  private deployment(
    component: Component,
    name: string,
    sa: kplus.ServiceAccount,
    spec: {
      replicas: number;
      /** The container's command; the image's ENTRYPOINT when omitted. */
      command?: readonly string[];
      args: string[];
      port: { name: string; number: number };
      env: Record<string, kplus.EnvValue>;
      workload: Values["operator"] | Values["api"];
    },
  ): kplus.Deployment {
    const { values } = this.props;
    const w = spec.workload;
    const probe = (path: string, seconds: number) =>
      kplus.Probe.fromHttpGet(path, { port: spec.port.number, periodSeconds: Duration.seconds(seconds) });
    const deployment = new kplus.Deployment(this, `${component}-deployment`, {
      metadata: this.meta(component, name),
      replicas: spec.replicas,
      select: false,
      spread: false,
      podMetadata: { labels: this.componentLabels(component) },
      serviceAccount: sa,
      automountServiceAccountToken: true,
      securityContext: { ensureNonRoot: true, user: 65532, group: 65532 },
      volumes: [],
      containers: [
        {
          name: component,
          image: `${values.image.repository}:${values.image.tag || this.props.appVersion}`,
          imagePullPolicy: values.image.pullPolicy as kplus.ImagePullPolicy,
          ...(spec.command ? { command: [...spec.command] } : {}),
          args: spec.args,
          envVariables: spec.env,
          ports: [{ name: spec.port.name, number: spec.port.number, protocol: kplus.Protocol.TCP }],
          liveness: probe("/healthz", 10),
          readiness: probe("/readyz", 5),
          securityContext: {
            ensureNonRoot: true,
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: [kplus.Capability.ALL] },
            seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
          },
        },
      ],
    });
    deployment.select(kplus.LabelSelector.of({ labels: this.selectorOf(component) }));
    deployment.containers[0]?.mount(
      "/tmp",
      kplus.Volume.fromEmptyDir(this, `${component}-tmp`, "tmp", { sizeLimit: Size.mebibytes(64) }),
    );

    // cdk8s-plus writes its own opinions where the chart leaves Kubernetes' defaults; the values
    // decide resources and placement, which cdk8s-plus has no one-to-one props for.
    const obj = ApiObject.of(deployment);
    const pod = "/spec/template/spec";
    obj.addJsonPatch(
      JsonPatch.remove(`${pod}/securityContext/fsGroupChangePolicy`),
      JsonPatch.remove(`${pod}/setHostnameAsFqdn`),
      JsonPatch.remove(`${pod}/shareProcessNamespace`),
      JsonPatch.replace(`${pod}/containers/0/resources`, quantities(w.resources)),
    );
    if (values.imagePullSecrets.length > 0)
      obj.addJsonPatch(JsonPatch.add(`${pod}/imagePullSecrets`, values.imagePullSecrets));
    if (Object.keys(w.nodeSelector).length > 0)
      obj.addJsonPatch(JsonPatch.add(`${pod}/nodeSelector`, w.nodeSelector));
    if (w.tolerations.length > 0) obj.addJsonPatch(JsonPatch.add(`${pod}/tolerations`, w.tolerations));
    if (w.priorityClassName) obj.addJsonPatch(JsonPatch.add(`${pod}/priorityClassName`, w.priorityClassName));
    return deployment;
  }

  private disruptionBudget(component: Component, name: string, maxUnavailable: number): void {
    new ApiObject(this, `${component}-pdb`, {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: this.meta(component, name),
      spec: { maxUnavailable, selector: { matchLabels: this.selectorOf(component) } },
    });
  }

  private networkPolicy(component: Component, name: string, port: number, from: unknown[]): void {
    new ApiObject(this, `${component}-networkpolicy`, {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: this.meta(component, name),
      spec: {
        podSelector: { matchLabels: this.selectorOf(component) },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ ports: [{ protocol: "TCP", port }], ...(from.length > 0 ? { from } : {}) }],
        egress: [
          {
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          },
          {
            ports: this.props.values.networkPolicy.apiServerPorts.map((p) => ({ protocol: "TCP", port: p })),
          },
        ],
      },
    });
  }
}

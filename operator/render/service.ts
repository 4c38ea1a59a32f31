import {
  agentSelector,
  COMPONENT,
  EDITOR_PORT_NAME,
  LABEL_COMPONENT,
  LOCAL_PORTS_ANNOTATION,
  tailnetHostname,
  taskChildNames,
} from "../../schema/contract/index.ts";
import type { AgentTask, Org } from "../../schema/index.ts";
import { orgNamespace } from "../../schema/index.ts";
import { EDITOR_PORT } from "./images.ts";
import type { KubeObject, OwnerReference } from "./object.ts";

function meshSettings(
  task: AgentTask,
  org: Org,
): { annotations: Record<string, string>; spec: Record<string, unknown> } {
  const mesh = org.spec.mesh;
  // In sidecar mode the pod joins the tailnet itself: the Tailscale operator must not expose it too.
  if (mesh.provider !== "tailscale" || mesh.mode === "sidecar")
    return { annotations: {}, spec: { type: "ClusterIP" } };
  const annotations: Record<string, string> = { "tailscale.com/hostname": tailnetHostname(task, org) };
  if (mesh.tags.length > 0) annotations["tailscale.com/tags"] = mesh.tags.join(",");
  if (mesh.proxyClass) annotations["tailscale.com/proxy-class"] = mesh.proxyClass;
  if (mesh.mode === "loadBalancer") {
    return { annotations, spec: { type: "LoadBalancer", loadBalancerClass: "tailscale" } };
  }
  return { annotations: { "tailscale.com/expose": "true", ...annotations }, spec: { type: "ClusterIP" } };
}

/** The Service in front of a task's editor, exposed as the Org's mesh settings say. */
export function renderService(
  task: AgentTask,
  org: Org,
  { labels, owner }: { labels: Record<string, string>; owner: { ownerReferences?: OwnerReference[] } },
): KubeObject {
  const name = task.metadata.name as string;
  const { annotations, spec } = meshSettings(task, org);
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: taskChildNames(name).service,
      namespace: orgNamespace(org),
      labels: { ...labels, [LABEL_COMPONENT]: COMPONENT.editor },
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ...owner,
    },
    spec: {
      ...spec,
      selector: agentSelector(name),
      ports: [{ name: EDITOR_PORT_NAME, port: EDITOR_PORT, targetPort: EDITOR_PORT_NAME, protocol: "TCP" }],
    },
  };
}

/** The editor's MagicDNS name: its tailnet hostname under the Org's tailnet domain. */
export function tailnetEditorHost(task: AgentTask, org: Org): string {
  const domain = org.spec.mesh.tailnetDomain;
  return domain ? `${tailnetHostname(task, org)}.${domain}` : tailnetHostname(task, org);
}

interface LiveService {
  metadata?: { name?: string; namespace?: string };
  status?: { loadBalancer?: { ingress?: { hostname?: string; ip?: string }[] } };
}

/** The loopback address a host-process node gave the pod's editor port, if any. */
export function localEditorAddress(pod: { metadata?: { annotations?: Record<string, string> } } | undefined) {
  const raw = pod?.metadata?.annotations?.[LOCAL_PORTS_ANNOTATION];
  if (!raw) return undefined;
  try {
    const address = (JSON.parse(raw) as Record<string, unknown>)[EDITOR_PORT_NAME];
    return typeof address === "string" && /^127\.\d+\.\d+\.\d+:\d+$/.test(address) ? address : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where a person opens the editor: the hostname the Tailscale operator publishes on the Service, else
 * the tailnet name built from the Org's tailnet domain, else the loopback address of a pod run as a
 * host process (devcluster), else the in-cluster DNS name. code-server speaks plain HTTP on its
 * port; the tailnet carries it encrypted.
 */
export function editorURL(
  task: AgentTask,
  org: Org,
  service: LiveService | undefined,
  localAddress?: string,
): string {
  const published = service?.status?.loadBalancer?.ingress?.find((i) => i.hostname)?.hostname;
  if (org.spec.mesh.provider === "tailscale" && published) return `http://${published}:${EDITOR_PORT}/`;
  if (org.spec.mesh.provider === "tailscale" && org.spec.mesh.tailnetDomain) {
    return `http://${tailnetEditorHost(task, org)}:${EDITOR_PORT}/`;
  }
  if (localAddress) return `http://${localAddress}/`;
  const name = taskChildNames(task.metadata.name as string).service;
  return `http://${name}.${orgNamespace(org)}.svc.cluster.local:${EDITOR_PORT}/`;
}

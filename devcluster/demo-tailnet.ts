import { rm } from "node:fs/promises";
import { join } from "node:path";
import { applyDemoSecret, DEMO_SECRET_NAMESPACE, type Kubectl } from "./dev-apply.ts";
import type { Log } from "./go-build.ts";
import { startTailnet, startTailnetNode, type Tailnet, type TailnetNode } from "./tailnet.ts";

export const DEMO_TAILNET_SECRET = "demo-tailnet-key";
/** The tailnet node `npm start -- --tailnet` joins for the person at the keyboard. */
export const DEMO_CLIENT_HOSTNAME = "you";

export interface DemoTailnet {
  tailnet: Tailnet;
  /** The person's node: its SOCKS5 proxy reaches the editors by MagicDNS name. */
  client: TailnetNode;
  /** What the demo Org's spec.mesh says: sidecar mode on this tailnet. */
  mesh: {
    provider: "tailscale";
    mode: "sidecar";
    loginServer: string;
    authKeySecretRef: { name: string; namespace: string };
    tailnetDomain: string;
  };
  stop(): Promise<void>;
}

/**
 * `npm start -- --tailnet`: a tailnet of this run on loopback (Tailscale's test control server,
 * with DERP and STUN; its nodes last one run), the Secret with its pre-authorised key that the demo
 * Org's sidecars join with, and a node for the person whose SOCKS5 proxy reaches their editors.
 */
export async function startDemoTailnet(kubectl: Kubectl, stateDir: string, log: Log): Promise<DemoTailnet> {
  const dir = join(stateDir, "tailnet");
  await rm(dir, { recursive: true, force: true });
  const tailnet = await startTailnet({ dir: join(dir, "control"), log });
  let client: TailnetNode | undefined;
  try {
    await applyDemoSecret(kubectl, DEMO_TAILNET_SECRET, { authkey: tailnet.authKey });
    client = await startTailnetNode({
      tailnet,
      dir: join(dir, DEMO_CLIENT_HOSTNAME),
      hostname: DEMO_CLIENT_HOSTNAME,
      authKey: tailnet.authKey,
      socks5: true,
      log,
    });
    const person = client;
    return {
      tailnet,
      client: person,
      mesh: {
        provider: "tailscale",
        mode: "sidecar",
        loginServer: tailnet.controlUrl,
        authKeySecretRef: { name: DEMO_TAILNET_SECRET, namespace: DEMO_SECRET_NAMESPACE },
        tailnetDomain: tailnet.domain,
      },
      async stop() {
        await person.stop();
        await tailnet.stop();
      },
    };
  } catch (err) {
    await client?.stop();
    await tailnet.stop();
    throw err;
  }
}

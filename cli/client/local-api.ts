import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clientFromKubeconfigFile, silentLogger } from "@agentyard/kube-runtime";
import { Agent, fetch as undiciFetch } from "undici";
import { defaultApiOptions } from "../../api/options.ts";
import { buildApi } from "../../api/server.ts";
import { ApiClient } from "./api.ts";

export interface LocalApi {
  client: ApiClient;
  close(): Promise<void>;
}

/**
 * `--kubeconfig`: the api's own code, in this process, acting with the kubeconfig's credentials,
 * so that scheduling, following and cancelling mean exactly what they mean through a served api.
 * It listens on a Unix socket in a fresh folder only this user can open (mkdtemp makes it 0700),
 * not on a TCP port that another local user or a web page could reach while the command runs.
 */
export async function localApi(kubeconfig: string): Promise<LocalApi> {
  const dir = await mkdtemp(join(tmpdir(), "agentyard-cli-"));
  const socketPath = join(dir, "api.sock");
  const kube = clientFromKubeconfigFile(kubeconfig, "cli", {
    userAgent: "agentyard-cli",
    fieldManager: "agentyard-cli",
  });
  const app = await buildApi({ ...defaultApiOptions(), auth: "none" }, kube, silentLogger());
  await app.listen({ path: socketPath });
  const dispatcher = new Agent({ connect: { socketPath } });
  const fetchOverSocket = ((url: string, init: RequestInit) =>
    undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch;
  return {
    client: new ApiClient({ url: "http://localhost" }, fetchOverSocket),
    async close() {
      await dispatcher.close();
      await app.close();
      await kube.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

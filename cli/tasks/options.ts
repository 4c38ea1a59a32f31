import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Option } from "commander";
import { Agent, fetch as undiciFetch } from "undici";
import { devStateDir } from "../../devcluster/paths.ts";
import { ApiClient } from "../client/api.ts";
import { localApi } from "../client/local-api.ts";

/** The api `npm start` serves, when it left no note of its own (below). */
export const DEFAULT_API = "http://127.0.0.1:8080";

/** Where a running `npm start` notes its api's URL, this run's token and its certificate (mode 0600). */
export const devApiFile = () => join(devStateDir(), "api.json");

export const apiOption = () =>
  new Option(
    "--api <url>",
    `the agentyard api to talk to (default: the one npm start serves, or ${DEFAULT_API})`,
  ).env("AGENTYARD_API");
export const tokenOption = () =>
  new Option("--token <token>", "Kubernetes bearer token, when the api authenticates callers").env(
    "AGENTYARD_TOKEN",
  );
export const kubeconfigOption = () =>
  new Option(
    "--kubeconfig <path>",
    "talk to the cluster straight, with this kubeconfig's credentials, instead of to --api",
  );

export interface ConnectFlags {
  api?: string;
  token?: string;
  kubeconfig?: string;
}

interface DevApi {
  url: string;
  token: string;
  ca?: string;
}

async function runningDevApi(): Promise<DevApi | undefined> {
  const text = await readFile(devApiFile(), "utf8").catch(() => undefined);
  return text ? (JSON.parse(text) as DevApi) : undefined;
}

/** fetch that trusts one more certificate: npm start's self-signed one, under --tls. */
async function trusting(caFile: string): Promise<typeof fetch> {
  const dispatcher = new Agent({ connect: { ca: await readFile(caFile, "utf8") } });
  return ((url: string, init: RequestInit) =>
    undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}

/**
 * A client of the api the flags name: `--kubeconfig` an in-process one; `--api` (and `--token`) a
 * served one; neither, the api of the `npm start` running in this checkout, with its token.
 */
export async function connect(flags: ConnectFlags): Promise<{ client: ApiClient; close(): Promise<void> }> {
  if (flags.kubeconfig) return localApi(flags.kubeconfig);
  const dev = flags.api ? undefined : await runningDevApi();
  const target = { url: flags.api ?? dev?.url ?? DEFAULT_API, token: flags.token ?? dev?.token };
  const transport = dev?.ca ? await trusting(dev.ca) : fetch;
  return { client: new ApiClient(target, transport), close: async () => undefined };
}

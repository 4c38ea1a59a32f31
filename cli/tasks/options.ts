import { Option } from "commander";
import { ApiClient } from "../client/api.ts";
import { localApi } from "../client/local-api.ts";

/** The api `npm start` serves. */
export const DEFAULT_API = "http://127.0.0.1:8080";

export const apiOption = () =>
  new Option("--api <url>", "the agentyard api to talk to").default(DEFAULT_API).env("AGENTYARD_API");
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
  api: string;
  token?: string;
  kubeconfig?: string;
}

/** A client of the api named by the flags, and what to close when the command is done. */
export async function connect(flags: ConnectFlags): Promise<{ client: ApiClient; close(): Promise<void> }> {
  if (flags.kubeconfig) return localApi(flags.kubeconfig);
  return { client: new ApiClient({ url: flags.api, token: flags.token }), close: async () => undefined };
}

import { Option } from "commander";
import { ApiClient } from "../client/api.ts";

/** The api `npm start` serves. */
export const DEFAULT_API = "http://127.0.0.1:8080";

export const apiOption = () =>
  new Option("--api <url>", "the agentyard api to talk to").default(DEFAULT_API).env("AGENTYARD_API");
export const tokenOption = () =>
  new Option("--token <token>", "Kubernetes bearer token, when the api authenticates callers").env(
    "AGENTYARD_TOKEN",
  );

export const clientOf = (flags: { api: string; token?: string }) =>
  new ApiClient({ url: flags.api, token: flags.token });

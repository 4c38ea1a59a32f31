import { onShutdown } from "@agentyard/kube-runtime";
import { Command, InvalidArgumentError, Option } from "commander";
import { defaultApiOptions } from "../api/options.ts";
import { startApi } from "../api/server.ts";
import { logFormatOption, programLogger } from "./log-output.ts";

function positiveInt(value: string): number {
  const n = Number.parseInt(value, 10);
  if (!Number.isInteger(n) || n < 1 || String(n) !== value.trim()) {
    throw new InvalidArgumentError("must be a positive integer");
  }
  return n;
}

function origins(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((o) => o.trim())
      .filter(Boolean),
  ];
}

/** `agentyard api`: the REST API, acting for each caller with the caller's Kubernetes rights. */
export function apiCommand(): Command {
  const defaults = defaultApiOptions();
  return new Command("api")
    .description(
      "serve the REST API: POST /schedule, tasks, Orgs and live events, authorized by Kubernetes RBAC",
    )
    .addOption(
      new Option(
        "--kubeconfig <path>",
        "kubeconfig of the api's own identity (default: in-cluster, or $KUBECONFIG)",
      ).env("KUBECONFIG"),
    )
    .addOption(
      new Option("--listen <host:port>", "address to serve on")
        .default(defaults.listen)
        .env("AGENTYARD_API_LISTEN"),
    )
    .addOption(
      new Option("--auth <mode>", "token: Kubernetes bearer tokens; none: no authentication, loopback only")
        .choices(["token", "none"])
        .default(defaults.auth)
        .env("AGENTYARD_API_AUTH"),
    )
    .addOption(
      new Option("--log-level <level>", "trace, debug, info, warn or error")
        .choices(["trace", "debug", "info", "warn", "error"])
        .default(defaults.logLevel)
        .env("LOG_LEVEL"),
    )
    .addOption(logFormatOption())
    .addOption(
      new Option("--rate-limit <n>", "requests per minute per caller")
        .default(defaults.rateLimitPerMinute)
        .argParser(positiveInt)
        .env("AGENTYARD_API_RATE_LIMIT"),
    )
    .addOption(
      new Option(
        "--review-rate-limit <n>",
        "tokens not yet known that one address may have reviewed (TokenReview) per minute",
      )
        .default(defaults.reviewsPerMinutePerAddress)
        .argParser(positiveInt)
        .env("AGENTYARD_API_REVIEW_RATE_LIMIT"),
    )
    .addOption(
      new Option("--max-streams <n>", "event streams open at once, in all")
        .default(defaults.maxStreams)
        .argParser(positiveInt)
        .env("AGENTYARD_API_MAX_STREAMS"),
    )
    .addOption(
      new Option("--max-streams-per-caller <n>", "event streams one caller may hold open")
        .default(defaults.maxStreamsPerCaller)
        .argParser(positiveInt)
        .env("AGENTYARD_API_MAX_STREAMS_PER_CALLER"),
    )
    .addOption(
      new Option(
        "--tls-cert <path>",
        "serve HTTPS with this PEM certificate (served anew when it changes)",
      ).env("AGENTYARD_API_TLS_CERT"),
    )
    .addOption(new Option("--tls-key <path>", "the PEM key of --tls-cert").env("AGENTYARD_API_TLS_KEY"))
    .addOption(
      new Option("--body-limit <bytes>", "largest request body accepted")
        .default(defaults.bodyLimitBytes)
        .argParser(positiveInt)
        .env("AGENTYARD_API_BODY_LIMIT"),
    )
    .addOption(
      new Option(
        "--cors-origin <origins>",
        "origin allowed by CORS, repeatable or comma-separated (default: CORS off)",
      )
        .argParser(origins)
        .env("AGENTYARD_API_CORS_ORIGINS"),
    )
    .action(async (flags) => {
      if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey)) {
        throw new InvalidArgumentError("--tls-cert and --tls-key go together: give both or neither");
      }
      const api = await startApi({
        ...(flags.tlsCert ? { tls: { certFile: flags.tlsCert, keyFile: flags.tlsKey } } : {}),
        ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
        listen: flags.listen,
        auth: flags.auth,
        logLevel: flags.logLevel,
        log: programLogger(flags.logLevel, { name: "agentyard-api", label: "api" }, flags.logFormat),
        rateLimitPerMinute: flags.rateLimit,
        reviewsPerMinutePerAddress: flags.reviewRateLimit,
        maxStreams: flags.maxStreams,
        maxStreamsPerCaller: flags.maxStreamsPerCaller,
        bodyLimitBytes: flags.bodyLimit,
        corsOrigins: flags.corsOrigin ?? [],
      });
      onShutdown(() => api.close(), { log: api.log });
    });
}

/**
 * Also `@agentyard/kube-runtime/log`: it imports only pino, so the agent's bundle takes it without
 * the Kubernetes client.
 */
import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

const SECRET_KEYS = [
  "authorization",
  "cookie",
  "token",
  "bearerToken",
  "password",
  "secret",
  "kubeconfig",
  "clientKey",
  "privateKey",
  "stringData",
];

/** Secret-ish keys at the top of a log line and one or two objects deep. */
const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

/** The structured logger every process uses, named for the program; children carry `controller` and `key`. */
export function createLogger(
  level: string,
  options: { name: string; destination?: DestinationStream },
): Logger {
  return pino(
    {
      name: options.name,
      level,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    options.destination,
  );
}

/** A logger that drops everything, for callers that were given none. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

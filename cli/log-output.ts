import { createLogger, type Logger } from "@agentyard/kube-runtime/log";
import { Option } from "commander";
import type { DestinationStream } from "pino";
import { PinoPretty } from "pino-pretty";

export const LOG_FORMATS = ["auto", "pretty", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** `--log-format`: people get readable lines on a terminal, anything else (a pipe, a file, a collector) JSON. */
export function logFormatOption(): Option {
  return new Option("--log-format <format>", "pretty, json, or auto: pretty on a terminal, JSON otherwise")
    .choices(LOG_FORMATS)
    .default("auto")
    .env("AGENTYARD_LOG_FORMAT");
}

export function prettyWanted(format: LogFormat, out: { isTTY?: boolean } = process.stdout): boolean {
  return format === "pretty" || (format === "auto" && out.isTTY === true);
}

/**
 * One pretty line per record, prefixed by the process that wrote it, so that the operator, the api,
 * the node agent and the devcluster can share one terminal. Redaction is pino's, before any
 * formatting: both formats hide the same fields.
 */
export function prettyDestination(
  label: string,
  options: { destination?: NodeJS.WritableStream; colorize?: boolean } = {},
): DestinationStream {
  const destination = options.destination ?? process.stdout;
  return PinoPretty({
    destination,
    colorize: options.colorize ?? (destination as { isTTY?: boolean }).isTTY === true,
    sync: true,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,name,component",
    messageFormat: (record, messageKey) => {
      const component = typeof record.component === "string" ? `/${record.component}` : "";
      return `[${label}${component}] ${String(record[messageKey] ?? "")}`;
    },
  });
}

/** The logger of one program of agentyard, in the format its output calls for. */
export function programLogger(
  level: string,
  program: { name: string; label: string },
  format: LogFormat,
  out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
): Logger {
  if (prettyWanted(format, out)) {
    return createLogger(level, {
      name: program.name,
      destination: prettyDestination(program.label, { destination: out }),
    });
  }
  // pino's own writer for stdout; any other stream as given.
  return createLogger(level, { name: program.name, ...(out === process.stdout ? {} : { destination: out }) });
}

/**
 * The devcluster's own progress is text lines (`[code-server] installing …`); in `npm start` they
 * become records of the devcluster's logger, so that a JSON reader gets them as JSON too.
 */
export function lineLogger(log: Logger): (line: string) => void {
  return (line) => {
    const prefixed = /^\[([\w.-]+)\] (.*)$/s.exec(line);
    if (!prefixed) return log.info(line);
    const [, component, msg] = prefixed as unknown as [string, string, string];
    if (component === "devcluster") log.info(msg);
    else log.info({ component }, msg);
  };
}

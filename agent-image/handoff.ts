import { randomUUID } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sleep } from "@agentyard/kube-runtime/sleep";
import { z } from "zod";
import { PullRequestForgeSchema, PullRequestStateSchema } from "../schema/pull-request.ts";

/**
 * The files through which the agent container and its git container talk: a folder only the two of
 * them mount. The agent asks; the git container, which alone holds the credentials, answers. Each
 * file is written whole (a temporary name, then rename), so a reader never sees half of one.
 */
export const HANDOFF_FILE = {
  /** The git container's answer once it has prepared the workspace when it starts: cloned, or reused. */
  clone: "clone.json",
  /** The agent's request for a push of the task's branch; a new id asks again. */
  pushRequest: "push-request.json",
  /** The git container's answer to the request with the same id. */
  pushResult: "push-result.json",
} as const;

const Answer = z.union([
  z.object({ ok: z.literal(true) }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);

export const CloneAnswerSchema = z.intersection(z.object({ attempt: z.number().int() }), Answer);

const Id = z.object({ id: z.string().min(1).max(100) });

/**
 * The title and body of the pull request the push is for. The command could write a request of its
 * own: these are texts of the task's (as a commit message is), bounded as the forges bound them.
 */
export const PushRequestSchema = Id.extend({
  title: z.string().min(1).max(255),
  body: z.string().max(65_536),
});

export const OpenedPullRequestSchema = z.object({
  forge: PullRequestForgeSchema,
  number: z.number().int().min(1),
  url: z.string().max(2048),
  state: PullRequestStateSchema,
});

/** A push that landed, and what became of its pull request: opened (or updated), refused, or none asked. */
const Pushed = z.object({
  ok: z.literal(true),
  pullRequest: OpenedPullRequestSchema.optional(),
  pullRequestError: z.string().optional(),
});

export const PushAnswerSchema = z.intersection(
  Id,
  z.union([Pushed, z.object({ ok: z.literal(false), error: z.string() })]),
);

export type CloneAnswer = z.infer<typeof CloneAnswerSchema>;
export type PushRequest = z.infer<typeof PushRequestSchema>;
export type PushAnswer = z.infer<typeof PushAnswerSchema>;
export type OpenedPullRequest = z.infer<typeof OpenedPullRequestSchema>;
/** What a push that landed says of its pull request. */
export type PushOutcome = Omit<z.infer<typeof Pushed>, "ok">;

/** How often a side looks for the other's file: the wait adds at most this to a clone or a push. */
export const HANDOFF_POLL_MS = 200;

export async function writeMessage(dir: string, file: string, message: unknown): Promise<void> {
  const path = join(dir, file);
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(message)}\n`, { mode: 0o644 });
  await rename(temporary, path);
}

/**
 * The message in `file`, when there is one that `schema` accepts. Anything else (no file, another
 * program's bytes) reads as none: the folder is shared with the task's command, whose files are no
 * answer of the git container's.
 */
export async function readMessage<T>(
  dir: string,
  file: string,
  schema: z.ZodType<T>,
): Promise<T | undefined> {
  const text = await readFile(join(dir, file), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Waits for a message that `accept` takes; undefined once `signal` aborts. */
export async function waitForMessage<T>(
  dir: string,
  file: string,
  schema: z.ZodType<T>,
  accept: (message: T) => boolean,
  signal: AbortSignal,
  pollMs = HANDOFF_POLL_MS,
): Promise<T | undefined> {
  while (!signal.aborted) {
    const message = await readMessage(dir, file, schema);
    if (message !== undefined && accept(message)) return message;
    await sleep(pollMs, signal);
  }
  return undefined;
}

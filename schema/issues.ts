import type { z } from "zod";

/** `spec.agent.env[0].name`: the path notation of the API server's own messages. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) =>
      typeof segment === "number" ? `[${segment}]` : `${index === 0 ? "" : "."}${String(segment)}`,
    )
    .join("");
}

/** One line per issue, `<field path>: <message>`, as a person fixing the manifest wants to read it. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${fieldPath(issue.path) || "<root>"}: ${issue.message}`);
}

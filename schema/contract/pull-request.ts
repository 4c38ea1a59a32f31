import { z } from "zod";
import { ForgeSchema } from "../pull-request.ts";

/**
 * What the git container is told of the pull request it opens after each push (AGENTYARD_PULL_REQUEST):
 * the Org's settings with the task's overrides applied. Unset, it opens none.
 */
export const PullRequestConfigSchema = z.strictObject({
  forge: ForgeSchema.optional(),
  draft: z.boolean(),
  labels: z.array(z.string()),
  reviewers: z.array(z.string()),
});
export type PullRequestConfig = z.infer<typeof PullRequestConfigSchema>;

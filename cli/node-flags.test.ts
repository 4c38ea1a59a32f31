import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { OPERATOR_IMAGE_BUNDLE, OPERATOR_IMAGE_COMMAND, SERVER_NODE_FLAGS } from "./node-flags.ts";

const dockerfile = await readFile(new URL("../Dockerfile", import.meta.url), "utf8");
const operatorTemplate = await readFile(
  new URL("../charts/agentyard/templates/operator-deployment.yaml", import.meta.url),
  "utf8",
);

describe("SERVER_NODE_FLAGS", () => {
  it("are the flags the image's ENTRYPOINT gives node", () => {
    const entrypoint = dockerfile.match(/^ENTRYPOINT (.+)$/m)?.[1];
    expect(entrypoint && JSON.parse(entrypoint)).toEqual([
      "node",
      ...SERVER_NODE_FLAGS,
      "/app/cli/agentyard.ts",
    ]);
  });

  it("are in the chart's command for the operator, which runs the bundle the Dockerfile builds", () => {
    const command = operatorTemplate.match(/^\s+command: (\[.+\])$/m)?.[1];
    expect(command && JSON.parse(command)).toEqual([...OPERATOR_IMAGE_COMMAND]);
    expect(dockerfile).toMatch(/^RUN .*npm run build:operator/m);
    const folder = OPERATOR_IMAGE_BUNDLE.slice(0, OPERATOR_IMAGE_BUNDLE.lastIndexOf("/"));
    expect(dockerfile).toContain(`COPY --from=build /src/dist/operator ${folder}`);
  });
});

import { describe, expect, it } from "vitest";
import { renderCrds } from "./crd.ts";
import type { JsonSchema } from "./structural.ts";

interface Node {
  path: string;
  schema: JsonSchema;
}

/** Every schema node of a CRD, with its path as the API server writes it. */
function nodes(schema: JsonSchema, path = ""): Node[] {
  const children: Node[] = [];
  for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    children.push(...nodes(child, `${path}.${name}`));
  }
  if (schema.items) children.push(...nodes(schema.items as JsonSchema, `${path}[*]`));
  if (typeof schema.additionalProperties === "object") {
    children.push(...nodes(schema.additionalProperties as JsonSchema, `${path}.*`));
  }
  return [{ path: path || "<root>", schema }, ...children];
}

/** The API server owns these; a CRD cannot bound them. */
const OWNED_BY_API_SERVER = new Set([".apiVersion", ".kind"]);

describe.each(renderCrds().map((crd) => [crd.spec.names.kind, crd] as const))("the %s CRD", (_kind, crd) => {
  const version = crd.spec.versions[0];
  if (!version) throw new Error("a CRD without versions");
  const all = nodes(version.schema.openAPIV3Schema);

  it("is structural: every node typed, no $schema, const, or additionalProperties beside properties", () => {
    for (const { path, schema } of all) {
      const intOrString = schema["x-kubernetes-int-or-string"] === true;
      expect(intOrString || typeof schema.type === "string", `${path} has a type`).toBe(true);
      expect(schema, path).not.toHaveProperty("$schema");
      expect(schema, path).not.toHaveProperty("const");
      expect(
        schema.properties && schema.additionalProperties,
        `${path} mixes properties and additionalProperties`,
      ).toBeFalsy();
      if (schema.anyOf)
        expect(intOrString && schema.anyOf, path).toEqual([{ type: "integer" }, { type: "string" }]);
    }
  });

  it("keeps metadata to a type and the rules on metadata.name", () => {
    const metadata = (version.schema.openAPIV3Schema.properties as Record<string, JsonSchema>).metadata;
    expect(Object.keys(metadata ?? {}).sort()).toEqual(["properties", "type"]);
    expect(Object.keys((metadata?.properties ?? {}) as object)).toEqual(["name"]);
  });

  it("bounds every string and list, so CEL cost estimates and object sizes stay finite", () => {
    for (const { path, schema } of all) {
      if (OWNED_BY_API_SERVER.has(path)) continue;
      if (schema.type === "string" && !schema.enum && schema.format !== "date-time") {
        expect(schema.maxLength, `${path} has maxLength`).toBeTypeOf("number");
      }
      if (schema.type === "array") expect(schema.maxItems, `${path} has maxItems`).toBeTypeOf("number");
    }
  });

  it("gives every CEL rule a message", () => {
    for (const { path, schema } of all) {
      for (const rule of (schema["x-kubernetes-validations"] ?? []) as JsonSchema[]) {
        expect(rule.message, `${path}: ${rule.rule}`).toBeTypeOf("string");
      }
    }
  });

  it("requires the keys of map lists", () => {
    for (const { path, schema } of all.filter(({ schema }) => schema["x-kubernetes-list-type"] === "map")) {
      const required = ((schema.items as JsonSchema).required ?? []) as string[];
      const keys = schema["x-kubernetes-list-map-keys"] as string[];
      expect(required, path).toEqual(expect.arrayContaining(keys));
    }
  });

  it("points every printer column at a field of the schema", () => {
    const paths = new Set(all.map(({ path }) => path));
    for (const { jsonPath } of version.additionalPrinterColumns) {
      if (jsonPath === ".metadata.creationTimestamp") continue;
      expect(paths, jsonPath).toContain(jsonPath.replaceAll(/\[\?\(@\.type=="\w+"\)\]/g, "[*]"));
    }
  });

  it("serves status as a subresource", () => {
    expect(version.subresources).toEqual({ status: {} });
  });
});

it("names the CRDs as the API server expects", () => {
  expect(renderCrds().map((crd) => [crd.metadata.name, crd.spec.scope])).toEqual([
    ["orgs.agentyard.dev", "Cluster"],
    ["agenttasks.agentyard.dev", "Namespaced"],
  ]);
});

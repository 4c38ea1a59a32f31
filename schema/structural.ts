/**
 * Turns the JSON Schema that zod emits (target openapi-3.0, io input) into a structural OpenAPI v3
 * schema as CustomResourceDefinitions require: every node typed, no additionalProperties beside
 * properties, no const, no anyOf except the int-or-string form, and only keywords the API server
 * knows. Anything else throws, naming the path, so an unsupported zod construct fails the generator
 * instead of the apply.
 */

export type JsonSchema = { [keyword: string]: unknown };

const VALUE_KEYWORDS = new Set([
  "description",
  "default",
  "enum",
  "format",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "nullable",
  "x-kubernetes-validations",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
]);
/** Formats the API server validates; others would be silently ignored. */
const FORMATS = new Set(["date-time", "int32", "int64"]);
/** zod bounds every integer to JavaScript's safe range; Kubernetes integers are int64, so they say nothing. */
const SAFE_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

export function toStructural(schema: JsonSchema, path = "<root>"): JsonSchema {
  if (schema["x-kubernetes-int-or-string"] === true) return intOrString(schema, path);
  const out = keywords(schema, path);
  if (out.type === undefined) throw new Error(`${path}: every node of a structural schema needs a type`);
  return out;
}

function keywords(schema: JsonSchema, path: string): JsonSchema {
  const out: JsonSchema = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword === "$schema" || (keyword === "additionalProperties" && value === false)) continue;
    if ((keyword === "minimum" || keyword === "maximum") && SAFE_BOUNDS.has(value as number)) continue;
    if (keyword === "pattern" && schema.format === "date-time") continue;
    if (keyword === "const") out.enum = [value];
    else if (keyword === "type") out.type = typeOf(value, path);
    else if (keyword === "format") out.format = formatOf(value, path);
    else if (keyword === "properties") out.properties = properties(value as Record<string, JsonSchema>, path);
    else if (keyword === "required") out.required = [...(value as string[])].sort();
    else if (keyword === "items") out.items = toStructural(value as JsonSchema, `${path}[*]`);
    else if (keyword === "additionalProperties")
      out.additionalProperties = toStructural(value as JsonSchema, `${path}.*`);
    else if (VALUE_KEYWORDS.has(keyword)) out[keyword] = value;
    else throw new Error(`${path}: the CRD generator does not support the JSON Schema keyword "${keyword}"`);
  }
  return out;
}

function properties(props: Record<string, JsonSchema>, path: string): Record<string, JsonSchema> {
  return Object.fromEntries(
    Object.entries(props).map(([name, schema]) => [name, toStructural(schema, `${path}.${name}`)]),
  );
}

function typeOf(value: unknown, path: string): string {
  if (typeof value !== "string" || value === "null") {
    throw new Error(`${path}: a structural schema needs exactly one type, not ${JSON.stringify(value)}`);
  }
  return value;
}

function formatOf(value: unknown, path: string): string {
  if (typeof value !== "string" || !FORMATS.has(value)) {
    throw new Error(`${path}: format ${JSON.stringify(value)} is not one the API server validates`);
  }
  return value;
}

/**
 * The one anyOf structural schemas allow: `anyOf: [{type: integer}, {type: string}]` with
 * x-kubernetes-int-or-string. The branches' validations move to the node, where each applies only to
 * values of its own type.
 */
function intOrString(schema: JsonSchema, path: string): JsonSchema {
  const { anyOf, "x-kubernetes-int-or-string": _, ...rest } = schema;
  const branches = anyOf as JsonSchema[] | undefined;
  const types = branches?.map((branch) => branch.type).sort();
  if (types?.join() !== "integer,string") {
    throw new Error(`${path}: x-kubernetes-int-or-string needs anyOf one integer and one string schema`);
  }
  const hoisted: JsonSchema = {};
  for (const { type: __, ...validations } of branches ?? []) Object.assign(hoisted, validations);
  return {
    ...keywords({ ...hoisted, ...rest }, path),
    "x-kubernetes-int-or-string": true,
    anyOf: [{ type: "integer" }, { type: "string" }],
  };
}

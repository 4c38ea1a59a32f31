import type { z } from "zod";

/**
 * Kubernetes OpenAPI extensions, attached to zod schemas as metadata so that the CRD generator finds
 * them where the field is declared. Every rule that zod can check is declared together with its zod
 * check, so the REST API and the API server reject the same input with the same message.
 */

/** One entry of `x-kubernetes-validations`. */
export interface CelRule {
  rule: string;
  message: string;
  /** JSONPath-like path, relative to the node, of the field the API server blames (e.g. `.namespace`). */
  fieldPath?: string;
}

/** A CEL rule and the zod check that agrees with it. */
export interface Rule<T> extends CelRule {
  check: (value: T) => boolean;
}

const VALIDATIONS = "x-kubernetes-validations";

export function celRulesOf(schema: z.ZodType): CelRule[] {
  return (schema.meta()?.[VALIDATIONS] as CelRule[] | undefined) ?? [];
}

export function withRules<S extends z.ZodType>(schema: S, ...rules: Rule<z.output<S>>[]): S {
  let checked: z.ZodType = schema;
  for (const { check, message, fieldPath } of rules) {
    checked = checked.refine(check as (value: unknown) => boolean, { message, path: zodPath(fieldPath) });
  }
  return withCel(checked as S, rules.map(celOnly));
}

/** Rules that compare with `oldSelf` exist only as CEL: zod sees one object, never the stored one. */
export function withTransitionRules<S extends z.ZodType>(schema: S, ...rules: CelRule[]): S {
  return withCel(schema, rules);
}

/** A list keyed by one field: the API server rejects duplicate keys and server-side apply merges entries by key. */
export function listMapBy<S extends z.ZodArray<z.ZodObject>>(schema: S, key: string): S {
  return schema
    .superRefine((items, ctx) => {
      const seen = new Set<unknown>();
      items.forEach((item: Record<string, unknown>, index: number) => {
        const value = item[key];
        if (seen.has(value)) {
          ctx.addIssue({
            code: "custom",
            path: [index],
            message: `duplicate ${key} ${JSON.stringify(value)}: each ${key} may appear once`,
          });
        }
        seen.add(value);
      });
    })
    .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": [key] });
}

/** A list of unique scalars, merged as a set by server-side apply. */
export function listSet<S extends z.ZodArray<z.ZodType<string>>>(schema: S): S {
  return schema
    .superRefine((items, ctx) => {
      items.forEach((item: string, index: number) => {
        if (items.indexOf(item) !== index) {
          ctx.addIssue({ code: "custom", path: [index], message: `duplicate value ${JSON.stringify(item)}` });
        }
      });
    })
    .meta({ "x-kubernetes-list-type": "set" });
}

/**
 * Defaults an object to itself parsed from `{}`, so the CRD spells the whole default out: the API
 * server checks a default against the CEL rules as written, before any nested default applies.
 */
export function defaultedObject<S extends z.ZodObject>(schema: S) {
  return schema.default(() => schema.parse({}) as z.util.NoUndefined<z.output<S>>);
}

/** A CEL string literal holding `text` verbatim. */
export function celString(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

function withCel<S extends z.ZodType>(schema: S, rules: CelRule[]): S {
  return schema.meta({ [VALIDATIONS]: [...celRulesOf(schema), ...rules] });
}

function celOnly<T>({ rule, message, fieldPath }: Rule<T>): CelRule {
  return fieldPath === undefined ? { rule, message } : { rule, message, fieldPath };
}

function zodPath(fieldPath: string | undefined): string[] | undefined {
  return fieldPath?.split(".").filter((segment) => segment !== "");
}

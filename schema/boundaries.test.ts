import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Which part of agentyard may import which (docs/architecture.md, "The contract"). Read from the
 * import statements of every .ts file that is not a test; tests may reach anywhere.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

interface Import {
  /** The importing file, relative to the repository's root, with "/" separators. */
  file: string;
  /** As written. */
  specifier: string;
  /** The imported file relative to the root, for relative specifiers. */
  target?: string;
}

const isTest = (path: string) =>
  path.startsWith("test/") || path.endsWith(".test.ts") || path.endsWith(".test-support.ts");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith(".") || entry.name === "node_modules" || entry.name === "dist") return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

const posix = (path: string) => path.split(sep).join("/");

const imports: Import[] = sourceFiles(root)
  .map((path) => posix(relative(root, path)))
  .filter((file) => !isTest(file))
  .flatMap((file) =>
    ts
      .preProcessFile(readFileSync(join(root, file), "utf8"), true, true)
      .importedFiles.map(({ fileName }) => ({
        file,
        specifier: fileName,
        ...(fileName.startsWith(".")
          ? { target: posix(relative(root, resolve(root, dirname(file), fileName))) }
          : {}),
      })),
  );

const under = (path: string | undefined, ...folders: string[]) =>
  path !== undefined && folders.some((f) => path.startsWith(`${f}/`));

const show = ({ file, specifier }: Import) => `${file} imports ${specifier}`;

describe("import boundaries", () => {
  it("are read from every source file", () => {
    expect(imports).toContainEqual({
      file: "operator/main.ts",
      specifier: "@agentyard/kube-runtime",
    });
    expect(imports.some((i) => i.file.startsWith("test/") || i.file.endsWith(".test.ts"))).toBe(false);
  });

  it("keep the api off the operator: the two share schema/ and @agentyard/kube-runtime", () => {
    expect(imports.filter((i) => under(i.file, "api") && under(i.target, "operator")).map(show)).toEqual([]);
  });

  it("keep the dashboard off the api and the operator", () => {
    expect(
      imports.filter((i) => under(i.file, "dashboard") && under(i.target, "api", "operator")).map(show),
    ).toEqual([]);
  });

  it("keep the agent runtime off the operator and the api", () => {
    expect(
      imports.filter((i) => under(i.file, "agent-image") && under(i.target, "operator", "api")).map(show),
    ).toEqual([]);
  });

  it("keep the devcluster off the operator: what they share is in schema/contract", () => {
    expect(
      imports.filter((i) => under(i.file, "devcluster") && under(i.target, "operator")).map(show),
    ).toEqual([]);
  });

  it("keep schema/ to itself, so that every part can import it", () => {
    expect(
      imports
        .filter(
          (i) =>
            under(i.file, "schema") &&
            ((i.target !== undefined && !under(i.target, "schema")) || i.specifier.startsWith("@agentyard/")),
        )
        .map(show),
    ).toEqual([]);
  });

  it("reach the runtime through @agentyard/kube-runtime and its ./sleep and ./log, never by path", () => {
    const entryPoints = [
      "@agentyard/kube-runtime",
      "@agentyard/kube-runtime/sleep",
      "@agentyard/kube-runtime/log",
    ];
    expect(
      imports
        .filter(
          (i) =>
            (!under(i.file, "packages/kube-runtime") && under(i.target, "packages/kube-runtime")) ||
            (i.specifier.startsWith("@agentyard/kube-runtime") && !entryPoints.includes(i.specifier)),
        )
        .map(show),
    ).toEqual([]);
  });
});

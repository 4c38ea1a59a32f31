import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOST_PATH_REJECTED, storageFolder, within } from "./host-folders.ts";
import { PodRejection } from "./objects.ts";

describe("within", () => {
  it("holds for the root and what lies under it, by name", () => {
    expect(within("/data/volumes", "/data/volumes")).toBe(true);
    expect(within("/data/volumes", "/data/volumes/pvc-1_ns_claim")).toBe(true);
    expect(within("/data/volumes", "/data/volumes/../volumes/a")).toBe(true);
    expect(within("/data/volumes", "/data")).toBe(false);
    expect(within("/data/volumes", "/data/volumes-evil")).toBe(false);
    expect(within("/data/volumes", "/data/volumes/../tokens.csv")).toBe(false);
    expect(within("/data/volumes", "/etc")).toBe(false);
    expect(within("/data/volumes", "/data/volumes/..data")).toBe(true);
  });
});

describe("storageFolder", () => {
  let root: string;
  let storage: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "host-folders-"));
    storage = join(root, "volumes");
    await mkdir(join(storage, "pvc-1"), { recursive: true });
    await symlink("/etc", join(storage, "pvc-1", "escape"));
    await symlink(join(storage, "pvc-1"), join(storage, "alias"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const rejection = async (path: string, options: { storage?: string } = { storage }) => {
    const err = await storageFolder(options.storage, path, 'volume "v"').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PodRejection);
    expect((err as PodRejection).reason).toBe(HOST_PATH_REJECTED);
    return (err as PodRejection).message;
  };

  it("gives folders in the storage folder, existing or not yet, normalized", async () => {
    expect(await storageFolder(storage, `${storage}/`, "v")).toBe(storage);
    expect(await storageFolder(storage, join(storage, "pvc-1"), "v")).toBe(join(storage, "pvc-1"));
    expect(await storageFolder(storage, join(storage, "pvc-2", "deep"), "v")).toBe(
      join(storage, "pvc-2", "deep"),
    );
    // A link that stays inside is as good as its target.
    expect(await storageFolder(storage, join(storage, "alias", "x"), "v")).toBe(join(storage, "alias", "x"));
  });

  it("rejects paths outside it, by name or through a link, saying which volume and where", async () => {
    expect(await rejection("/etc")).toBe(
      `volume "v": /etc is outside ${storage}, the only host folder pods on agentyard-local may mount`,
    );
    expect(await rejection(join(storage, "..", "tokens.csv"))).toMatch(/is outside/);
    expect(await rejection(`${storage}-evil`)).toMatch(/is outside/);
    expect(await rejection(join(storage, "pvc-1", "escape"))).toMatch(/escape is outside/);
    expect(await rejection(join(storage, "pvc-1", "escape", "new", "folder"))).toMatch(/is outside/);
    expect(await rejection("volumes/pvc-1")).toMatch(/is not an absolute path/);
  });

  it("rejects every host folder when the node agent has no storage folder", async () => {
    expect(await rejection(join(storage, "pvc-1"), {})).toMatch(/was given no storage folder/);
  });
});

import { readdir, stat } from "node:fs/promises";

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Whether a directory holds nothing (a volume's `lost+found` aside): a workspace ready for a clone. */
export async function isEmptyDir(dir: string): Promise<boolean> {
  return (await readdir(dir)).filter((name) => name !== "lost+found").length === 0;
}

import { readFile } from "node:fs/promises";

/** A process's resident memory from /proc/<pid>/status, in KiB: now (VmRSS) and its peak (VmHWM). */
export interface ResidentMemory {
  rssKiB: number;
  hwmKiB: number;
}

export function parseProcStatus(text: string): ResidentMemory {
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(text);
    if (!match) throw new Error(`/proc status has no ${name}`);
    return Number(match[1]);
  };
  return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM") };
}

export async function residentMemory(pid: number): Promise<ResidentMemory> {
  return parseProcStatus(await readFile(`/proc/${pid}/status`, "utf8"));
}

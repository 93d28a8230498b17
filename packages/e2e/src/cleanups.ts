import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Things a test started, undone in reverse order by `runCleanups()` (wire it to `afterEach`/`afterAll`). */
export class Cleanups {
  readonly #steps: Array<() => Promise<unknown>> = [];

  add(step: () => Promise<unknown>): void {
    this.#steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) await step().catch(() => {});
  }
}

export async function tempDataDir(cleanups: Cleanups): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gangway-e2e-"));
  cleanups.add(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

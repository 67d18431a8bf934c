// A recipe without a sweep is compiled from the load that found it has none: its text is read and parsed once.
import { mkdtempSync, rmSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.mock('node:fs', async (original) => {
  const real = await original<typeof import('node:fs')>();
  return { ...real, readFileSync: vi.fn(real.readFileSync) };
});

const { prepareRecipeOrSweep } = await import('../../src/sweep/prepare.js');
const RECIPE = fileURLToPath(new URL('../../recipes/example.yaml', import.meta.url));
const runsDir = mkdtempSync(join(tmpdir(), 'retort-prepare-once-'));
afterAll(() => rmSync(runsDir, { recursive: true, force: true }));

describe('prepareRecipeOrSweep', () => {
  it('reads a recipe without a sweep once', async () => {
    const reads = vi.mocked(fs.readFileSync);
    reads.mockClear();
    const prepared = await prepareRecipeOrSweep(RECIPE, [], false, runsDir, { cwd: process.cwd(), env: process.env });
    expect(prepared.recipe.order.length).toBeGreaterThan(0);
    expect(reads.mock.calls.filter(([path]) => path === RECIPE)).toHaveLength(1);
  });
});

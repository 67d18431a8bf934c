import { defineConfig } from 'vitest/config';
import SlowestFirstSequencer from './test/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Many files wait on child processes, servers or Slurm rather than compute: one worker per core
    // (vitest's default leaves one core idle on a 2-core machine).
    maxWorkers: 2,
    minWorkers: 1,
    // The slowest files start first (test/sequencer.ts).
    sequence: { sequencer: SlowestFirstSequencer },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

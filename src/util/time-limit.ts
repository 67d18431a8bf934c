// Time limits as Slurm writes them ("30", "30:00", "1:00:00", "2-12", "2-12:30:00": minutes,
// minutes:seconds, hours:minutes:seconds, days-hours…) or with a unit ("90s", "15m", "2h", "1d").

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of a time limit, or undefined when the text is not one. */
export function parseTimeLimit(text: string): number | undefined {
  const t = text.trim();
  const unit = /^(\d+(?:\.\d+)?)([smhd])$/.exec(t);
  if (unit) return positive(Number(unit[1]) * UNIT_MS[unit[2] as keyof typeof UNIT_MS]);
  const withDays = /^(\d+)-(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t);
  if (withDays) {
    const [, d, h, m = '0', s = '0'] = withDays;
    return positive(((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Number(s) * 1000);
  }
  const parts = t.split(':');
  if (parts.length > 3 || !parts.every((p) => /^\d+$/.test(p))) return undefined;
  const [first = 0, second, third] = parts.map(Number);
  if (second === undefined) return positive(first * 60_000); // Slurm: a bare number is minutes
  if (third === undefined) return positive(first * 60_000 + second * 1000);
  return positive(first * 3_600_000 + second * 60_000 + third * 1000);
}

function positive(ms: number): number | undefined {
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

export function formatLimit(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

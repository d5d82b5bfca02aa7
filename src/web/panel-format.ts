// Number formatting and the benchmark ranges of PRODUCT.md §5 for the analytics panel. A missing
// value (a zero denominator) is "—" on screen, never 0.

export const DASH = '—';

const trimZero = (s: string) => s.replace(/\.0$/, '');

export const pct = (v: number | null | undefined): string => (v === null || v === undefined ? DASH : `${trimZero((v * 100).toFixed(1))} %`);
export const num = (v: number | null | undefined, digits = 0): string => (v === null || v === undefined ? DASH : trimZero(v.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: 0 })));

export function hours(h: number | null | undefined): string {
  if (h === null || h === undefined) return DASH;
  if (h < 1) return `${Math.round(h * 60)} min`;
  if (h < 48) return `${trimZero(h.toFixed(1))} h`;
  return `${trimZero((h / 24).toFixed(1))} days`;
}

export type Unit = 'count' | 'rate' | 'score' | 'ratio' | 'hours';

export const formatValue = (v: number | null | undefined, unit: Unit): string =>
  unit === 'rate' ? pct(v) : unit === 'hours' ? hours(v) : unit === 'count' ? num(v) : num(v, unit === 'ratio' ? 2 : 1);

/** "▲ 4.2 pts" and whether the move is good news (for time to claim, down is good). */
export function trendOf(delta: number | null | undefined, unit: Unit, lowerIsBetter = false) {
  if (delta === null || delta === undefined) return { text: 'no earlier data', arrow: '', tone: 'flat' as const, label: 'no trend: the previous period has no data' };
  const magnitude = unit === 'rate' ? `${trimZero(Math.abs(delta * 100).toFixed(1))} pts` : formatValue(Math.abs(delta), unit);
  if (Math.abs(delta) < 1e-9) return { text: 'no change', arrow: '▶', tone: 'flat' as const, label: 'no change on the previous period' };
  const up = delta > 0;
  return {
    text: magnitude,
    arrow: up ? '▲' : '▼',
    tone: up !== lowerIsBetter ? ('good' as const) : ('bad' as const),
    label: `${up ? 'up' : 'down'} ${magnitude} on the previous period`,
  };
}

export interface Benchmark { text: string; verdict: 'good' | 'typical' | 'poor' | null; label: string }

const RANGE_LABELS = { good: 'Above the typical range', typical: 'Within the typical range', poor: 'Below the typical range' } as const;

function ranged(text: string, v: number | null, lo: number, hi: number): Benchmark {
  const verdict = v === null ? null : v < lo ? 'poor' : v > hi ? 'good' : 'typical';
  return { text, verdict, label: verdict ? RANGE_LABELS[verdict] : '' };
}

/** Published industry ranges (PRODUCT.md §5), with where this value falls. */
export const BENCHMARKS = {
  acceptanceRate: (v: number | null): Benchmark => ranged('Typical: 65–90 % on mandatory programs (under 60 % is a red flag), 40–70 % on voluntary ones', v, 0.4, 0.9),
  shareRate: (v: number | null): Benchmark => ranged('Typical: 25–55 %', v, 0.25, 0.55),
  repeatEarnerRate: (v: number | null): Benchmark => ranged('Typical: 30–60 % in structured pathways', v, 0.3, 0.6),
  medianHours: (v: number | null): Benchmark => {
    const verdict = v === null ? null : v < 24 ? 'good' : v > 168 ? 'poor' : 'typical';
    return { text: 'Under 24 h is highly engaged; over 7 days is low urgency', verdict, label: verdict === 'good' ? 'Highly engaged' : verdict === 'poor' ? 'Low urgency' : verdict ? 'Between a day and a week' : '' };
  },
};

export const METHOD_LABELS: Record<string, string> = { lms: 'LMS', api: 'API', csv: 'CSV upload', manual: 'Manual' };
export const CHANNEL_LABELS: Record<string, string> = {
  linkedin_profile: 'LinkedIn profile', linkedin_post: 'LinkedIn post', x: 'X', facebook: 'Facebook', email: 'Email', copy_link: 'Copied link', embed: 'Embed', download: 'Download',
  linkedin: 'LinkedIn', search: 'Search', direct: 'Direct', other: 'Other',
};
export const DRIVER_LABELS: Record<string, string> = {
  aligned_to_skills: 'Aligned to skills', part_of_pathway: 'Part of a pathway', has_expiry: 'Has an expiry',
  awarded_by_lms: 'Awarded by the LMS', awarded_by_api: 'Awarded through the API', awarded_by_csv: 'Awarded by CSV upload', awarded_by_manual: 'Awarded manually',
};
export const BUCKET_LABELS: Record<string, string> = { lt1h: '< 1 h', h1to24: '1–24 h', d1to7: '1–7 days', gt7d: '> 7 days', never: 'Not claimed' };

// Shapes one analytics answer (GET /api/v1/analytics's numbers) into what the panel shows: tiles
// with trends, benchmarks and all-time baselines, the tables behind every chart, and the chart data.
import type { AnalyticsResult } from '../analytics/index.js';
import {
  BENCHMARKS, BUCKET_LABELS, CHANNEL_LABELS, DRIVER_LABELS, METHOD_LABELS, formatValue, hours, num, pct, trendOf, type Benchmark, type Unit,
} from './panel-format.js';

type Kpis = AnalyticsResult['kpis'];
type TrendKey = keyof AnalyticsResult['trends'];

interface TileSpec { key: keyof Kpis | 'medianHours'; label: string; unit: Unit; trend?: TrendKey; lowerIsBetter?: boolean; benchmark?: (v: number | null) => Benchmark; hint: string }

const TILES: TileSpec[] = [
  { key: 'awarded', label: 'Awarded', unit: 'count', trend: 'awarded', hint: 'Awards issued in the range (revoked included).' },
  { key: 'acceptanceRate', label: 'Acceptance rate', unit: 'rate', trend: 'acceptanceRate', benchmark: BENCHMARKS.acceptanceRate, hint: 'Awards ever claimed ÷ awards in the range.' },
  { key: 'shareRate', label: 'Share rate', unit: 'rate', trend: 'shareRate', benchmark: BENCHMARKS.shareRate, hint: 'Claimed awards shared at least once ÷ claimed awards.' },
  { key: 'learnerEngagementScore', label: 'Engagement score (LES)', unit: 'score', trend: 'learnerEngagementScore', hint: '(acceptance × 0.6 + share rate × 0.4) × 100.' },
  { key: 'externalImpactScore', label: 'External impact (EIS)', unit: 'ratio', trend: 'externalImpactScore', hint: 'Views of the public badge page per share.' },
  { key: 'medianHours', label: 'Median time to claim', unit: 'hours', trend: 'medianHoursToClaim', lowerIsBetter: true, benchmark: BENCHMARKS.medianHours, hint: 'Half of the claimed awards were claimed faster than this.' },
  { key: 'verifications', label: 'Verification click-throughs', unit: 'count', trend: 'verifications', hint: 'Verifications run on the awards of the range.' },
  { key: 'repeatEarnerRate', label: 'Repeat earner rate', unit: 'rate', trend: 'repeatEarnerRate', benchmark: BENCHMARKS.repeatEarnerRate, hint: 'Learners with two or more live awards ÷ learners with one.' },
];

const valueOf = (k: Kpis, key: TileSpec['key']): number | null => (key === 'medianHours' ? k.timeToClaim.medianHours : (k[key] as number | null));

function tiles(r: AnalyticsResult) {
  const days = Math.max(1, Math.round((Date.parse(r.range.to) - Date.parse(r.range.from)) / 86_400_000));
  return TILES.map((t) => {
    const value = valueOf(r.kpis, t.key);
    const delta = t.trend ? (r.trends as Record<string, number | null>)[t.trend] ?? null : null;
    return {
      label: t.label, hint: t.hint, value: formatValue(value, t.unit),
      trend: { ...trendOf(delta, t.unit, t.lowerIsBetter), period: `vs the ${days} days before` },
      allTime: formatValue(valueOf(r.allTime, t.key), t.unit),
      benchmark: t.benchmark?.(value) ?? null,
    };
  });
}

/** The module (in course order) where the gap rises most over the module before it. */
function jumpIndex(gaps: Array<number | null>): number {
  let best = -1;
  let rise = 0;
  for (let i = 1; i < gaps.length; i += 1) {
    const [prev, cur] = [gaps[i - 1], gaps[i]];
    if (prev === null || prev === undefined || cur === null || cur === undefined) continue;
    if (cur - prev > rise) { rise = cur - prev; best = i; }
  }
  return best;
}

const FLAG_LABELS = { ok: 'on target', watch: 'watch', friction: 'friction' } as const;

function modules(r: AnalyticsResult) {
  const jump = jumpIndex(r.modules.map((m) => m.gap));
  return r.modules.map((m, i) => ({ ...m, gapText: pct(m.gap), flagText: m.flag ? FLAG_LABELS[m.flag] : 'no completions', jump: i === jump }));
}

function funnel(r: AnalyticsResult) {
  const stages = [['Awarded', r.funnel.awarded], ['Accepted', r.funnel.accepted], ['Shared', r.funnel.shared], ['Viewed', r.funnel.viewed]] as const;
  return stages.map(([label, count], i) => {
    const prev = i === 0 ? null : stages[i - 1]![1];
    return { label, count, ofAwarded: pct(r.funnel.awarded ? count / r.funnel.awarded : null), dropOff: prev === null ? '' : pct(prev ? (prev - count) / prev : null) };
  });
}

/** One distribution, zero counts hidden, biggest first, with its share and the most used entry. */
function distribution(counts: Record<string, number>, labels: Record<string, string>) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const rows = Object.entries(counts).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([key, n]) => ({ key, label: labels[key] ?? key, count: n, share: pct(total ? n / total : null) }));
  return { rows, total, top: rows[0] ?? null };
}

function badges(r: AnalyticsResult) {
  return [...r.badges].sort((a, b) => (b.overallScore ?? -1) - (a.overallScore ?? -1) || a.name.localeCompare(b.name)).map((b) => ({
    ...b, acceptanceRate: b.awarded ? b.accepted / b.awarded : null, acceptanceText: pct(b.awarded ? b.accepted / b.awarded : null), lesText: num(b.learnerEngagementScore, 1), eisText: num(b.externalImpactScore, 2), overallText: num(b.overallScore, 1),
  }));
}

function timeToClaim(r: AnalyticsResult) {
  const b = r.kpis.timeToClaim.buckets;
  return (Object.keys(BUCKET_LABELS) as Array<keyof typeof b>).map((k) => ({ key: k, label: BUCKET_LABELS[k]!, count: b[k] }));
}

function drivers(r: AnalyticsResult) {
  return r.drivers.map((d) => ({
    label: DRIVER_LABELS[d.attribute] ?? d.attribute,
    with: { badges: d.with.badges, les: num(d.with.learnerEngagementScore, 1), eis: num(d.with.externalImpactScore, 2) },
    without: { badges: d.without.badges, les: num(d.without.learnerEngagementScore, 1), eis: num(d.without.externalImpactScore, 2) },
  }));
}

function pathways(r: AnalyticsResult) {
  const names = new Map(r.badges.map((b) => [b.badgeId, b.name]));
  return r.pathways.map((p) => ({
    name: p.name, repeatEarnerRate: pct(p.repeatEarnerRate),
    steps: p.steps.map((s, i) => ({ position: i + 1, name: s.name, learners: s.learners, next: s.mostCommonNext ? `${names.get(s.mostCommonNext.badgeId) ?? 'another badge'} (${s.mostCommonNext.learners})` : '—' })),
  }));
}

export function presentPanel(r: AnalyticsResult) {
  const mods = modules(r);
  const dist = {
    awarding: distribution(r.distribution.awarding, METHOD_LABELS),
    sharing: distribution(r.distribution.sharing, CHANNEL_LABELS),
    viewing: distribution(r.distribution.viewing, CHANNEL_LABELS),
  };
  const funnelRows = funnel(r);
  const ttc = timeToClaim(r);
  return {
    tiles: tiles(r),
    p90: hours(r.kpis.timeToClaim.p90Hours),
    rolling: { d7: pct(r.rolling.acceptanceRate7d), d30: pct(r.rolling.acceptanceRate30d) },
    notificationFailureRate: pct(r.kpis.notificationFailureRate),
    alerts: r.alerts,
    modules: mods,
    funnel: funnelRows,
    distribution: dist,
    badges: badges(r),
    timeToClaim: ttc,
    timeline: r.timeline.points.map((p) => ({ ...p, acceptanceText: pct(p.acceptanceRate) })),
    granularity: r.timeline.granularity,
    drivers: drivers(r),
    pathways: pathways(r),
    charts: {
      gap: { labels: mods.map((m) => m.title), values: mods.map((m) => m.gap), flags: mods.map((m) => m.flag), jump: mods.findIndex((m) => m.jump) },
      funnel: { labels: funnelRows.map((f) => f.label), values: funnelRows.map((f) => f.count) },
      awarding: { labels: dist.awarding.rows.map((x) => x.label), values: dist.awarding.rows.map((x) => x.count) },
      sharing: { labels: dist.sharing.rows.map((x) => x.label), values: dist.sharing.rows.map((x) => x.count) },
      viewing: { labels: dist.viewing.rows.map((x) => x.label), values: dist.viewing.rows.map((x) => x.count) },
      timeToClaim: { labels: ttc.map((t) => t.label), values: ttc.map((t) => t.count) },
      timeline: { granularity: r.timeline.granularity, labels: r.timeline.points.map((p) => p.start), awarded: r.timeline.points.map((p) => p.awarded), accepted: r.timeline.points.map((p) => p.accepted) },
    },
  };
}

export type PanelView = ReturnType<typeof presentPanel>;

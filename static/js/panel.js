// The analytics panel's charts (Chart.js, served from our origin) drawn from the JSON the server
// embedded in the page, plus chart downloads and the sortable badge table. The numbers themselves
// are server-rendered in the tables behind each chart, so nothing here is needed to read them.
import { downloadChart } from './chart-export.js';

const Chart = window.Chart;
const data = JSON.parse(document.getElementById('panel-data').textContent);
const charts = {};

const COLORS = { ok: '#1a7f37', watch: '#bf8700', friction: '#cf222e', none: '#8c959f', accent: '#1f6feb', accent2: '#8250df' };
const PALETTE = ['#1f6feb', '#8250df', '#1a7f37', '#bf8700', '#cf222e', '#0a7ea4', '#bc4c00', '#57606a'];

Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
Chart.defaults.color = '#3b4350';
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;

// Target bands behind the gap bars: under 15 % on target, 15–30 % watch, over 30 % friction.
const gapBands = {
  id: 'gapBands',
  beforeDatasetsDraw(chart) {
    const { ctx, chartArea: area, scales: { y } } = chart;
    const band = (from, to, color) => {
      const top = y.getPixelForValue(to);
      const bottom = y.getPixelForValue(from);
      ctx.save();
      ctx.fillStyle = color;
      ctx.fillRect(area.left, top, area.right - area.left, bottom - top);
      ctx.restore();
    };
    band(0, 15, 'rgba(26,127,55,0.08)');
    band(15, 30, 'rgba(191,135,0,0.10)');
    band(30, y.max, 'rgba(207,34,46,0.08)');
  },
};

function make(id, config) {
  const canvas = document.getElementById(`chart-${id}`);
  if (!canvas) return;
  charts[id] = new Chart(canvas, config);
}

function gapChart(g) {
  const colors = g.flags.map((f) => COLORS[f] ?? COLORS.none);
  make('gap', {
    type: 'bar',
    data: {
      labels: g.labels.map((l, i) => (i === g.jump ? `▲ ${l}` : l)),
      datasets: [{
        label: 'Gap (%)', data: g.values.map((v) => (v === null ? null : Math.round(v * 1000) / 10)), backgroundColor: colors,
        borderColor: g.values.map((_, i) => (i === g.jump ? '#1c2330' : colors[i])), borderWidth: g.values.map((_, i) => (i === g.jump ? 3 : 0)),
      }],
    },
    options: {
      scales: { y: { min: 0, max: 100, title: { display: true, text: 'Not claimed (%)' } }, x: { ticks: { autoSkip: false, maxRotation: 40 } } },
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => `Gap ${c.raw === null ? '—' : `${c.raw} %`}` } } },
    },
    plugins: [gapBands],
  });
}

function barChart(id, labels, values, opts = {}) {
  make(id, {
    type: 'bar',
    data: { labels, datasets: [{ label: opts.label ?? 'Awards', data: values, backgroundColor: opts.colors ?? COLORS.accent }] },
    options: { indexAxis: opts.horizontal ? 'y' : 'x', plugins: { legend: { display: false } }, scales: { [opts.horizontal ? 'x' : 'y']: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

function doughnut(id, d) {
  if (!d.values.length) return;
  make(id, {
    type: 'doughnut',
    data: { labels: d.labels, datasets: [{ data: d.values, backgroundColor: PALETTE.slice(0, d.values.length), borderWidth: 1 }] },
    options: { plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } } },
  });
}

function timelineChart(t) {
  make('timeline', {
    type: 'line',
    data: {
      labels: t.labels,
      datasets: [
        { label: 'Awarded', data: t.awarded, borderColor: COLORS.accent, backgroundColor: COLORS.accent, tension: 0.25, pointRadius: 2 },
        { label: 'Claimed', data: t.accepted, borderColor: COLORS.ok, backgroundColor: COLORS.ok, tension: 0.25, pointRadius: 2 },
      ],
    },
    options: { interaction: { mode: 'index', intersect: false }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxTicksLimit: 10, callback(value) { return this.getLabelForValue(value).slice(5); } } } }, plugins: { legend: { position: 'bottom' } } },
  });
}

gapChart(data.gap);
barChart('funnel', data.funnel.labels, data.funnel.values, { horizontal: true, colors: [COLORS.accent, COLORS.ok, COLORS.accent2, '#0a7ea4'] });
barChart('timeToClaim', data.timeToClaim.labels, data.timeToClaim.values, { colors: [COLORS.ok, '#4ac26b', COLORS.watch, COLORS.friction, COLORS.none] });
doughnut('awarding', data.awarding);
doughnut('sharing', data.sharing);
doughnut('viewing', data.viewing);
timelineChart(data.timeline);
window.badgetrailCharts = charts; // for people poking at the page, and the browser tests

document.addEventListener('click', (e) => {
  const button = e.target.closest('[data-download]');
  if (!button) return;
  const chart = charts[button.dataset.target];
  if (chart) downloadChart(chart, button.dataset.download, `badgetrail-${button.dataset.target}.${button.dataset.download}`);
});

// Sortable tables: each header is a button; aria-sort tells assistive technology the order.
for (const table of document.querySelectorAll('table.sortable')) {
  table.querySelectorAll('th button[data-sort]').forEach((button, column) => {
    button.addEventListener('click', () => {
      const th = button.closest('th');
      const descending = th.getAttribute('aria-sort') !== 'descending';
      table.querySelectorAll('th').forEach((h) => h.setAttribute('aria-sort', 'none'));
      th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      const numeric = button.dataset.sort === 'number';
      const key = (row) => {
        const raw = row.children[column].dataset.value ?? row.children[column].textContent;
        if (!numeric) return raw.toLowerCase();
        return raw === '' ? -Infinity : Number(raw);
      };
      const body = table.tBodies[0];
      const rows = [...body.rows].sort((a, b) => {
        const [x, y] = [key(a), key(b)];
        const order = x < y ? -1 : x > y ? 1 : 0;
        return descending ? -order : order;
      });
      body.append(...rows);
    });
  });
}

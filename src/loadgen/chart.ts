/**
 * An SVG line chart of latency (p50 solid, p99 dashed) against throughput, one colour per series, written by hand
 * (no dependency). Points are labelled with their step (concurrency or rate). Output is a standalone SVG document.
 */

/** One measured point. */
export interface ChartPoint {
  readonly throughput: number;
  readonly p50: number;
  readonly p99: number;
  /** Short label drawn beside the point, e.g. `c=8`. */
  readonly tag: string;
}

/** A line of points (one contender or one run). */
export interface ChartSeries {
  readonly label: string;
  readonly points: readonly ChartPoint[];
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const W = 760;
const H = 460;
const M = { left: 70, right: 190, top: 40, bottom: 55 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Round tick positions covering [0, max]: steps of 1, 2 or 5 × 10^k, about five of them. */
export function ticks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const fmt = (v: number): string => (Math.abs(v) >= 1000 ? `${Number((v / 1000).toPrecision(3))}k` : String(Number(v.toPrecision(3))));

/** Render the chart. Empty series are allowed (an empty frame is drawn). */
export function renderChart(series: readonly ChartSeries[], title: string): string {
  const all = series.flatMap((s) => s.points);
  const xt = ticks(Math.max(0, ...all.map((p) => p.throughput)) * 1.05);
  const yt = ticks(Math.max(0, ...all.map((p) => p.p99)) * 1.05);
  const xMax = xt.at(-1)!;
  const yMax = yt.at(-1)!;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (v: number): number => M.left + (v / xMax) * pw;
  const y = (v: number): number => M.top + ph - (v / yMax) * ph;
  const f = (v: number): string => v.toFixed(1);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2 - M.right / 2 + M.left / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  for (const t of xt) {
    out.push(`<line x1="${f(x(t))}" y1="${M.top}" x2="${f(x(t))}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${f(x(t))}" y="${M.top + ph + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of yt) {
    out.push(`<line x1="${M.left}" y1="${f(y(t))}" x2="${M.left + pw}" y2="${f(y(t))}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${f(y(t) + 4)}" text-anchor="end">${fmt(t)}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 14}" text-anchor="middle">throughput (successful requests/s)</text>`);
  out.push(`<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">latency (ms): p50 solid, p99 dashed</text>`);
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const pts = [...s.points].sort((a, b) => a.throughput - b.throughput || a.p50 - b.p50);
    const line = (key: 'p50' | 'p99'): string => pts.map((p) => `${f(x(p.throughput))},${f(y(p[key]))}`).join(' ');
    if (pts.length > 0) {
      out.push(`<polyline points="${line('p50')}" fill="none" stroke="${colour}" stroke-width="2"/>`);
      out.push(`<polyline points="${line('p99')}" fill="none" stroke="${colour}" stroke-width="1.5" stroke-dasharray="5,4"/>`);
    }
    for (const p of pts) {
      out.push(`<circle cx="${f(x(p.throughput))}" cy="${f(y(p.p50))}" r="3" fill="${colour}"/>`);
      out.push(`<circle cx="${f(x(p.throughput))}" cy="${f(y(p.p99))}" r="3" fill="white" stroke="${colour}"/>`);
      out.push(`<text x="${f(x(p.throughput) + 5)}" y="${f(y(p.p50) - 5)}" font-size="10" fill="${colour}">${esc(p.tag)}</text>`);
    }
    const ly = M.top + 10 + i * 20;
    out.push(`<line x1="${W - M.right + 12}" y1="${ly}" x2="${W - M.right + 36}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<text x="${W - M.right + 42}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

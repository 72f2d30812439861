// Hand-written SVG charts, as strings: the training report embeds them in its HTML file and the
// playground sets them into the page as training goes. No script, no external resource; every
// label goes through escapeHtml.

import { escapeHtml } from "./escape.js";

export interface Series {
  label: string;
  /** [x, y] pairs; y null for a missing value (a gap). */
  points: readonly (readonly [number, number | null])[];
  color: string;
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  /** Formats the y axis ticks and values (default: up to 4 significant digits). */
  formatY?: (y: number) => string;
  /** Fixed y range, e.g. [0, 1] for accuracies; default the data's range. */
  yRange?: readonly [number, number];
  width?: number;
  height?: number;
}

export const SERIES_COLORS = { train: "#1f6fb2", validation: "#d9822b", extra: "#3a9a4a" } as const;

function defaultFormat(y: number): string {
  if (y === 0) return "0";
  const magnitude = Math.abs(y);
  if (magnitude >= 1e4 || magnitude < 1e-3) return y.toExponential(1);
  return String(Number(y.toPrecision(3)));
}

/** About `count` round tick values covering [low, high]. */
function ticks(low: number, high: number, count: number): number[] {
  if (!(high > low)) return [low];
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/** A line chart of one or more series; a series of one point shows as a dot. */
export function lineChart(series: readonly Series[], options: LineChartOptions): string {
  const width = options.width ?? 420;
  const height = options.height ?? 240;
  const format = options.formatY ?? defaultFormat;
  const margin = { left: 52, right: 12, top: 28, bottom: 40 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const finite = series.flatMap((s) => s.points.filter((p): p is readonly [number, number] => p[1] !== null && Number.isFinite(p[1])));
  const title = `<text x="${margin.left}" y="16" class="chart-title">${escapeHtml(options.title)}</text>`;
  const open = `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(options.title)}">`;
  const style =
    "<style>.chart-title{font:600 13px sans-serif;fill:#222}.axis{font:11px sans-serif;fill:#555}.grid{stroke:#e4e4e4}.legend{font:11px sans-serif;fill:#333}</style>";
  if (finite.length === 0) {
    return `${open}${style}${title}<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="axis">no data yet</text></svg>`;
  }
  const xs = finite.map((p) => p[0]);
  let xMin = Math.min(...xs);
  let xMax = Math.max(...xs);
  if (xMax === xMin) {
    xMin -= 0.5;
    xMax += 0.5;
  }
  let [yMin, yMax] = options.yRange ?? [Math.min(...finite.map((p) => p[1])), Math.max(...finite.map((p) => p[1]))];
  if (yMax === yMin) {
    const pad = yMax === 0 ? 1 : Math.abs(yMax) * 0.1;
    yMin -= pad;
    yMax += pad;
  }
  const sx = (x: number) => margin.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number) => margin.top + (1 - (y - yMin) / (yMax - yMin)) * plotH;
  const parts: string[] = [open, style, title];
  for (const t of ticks(yMin, yMax, 4)) {
    const y = sy(t).toFixed(1);
    parts.push(`<line class="grid" x1="${margin.left}" x2="${width - margin.right}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="axis" x="${margin.left - 6}" y="${y}" dy="3" text-anchor="end">${escapeHtml(format(t))}</text>`);
  }
  for (const t of ticks(xMin, xMax, 5)) {
    const x = sx(t).toFixed(1);
    parts.push(`<text class="axis" x="${x}" y="${height - margin.bottom + 14}" text-anchor="middle">${escapeHtml(defaultFormat(t))}</text>`);
  }
  parts.push(`<text class="axis" x="${margin.left + plotW / 2}" y="${height - 6}" text-anchor="middle">${escapeHtml(options.xLabel)}</text>`);
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#bbb"/>`);
  series.forEach((s, i) => {
    const color = escapeHtml(s.color);
    // A gap (null) starts a new piece of the line.
    const pieces: string[][] = [[]];
    for (const [x, y] of s.points) {
      if (y === null || !Number.isFinite(y)) pieces.push([]);
      else pieces[pieces.length - 1]!.push(`${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
    }
    for (const piece of pieces) {
      if (piece.length === 1) {
        const [cx, cy] = piece[0]!.split(",");
        parts.push(`<circle cx="${cx}" cy="${cy}" r="3.5" fill="${color}"/>`);
      } else if (piece.length > 1) {
        parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ""} points="${piece.join(" ")}"/>`);
      }
    }
    // Legends sit right of the title, above the plot, so that they never hide a line.
    const lx = width - margin.right - (series.length - i) * 96;
    parts.push(`<rect x="${lx}" y="7" width="10" height="10" fill="${color}"/>`);
    parts.push(`<text class="legend" x="${lx + 14}" y="16">${escapeHtml(s.label)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

/**
 * A confusion matrix as an HTML table: rows are the true classes, columns the predicted ones,
 * each cell shaded by its share of its row; the last column is the class's accuracy (recall).
 */
export function confusionTable(labels: readonly string[], matrix: readonly (readonly number[])[]): string {
  const head = `<tr><th class="corner">true \\ predicted</th>${labels.map((l) => `<th>${escapeHtml(l)}</th>`).join("")}<th>accuracy</th></tr>`;
  const rows = matrix.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const cells = row.map((n, j) => {
      const share = total > 0 ? n / total : 0;
      const color = i === j ? `rgba(31,111,178,${(0.12 + 0.75 * share).toFixed(2)})` : `rgba(217,83,43,${(share > 0 ? 0.1 + 0.8 * share : 0).toFixed(2)})`;
      return `<td style="background:${color}">${n}</td>`;
    });
    const accuracy = total > 0 ? `${((100 * row[i]!) / total).toFixed(1)}%` : "–";
    return `<tr><th>${escapeHtml(labels[i]!)}</th>${cells.join("")}<td class="class-accuracy">${accuracy}</td></tr>`;
  });
  return `<table class="confusion">${head}${rows.join("")}</table>`;
}

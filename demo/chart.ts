/** A small dependency-free SVG line chart: time (ms) against sequence length, one line per series. */
export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
}

const W = 640;
const H = 300;
const PAD = { left: 56, right: 140, top: 16, bottom: 40 };

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((m) => m >= value)!;
}

export function lineChart(series: Series[], xLabel: string, yLabel: string): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = Math.max(1, ...xs);
  const yMax = niceMax(Math.max(0, ...ys));
  const px = (x: number) => PAD.left + (x / xMax) * (W - PAD.left - PAD.right);
  const py = (y: number) => H - PAD.bottom - (y / yMax) * (H - PAD.top - PAD.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * yMax);
  const grid = ticks
    .map(
      (y) =>
        `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${py(y)}" y2="${py(y)}" stroke="#e2e8f0"/>` +
        `<text x="${PAD.left - 6}" y="${py(y) + 4}" text-anchor="end" font-size="11">${+y.toPrecision(3)}</text>`,
    )
    .join('');
  const xTicks = [...new Set(xs)]
    .map((x) => `<text x="${px(x)}" y="${H - PAD.bottom + 16}" text-anchor="middle" font-size="11">${x}</text>`)
    .join('');
  const lines = series
    .map((s, i) => {
      const path = s.points.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
      const dots = s.points.map(([x, y]) => `<circle cx="${px(x)}" cy="${py(y)}" r="3" fill="${s.color}"/>`).join('');
      const legendY = PAD.top + 14 + i * 18;
      return (
        `<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>${dots}` +
        `<rect x="${W - PAD.right + 12}" y="${legendY - 9}" width="12" height="3" fill="${s.color}"/>` +
        `<text x="${W - PAD.right + 30}" y="${legendY - 4}" font-size="12">${s.name}</text>`
      );
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${yLabel} against ${xLabel}">
    ${grid}${xTicks}${lines}
    <text x="${(PAD.left + W - PAD.right) / 2}" y="${H - 6}" text-anchor="middle" font-size="12">${xLabel}</text>
    <text transform="translate(14,${(PAD.top + H - PAD.bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${yLabel}</text>
  </svg>`;
}

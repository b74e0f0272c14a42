// Tiny line charts on <canvas>: one or more series of numbers (null = gap) over the last N seconds.
export function drawLines(canvas, series, { colors = ['#2563eb', '#d97706'], min = 0 } = {}) {
  const ctx = canvas.getContext('2d');
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const values = series.flat().filter((v) => v !== null && Number.isFinite(v));
  const max = Math.max(min + 1e-9, ...values) * 1.1;
  ctx.strokeStyle = '#e5e7eb';
  ctx.lineWidth = 1;
  for (const f of [0.25, 0.5, 0.75]) {
    ctx.beginPath();
    ctx.moveTo(0, height * f);
    ctx.lineTo(width, height * f);
    ctx.stroke();
  }
  ctx.fillStyle = '#6b7280';
  ctx.font = '10px system-ui';
  ctx.fillText(formatNumber(max), 2, 10);
  series.forEach((points, s) => {
    ctx.strokeStyle = colors[s % colors.length];
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let pen = false;
    points.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      const x = points.length > 1 ? (i / (points.length - 1)) * width : width / 2;
      const y = height - ((v - min) / (max - min)) * height;
      if (pen) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
      pen = true;
    });
    ctx.stroke();
  });
}

export function formatNumber(v) {
  if (v === null || !Number.isFinite(v)) return '–';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

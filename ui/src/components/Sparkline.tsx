import { useEffect, useRef } from 'react';
import {
  CategoryScale, Chart, Filler, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend,
} from 'chart.js';
import type { LoadPoint } from '../live/store';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Filler, Tooltip, Legend);

/**
 * Load history of one node (Chart.js): load1 and boot p50 from the heartbeats seen since
 * the page opened. The canvas is decorative for screen readers; the figures next to it and
 * the caption carry the numbers.
 */
export function Sparkline({ points, label }: { points: LoadPoint[]; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);

  useEffect(() => {
    if (!canvas.current || typeof canvas.current.getContext !== 'function' || !canvas.current.getContext('2d')) return;
    chart.current = new Chart(canvas.current, {
      type: 'line',
      data: { labels: [], datasets: [
        { label: 'load1', data: [], borderColor: '#2563eb', backgroundColor: 'rgba(37,99,235,0.12)', fill: true, tension: 0.3, pointRadius: 0, yAxisID: 'y' },
        { label: 'boot p50 (ms)', data: [], borderColor: '#d97706', tension: 0.3, pointRadius: 0, yAxisID: 'y1' },
      ] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: true, labels: { boxWidth: 10, font: { size: 10 } } }, tooltip: { enabled: true } },
        scales: {
          x: { display: false },
          y: { beginAtZero: true, ticks: { font: { size: 9 }, maxTicksLimit: 3 } },
          y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, ticks: { font: { size: 9 }, maxTicksLimit: 3 } },
        },
      },
    });
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data.labels = points.map((p) => new Date(p.t).toLocaleTimeString(undefined, { hour12: false }));
    c.data.datasets[0].data = points.map((p) => p.load1 ?? null);
    c.data.datasets[1].data = points.map((p) => p.bootP50Ms ?? null);
    c.update('none');
  }, [points]);

  return (
    <figure className="spark">
      <div className="spark-canvas">
        <canvas ref={canvas} role="img" aria-label={`${label}: load and boot latency over the last ${points.length} heartbeats`} />
      </div>
      <figcaption className="muted">{points.length} heartbeat{points.length === 1 ? '' : 's'} since this page opened</figcaption>
    </figure>
  );
}

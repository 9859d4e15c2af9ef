import { useEffect, useRef } from 'react';
import {
  CategoryScale, Chart, Filler, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend,
} from 'chart.js';
import type { CounterRate } from '../pages/countersModel';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Filler, Tooltip, Legend);

/**
 * Packets per second allowed and denied (both directions) and flows, over the reads made
 * since the page opened (Chart.js). Decorative for screen readers: the table next to it
 * carries the figures.
 */
export function CountersChart({ rates }: { rates: CounterRate[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);

  useEffect(() => {
    if (!canvas.current || typeof canvas.current.getContext !== 'function' || !canvas.current.getContext('2d')) return;
    chart.current = new Chart(canvas.current, {
      type: 'line',
      data: { labels: [], datasets: [
        { label: 'allowed/s', data: [], borderColor: '#059669', backgroundColor: 'rgba(5,150,105,0.12)', fill: true, tension: 0.3, pointRadius: 0, yAxisID: 'y' },
        { label: 'denied/s', data: [], borderColor: '#b91c1c', tension: 0.3, pointRadius: 0, yAxisID: 'y' },
        { label: 'flows', data: [], borderColor: '#2563eb', borderDash: [4, 3], tension: 0.3, pointRadius: 0, yAxisID: 'y1' },
      ] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: true, labels: { boxWidth: 10, font: { size: 10 } } }, tooltip: { enabled: true } },
        scales: {
          x: { display: false },
          y: { beginAtZero: true, ticks: { font: { size: 9 }, maxTicksLimit: 4 } },
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
    c.data.labels = rates.map((r) => new Date(r.t).toLocaleTimeString(undefined, { hour12: false }));
    c.data.datasets[0].data = rates.map((r) => r.allowedPerS);
    c.data.datasets[1].data = rates.map((r) => r.deniedPerS);
    c.data.datasets[2].data = rates.map((r) => r.flows ?? null);
    c.update('none');
  }, [rates]);

  return (
    <figure className="spark">
      <div className="spark-canvas">
        <canvas ref={canvas} role="img" aria-label={`Packets per second allowed and denied, and flows, over the last ${rates.length} reads`} />
      </div>
      <figcaption className="muted">{rates.length} interval{rates.length === 1 ? '' : 's'} since this page opened</figcaption>
    </figure>
  );
}

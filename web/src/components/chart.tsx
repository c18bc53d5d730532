// uPlot wrapper: sized to its container, redrawn with the theme's colours.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  colorVar: string;
  bars?: boolean;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export function Chart(props: {
  title: string;
  data: uPlot.AlignedData;
  series: ChartSeries[];
  height?: number;
  /** Labels for x when x is a category index (histograms, agents). */
  xLabels?: string[];
  timeX?: boolean;
  yLabel?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const { data, series, xLabels, timeX, yLabel, height = 200 } = props;

  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    let plot: uPlot | undefined;
    const build = () => {
      plot?.destroy();
      const axisColor = cssVar('--text-muted');
      const gridColor = cssVar('--border');
      const bars = uPlot.paths.bars?.({ size: [0.6, 40] });
      const options: uPlot.Options = {
        width: Math.max(200, element.clientWidth),
        height,
        legend: { show: series.length > 1 },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: Boolean(timeX) },
          y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
        },
        axes: [
          {
            stroke: axisColor,
            grid: { stroke: gridColor, width: 1 },
            ticks: { stroke: gridColor },
            ...(xLabels
              ? {
                  splits: () => xLabels.map((_, i) => i),
                  values: (_u: uPlot, splits: number[]) => splits.map((i) => xLabels[i] ?? ''),
                }
              : {}),
          },
          {
            stroke: axisColor,
            grid: { stroke: gridColor, width: 1 },
            ticks: { stroke: gridColor },
            label: yLabel,
            size: 50,
          },
        ],
        series: [
          {},
          ...series.map((s) => {
            const color = cssVar(s.colorVar);
            return {
              label: s.label,
              stroke: color,
              width: 2,
              fill: s.bars ? `${color}cc` : `${color}22`,
              paths: s.bars ? bars : undefined,
              points: { show: false },
            };
          }),
        ],
      };
      if (xLabels)
        options.scales = {
          ...options.scales,
          x: { time: false, range: [-0.6, xLabels.length - 0.4] },
        };
      plot = new uPlot(options, data, element);
    };
    build();
    const resize = new ResizeObserver(() =>
      plot?.setSize({ width: Math.max(200, element.clientWidth), height }),
    );
    resize.observe(element);
    const themeWatch = new MutationObserver(build);
    themeWatch.observe(document.documentElement, {
      attributes: true,
      attributeFilter: ['data-theme'],
    });
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', build);
    return () => {
      resize.disconnect();
      themeWatch.disconnect();
      media.removeEventListener('change', build);
      plot?.destroy();
    };
  }, [data, series, xLabels, timeX, yLabel, height]);

  return (
    <figure className="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={ref} role="img" aria-label={props.title} />
    </figure>
  );
}

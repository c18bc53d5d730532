// ANSI SGR -> styled segments. The 16 base colours are CSS classes (theme-aware); 256-colour
// and truecolour become inline colours.
import Anser from 'anser';
import type { CSSProperties } from 'react';

export interface Segment {
  text: string;
  className?: string;
  style?: CSSProperties;
}

const CUBE = [0, 95, 135, 175, 215, 255];

function paletteColor(index: number): string {
  if (index < 16) return `var(--ansi-${index})`;
  if (index < 232) {
    const n = index - 16;
    return `rgb(${CUBE[Math.floor(n / 36)]}, ${CUBE[Math.floor(n / 6) % 6]}, ${CUBE[n % 6]})`;
  }
  const level = 8 + (index - 232) * 10;
  return `rgb(${level}, ${level}, ${level})`;
}

function color(value: string | null, truecolor: string | null): string | undefined {
  if (truecolor) return `rgb(${truecolor})`;
  const match = value ? /^ansi-palette-(\d+)$/.exec(value) : null;
  return match ? paletteColor(Number(match[1])) : undefined;
}

/** Splits one line of terminal output into styled segments. */
export function ansiSegments(line: string): Segment[] {
  if (!line.includes('\u001b')) return [{ text: line }];
  const entries = Anser.ansiToJson(line, { use_classes: true, remove_empty: true });
  return entries.map((entry) => {
    const classes: string[] = [];
    const style: CSSProperties = {};
    const fg = color(entry.fg, entry.fg_truecolor);
    const bg = color(entry.bg, entry.bg_truecolor);
    if (fg) style.color = fg;
    else if (entry.fg) classes.push(`${entry.fg}-fg`);
    if (bg) style.backgroundColor = bg;
    else if (entry.bg) classes.push(`${entry.bg}-bg`);
    for (const decoration of entry.decorations) classes.push(`ansi-${decoration}`);
    return {
      text: entry.content,
      className: classes.length > 0 ? classes.join(' ') : undefined,
      style: fg || bg ? style : undefined,
    };
  });
}

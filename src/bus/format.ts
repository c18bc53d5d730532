/**
 * Human-readable rendering of messages, as the reference's `bus read` prints them:
 * `[YYYY-MM-DD HH:MM:SS] (TYPE) <body>` and a blank line.
 */
import type { BusMessage } from './record.js';

const UTC_ISO = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?Z$/;

/** `YYYY-MM-DD HH:MM:SS` in UTC; the raw text when it is not a timestamp. */
export function shortTimestamp(ts: string): string {
  const m = UTC_ISO.exec(ts);
  if (m) return `${m[1]} ${m[2]}`;
  const ms = Date.parse(ts);
  if (Number.isNaN(ms)) return ts;
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export function formatMessageText(message: BusMessage): string {
  return `[${shortTimestamp(message.ts)}] (${message.type}) ${message.body}\n\n`;
}

/** One JSON object per line (NDJSON). */
export function formatMessageJson(message: BusMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/** Bus messages as JSON: our shape (docs/api.md) and the reference's (compat.md §9). */
import type { BusMessage } from '../bus/record.js';

/** docs/api.md `Message`, plus the reference's `timestamp` name for `ts`. */
export function messageJson(m: BusMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {
    msg_id: m.msg_id,
    ts: m.ts,
    timestamp: m.ts,
    type: m.type,
    project_id: m.project_id,
    task_id: m.task_id,
    run_id: m.run_id,
  };
  if (m.issue_id) out.issue_id = m.issue_id;
  if (m.parents && m.parents.length > 0) out.parents = m.parents;
  if (m.links && m.links.length > 0) out.links = m.links;
  if (m.meta && Object.keys(m.meta).length > 0) out.meta = m.meta;
  out.body = m.body;
  return out;
}

/** The reference's list shape: empty ids omitted, Go field names inside parents/links. */
export function referenceMessageJson(m: BusMessage, sse = false): Record<string, unknown> {
  const out: Record<string, unknown> = { msg_id: m.msg_id, timestamp: m.ts, type: m.type };
  out.project_id = m.project_id;
  if (m.task_id) out.task_id = m.task_id;
  if (m.run_id) out.run_id = m.run_id;
  if (m.issue_id) out.issue_id = m.issue_id;
  if (m.parents && m.parents.length > 0) {
    out.parents = sse
      ? m.parents.map((p) => p.msg_id)
      : m.parents.map((p) => ({ MsgID: p.msg_id, Kind: p.kind ?? '', Meta: p.meta ?? null }));
  }
  if (!sse && m.links && m.links.length > 0) {
    out.links = m.links.map((l) => ({ URL: l.url, Label: l.label ?? '', Kind: l.kind ?? '' }));
  }
  if (m.meta && Object.keys(m.meta).length > 0) out.meta = m.meta;
  out.body = m.body;
  return out;
}

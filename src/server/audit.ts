/**
 * Append-only audit log `<root>/_audit/audit.jsonl`: who did what to which task, from where.
 * One JSON line per event, written with O_APPEND so concurrent writers never interleave
 * lines. Never a token and never the prompt text: callers pass only the fields below.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { rotateBySize } from '../core/log-caps.js';
import { join } from 'node:path';
import { AUDIT_DIR } from '../core/layout.js';
import { log } from '../core/log.js';

export const AUDIT_FILE = 'audit.jsonl';

export type AuditAction =
  | 'task.create'
  | 'task.stop'
  | 'task.resume'
  | 'task.delete'
  | 'run.stop'
  | 'project.delete'
  | 'project.gc'
  | 'bus.post'
  | 'auth.failed';

export interface AuditEvent {
  action: AuditAction;
  user?: string | undefined;
  request_id: string;
  remote_addr?: string | undefined;
  method?: string | undefined;
  path?: string | undefined;
  project_id?: string | undefined;
  task_id?: string | undefined;
  run_id?: string | undefined;
  agent?: string | undefined;
  msg_id?: string | undefined;
  status?: number | undefined;
  reason?: string | undefined;
}

export interface AuditLog {
  record(event: AuditEvent): void;
  readonly path: string;
}

/** `maxBytes` > 0: rotate (5 copies kept) once the log passes that size. */
export function createAuditLog(root: string, maxBytes = 0): AuditLog {
  const dir = join(root, AUDIT_DIR);
  const path = join(dir, AUDIT_FILE);
  let dirReady = false;
  return {
    path,
    record(event: AuditEvent): void {
      const line = `${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`;
      try {
        if (!dirReady) {
          mkdirSync(dir, { recursive: true });
          dirReady = true;
        }
        if (maxBytes > 0) rotateBySize(path, maxBytes, 5);
        appendFileSync(path, line, { mode: 0o600 });
      } catch (error) {
        // Losing an audit line must not fail the request; say so loudly instead.
        log().error({ err: error, action: event.action }, 'cannot write audit log');
      }
    },
  };
}

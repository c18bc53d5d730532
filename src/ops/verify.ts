/**
 * Checks that every run record and bus file under a folder reads back: run-info.yaml is a
 * YAML mapping, a bus file parses to the end (no torn record). Used on the staged snapshot
 * before archiving and on the root after a restore.
 */
import { readFileSync } from 'node:fs';
import { parseBusText } from '../bus/record.js';
import { parseYaml } from '../core/yaml.js';
import { rootFileKind, walkFiles } from './root-files.js';

export interface VerifyReport {
  files: number;
  runInfos: number;
  busFiles: number;
  busMessages: number;
  /** `<relative path>: <problem>`, empty when everything reads back. */
  problems: string[];
}

/** Why run-info text is unusable, or undefined when it is a YAML mapping. */
export function runInfoProblem(text: string): string | undefined {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    return `invalid YAML (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return 'not a YAML mapping';
  }
  return undefined;
}

/**
 * Length of the prefix of bus text made of complete records. A last record without a final
 * newline (as the reference writes bodies) still counts when its header is complete; only a
 * record cut inside its header is dropped.
 */
export function completeBusLength(text: string): { length: number; messages: number } {
  const parsed = parseBusText(text);
  if (parsed.rest >= text.length) return { length: text.length, messages: parsed.messages.length };
  const closed = parseBusText(`${text}\n`);
  if (closed.rest >= text.length + 1 && closed.messages.length > parsed.messages.length) {
    return { length: text.length, messages: closed.messages.length };
  }
  return { length: parsed.rest, messages: parsed.messages.length };
}

export function verifyTree(dir: string): VerifyReport {
  const report: VerifyReport = { files: 0, runInfos: 0, busFiles: 0, busMessages: 0, problems: [] };
  for (const { relPath, absPath } of walkFiles(dir)) {
    report.files++;
    const kind = rootFileKind(absPath);
    if (kind === 'other') continue;
    const text = readFileSync(absPath, 'utf8');
    if (kind === 'run-info') {
      report.runInfos++;
      const problem = runInfoProblem(text);
      if (problem !== undefined) report.problems.push(`${relPath}: ${problem}`);
    } else {
      report.busFiles++;
      const complete = completeBusLength(text);
      report.busMessages += complete.messages;
      if (complete.length < text.length && text.slice(complete.length).trim() !== '') {
        report.problems.push(
          `${relPath}: torn record at byte ${Buffer.byteLength(text.slice(0, complete.length))}`,
        );
      }
    }
  }
  return report;
}

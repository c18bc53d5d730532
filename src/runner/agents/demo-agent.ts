/**
 * The `run-agent __demo-agent` process body. It behaves like a small, honest agent so the
 * product can be tried without any key: streams readable progress for a second or two,
 * posts one PROGRESS message to the task bus (when this build has `bus post`), checks the
 * file names the prompt mentions, writes output.md with a `## Summary`, and marks the task
 * DONE. Keywords in the prompt exercise failure paths: DEMO_FAIL (exit 1), DEMO_PERMANENT
 * (exit 2), DEMO_SLOW (a line per second for 60 s), DEMO_HANG (never finishes).
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PermanentError, RetriableError } from '../../core/errors.js';
import { writeFileAtomicSync } from '../../core/fs-atomic.js';
import { selfCommand } from '../../core/self.js';

export interface DemoAgentIo {
  prompt: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  writeOut: (text: string) => void;
  /** Pause between progress lines (tests may shorten it). */
  stepMs?: number;
}

/** The preamble ends with this line; the user's prompt follows (compat.md §6). */
const PREAMBLE_END = '\n---\n\n';
const RESTART_PREFIX = 'Continue working on the following:\n\n';

export function userPromptOf(prompt: string): string {
  const cut = prompt.indexOf(PREAMBLE_END);
  const text = cut === -1 ? prompt : prompt.slice(cut + PREAMBLE_END.length);
  return text.startsWith(RESTART_PREFIX) ? text.slice(RESTART_PREFIX.length) : text;
}

/** Words that look like file paths: a name with an extension, optionally with folders. */
export function mentionedFiles(text: string, limit = 20): string[] {
  const found = new Set<string>();
  const re =
    /(?:^|[\s`'"(<[])((?:\.{0,2}\/)?[\w.-]+(?:\/[\w.-]+)*\.[A-Za-z0-9]{1,10})(?=$|[\s`'")>\],;:!?]|\.(?:\s|$))/g;
  for (const match of text.matchAll(re)) {
    const name = match[1];
    if (name === undefined || /^\d+(\.\d+)+$/.test(name) || name.includes('://')) continue;
    found.add(name);
    if (found.size >= limit) break;
  }
  return [...found];
}

export async function runDemoAgent(io: DemoAgentIo): Promise<void> {
  const step = io.stepMs ?? 300;
  const prompt = io.prompt;
  const user = userPromptOf(prompt).trim();
  const say = (text: string): void => io.writeOut(`${text}\n`);

  say(`demo agent: read a ${wordCount(user)}-word prompt`);
  if (prompt.includes('DEMO_HANG')) {
    say('demo agent: DEMO_HANG, waiting forever');
    for (;;) await sleep(3_600_000);
  }
  if (prompt.includes('DEMO_SLOW')) {
    for (let i = 1; i <= 60; i++) {
      say(`demo agent: slow step ${i}/60`);
      await sleep(1000);
    }
  }
  await sleep(step);
  if (prompt.includes('DEMO_FAIL'))
    throw new RetriableError('DEMO_FAIL', 'demo agent: DEMO_FAIL requested');
  if (prompt.includes('DEMO_PERMANENT')) {
    throw new PermanentError('DEMO_PERMANENT', 'demo agent: DEMO_PERMANENT requested');
  }

  const files = mentionedFiles(user).map((name) => ({
    name,
    exists: existsSync(isAbsolute(name) ? name : resolve(io.cwd, name)),
  }));
  say(`demo agent: checking ${files.length} file name(s) from the prompt in ${io.cwd}`);
  await sleep(step);
  for (const file of files) say(`  ${file.exists ? 'found  ' : 'missing'} ${file.name}`);

  const posted = await postProgress(io.env, `demo agent checked ${files.length} file name(s)`);
  say(
    posted
      ? 'demo agent: posted PROGRESS to the message bus'
      : 'demo agent: message bus not available, skipped',
  );
  await sleep(step);

  const found = files.filter((f) => f.exists).length;
  const summary = `Checked ${files.length} file name(s) mentioned in the prompt: ${found} found, ${files.length - found} missing.`;
  const runDir = io.env.JRUN_RUN_FOLDER;
  if (runDir !== undefined && runDir !== '') {
    writeFileAtomicSync(join(runDir, 'output.md'), renderOutput(user, files, summary));
  }
  const taskDir = io.env.JRUN_TASK_FOLDER;
  if (taskDir !== undefined && taskDir !== '') writeFileSync(join(taskDir, 'DONE'), '');
  say(`demo agent: done. ${summary}`);
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}

function renderOutput(
  user: string,
  files: { name: string; exists: boolean }[],
  summary: string,
): string {
  const lines = ['# Demo agent', '', '## Summary', '', summary, ''];
  if (files.length > 0) {
    lines.push('## Files', '');
    for (const f of files) lines.push(`- \`${f.name}\`: ${f.exists ? 'found' : 'missing'}`);
    lines.push('');
  }
  const quoted = user
    .split('\n')
    .slice(0, 10)
    .map((l) => `> ${l}`);
  lines.push('## Prompt', '', ...quoted, '');
  return lines.join('\n');
}

/** Post through `run-agent bus post` only if this build has it; any failure is silent. */
async function postProgress(env: NodeJS.ProcessEnv, body: string): Promise<boolean> {
  const [node, script] = selfCommand('run-agent');
  if (node === undefined || script === undefined || env.JRUN_MESSAGE_BUS === undefined)
    return false;
  const help = await run(node, [script, 'bus', '--help'], env);
  if (help.code !== 0 || !/\bpost\b/.test(help.stdout)) return false;
  const post = await run(node, [script, 'bus', 'post', '--type', 'PROGRESS', '--body', body], env);
  return post.code === 0;
}

function run(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => {
    execFile(file, args, { env, timeout: 10_000, killSignal: 'SIGKILL' }, (error, stdout) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      done({ code, stdout });
    });
  });
}

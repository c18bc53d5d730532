/**
 * `run-agent bus post|read|discover` and the `messagebus-tool` verbs (write/post/read).
 * Only commander and flag helpers load at start-up; the bus itself is imported inside the
 * actions so `--help` and `--version` stay fast.
 */
import type { Command } from 'commander';
// Node built-ins are already in memory; importing them costs nothing at start-up.
import { fstatSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { addScopeOptions, collectList, parseIntFlag } from '../options.js';
import { subcommand } from '../program.js';

interface ScopeOptions {
  root?: string;
  projectId?: string;
  project?: string;
  taskId?: string;
  task?: string;
}

interface PostOptions extends ScopeOptions {
  type: string;
  body?: string;
  run?: string;
  runId?: string;
  json?: boolean;
}

interface ReadOptions extends ScopeOptions {
  tail?: string;
  follow?: boolean;
  since?: string;
  typeFilter?: string[];
  filterType?: string[];
  run?: string;
  runId?: string;
  json?: boolean;
}

/** `messagebus-tool write "a\nb"`: the seed passes escapes literally; expand \n, \t, \\. */
export function expandEscapes(text: string): string {
  return text.replace(/\\([nt\\r])/g, (_, c: string) =>
    c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : '\\',
  );
}

async function readStdinIfPiped(): Promise<string | undefined> {
  let piped = false;
  try {
    const st = fstatSync(0);
    piped = st.isFIFO() || st.isFile() || st.isSocket();
  } catch {
    piped = false;
  }
  if (!piped) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // `echo text | bus post` should post "text", not "text\n".
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function location(opts: ScopeOptions, runId?: string) {
  return {
    root: opts.root,
    projectId: opts.projectId ?? opts.project,
    taskId: opts.taskId ?? opts.task,
    runId,
  };
}

async function postAction(opts: PostOptions, words: string[] | undefined, escapes: boolean) {
  const bus = await import('../../bus/index.js');
  const { ValidationError, fsError } = await import('../../core/errors.js');

  let body = opts.body ?? (words && words.length > 0 ? words.join(' ') : undefined);
  // Escapes are for text typed on the command line; piped input is taken literally.
  if (body !== undefined && escapes) body = expandEscapes(body);
  body ??= await readStdinIfPiped();
  if (body === undefined) {
    throw new ValidationError(
      'message body is required: pass --body (or text), or pipe it on stdin',
    );
  }

  const input = location(opts, opts.runId ?? opts.run);
  const target = bus.resolveBus('post', input);
  const scope = bus.resolvePostScope(target, input);
  const draft = { ...scope, type: opts.type, body };
  // Check everything before creating folders, so bad input leaves no trace.
  bus.validateDrafts([draft]);
  if (target.source === 'flags') {
    try {
      mkdirSync(dirname(target.path), { recursive: true });
    } catch (error) {
      throw fsError('create folder for', target.path, error);
    }
  }
  const [message] = await bus.appendMessages(target.path, [draft]);
  process.stdout.write(
    opts.json
      ? `${JSON.stringify({ msg_id: message!.msg_id, ts: message!.ts, path: target.path })}\n`
      : `msg_id: ${message!.msg_id}\n`,
  );
}

/** Write to stdout; a closed pipe (`| head`) ends the command quietly. */
function writeOut(text: string): void {
  process.stdout.write(text);
}

async function readAction(opts: ReadOptions) {
  const bus = await import('../../bus/index.js');
  const tail = opts.tail !== undefined ? parseIntFlag(opts.tail, '--tail') : undefined;
  const types = [...(opts.typeFilter ?? []), ...(opts.filterType ?? [])];
  const runId = opts.runId ?? opts.run;
  const filter = {
    ...(types.length > 0 ? { types } : {}),
    ...(runId !== undefined ? { runId } : {}),
  };
  const target = bus.resolveBus('read', location(opts));
  const render = opts.json ? bus.formatMessageJson : bus.formatMessageText;

  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });

  if (!opts.follow) {
    const messages = await bus.readBus(target.path, {
      ...filter,
      ...(opts.since !== undefined ? { sinceId: opts.since } : {}),
      // --since alone means "everything after"; otherwise the last 20 unless told.
      tail: tail ?? (opts.since !== undefined ? 0 : 20),
    });
    writeOut(messages.map(render).join(''));
    return;
  }

  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const start = opts.since !== undefined ? { afterMsgId: opts.since } : { tail: tail ?? 20 };
  try {
    for await (const message of bus.followBus(target.path, {
      start: 'tail' in start && start.tail === 0 ? 'start' : start,
      signal: controller.signal,
      filter,
    })) {
      writeOut(render(message));
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

async function discoverAction(opts: { from?: string }) {
  const { discoverBus } = await import('../../bus/paths.js');
  const { NotFoundError } = await import('../../core/errors.js');
  const from = resolve(opts.from ?? process.cwd());
  const found = discoverBus(from);
  if (found === undefined) {
    throw new NotFoundError(
      `no message bus found in ${from} or above (looked for TASK-MESSAGE-BUS.md, PROJECT-MESSAGE-BUS.md, MESSAGE-BUS.md)`,
    );
  }
  process.stdout.write(`${found}\n`);
}

/** A post command (`bus post`, `messagebus-tool post|write`). */
export function addPostCommand(
  parent: Command,
  name: string,
  options: { text?: boolean; escapes?: boolean; description?: string } = {},
): Command {
  const cmd = subcommand(
    parent,
    options.text ? `${name} [text...]` : name,
    options.description ?? 'Post a message to the message bus',
  );
  addScopeOptions(cmd)
    .option('--root <dir>', 'runs root (default: CONDUCTOR_ROOT or ./runs)')
    .option('--type <type>', 'message type', 'INFO')
    .option('--body <text>', 'message body (default: stdin when piped)')
    .option('--run-id <id>', 'run id (default: from context or JRUN_ID)')
    .option('--run <id>', 'alias of --run-id')
    .option('--json', 'print {"msg_id":...} as JSON')
    .action(async (...args: unknown[]) => {
      const words = options.text ? (args[0] as string[]) : undefined;
      const opts = (options.text ? args[1] : args[0]) as PostOptions;
      await postAction(opts, words, options.escapes ?? false);
    });
  return cmd;
}

/** A read command (`bus read`, `messagebus-tool read`). */
export function addReadCommand(parent: Command, name: string): Command {
  const cmd = subcommand(parent, name, 'Read messages from the message bus');
  addScopeOptions(cmd)
    .option('--root <dir>', 'runs root (default: CONDUCTOR_ROOT or ./runs)')
    .option('--tail <n>', 'print the last N messages, 0 for all (default 20)')
    .option('--since <msg_id>', 'only messages after this msg_id')
    .option('--follow', 'keep printing new messages (Ctrl-C to stop)')
    .option('--type-filter <types>', 'only these types (repeat or comma-separate)', collectList)
    .option('--filter-type <types>', 'alias of --type-filter', collectList)
    .option('--run-id <id>', 'only messages of this run')
    .option('--run <id>', 'alias of --run-id')
    .option('--json', 'one JSON message per line (NDJSON)')
    .action(async (opts: ReadOptions) => readAction(opts));
  return cmd;
}

/** `run-agent bus post|read|discover`. */
export function registerBusCommands(program: Command): void {
  const bus = subcommand(program, 'bus', 'Read and post messages to the message bus');
  addPostCommand(bus, 'post');
  addReadCommand(bus, 'read');
  subcommand(bus, 'discover', 'Print the nearest message bus file at or above a folder')
    .option('--from <dir>', 'start folder (default: current folder)')
    .action(async (opts: { from?: string }) => discoverAction(opts));
}

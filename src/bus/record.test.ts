import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  escapeBody,
  formatRecord,
  formatRecords,
  parseBus,
  parseBusText,
  parseLegacyLine,
  unescapeBody,
  type BusMessage,
} from './record.js';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/bus');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

interface ApiMessage {
  msg_id: string;
  timestamp: string;
  type: string;
  project_id: string;
  task_id?: string;
  run_id?: string;
  parents?: { MsgID: string; Kind: string; Meta: null }[];
  links?: { URL: string; Label: string; Kind: string }[];
  meta?: Record<string, string>;
  body: string;
}

/** The reference server's parse, in our shape. Its bodies keep the writer's final newline; ours drop it. */
function fromApi(m: ApiMessage): BusMessage {
  const out: BusMessage = {
    msg_id: m.msg_id,
    ts: m.timestamp,
    type: m.type,
    project_id: m.project_id,
    task_id: m.task_id ?? '',
    run_id: m.run_id ?? '',
    body: m.body.endsWith('\n') ? m.body.slice(0, -1) : m.body,
  };
  if (m.parents) out.parents = m.parents.map((p) => ({ msg_id: p.MsgID, kind: p.Kind }));
  if (m.links) out.links = m.links.map((l) => ({ url: l.URL, label: l.Label, kind: l.Kind }));
  if (m.meta) out.meta = m.meta;
  return out;
}

function sample(overrides: Partial<BusMessage> = {}): BusMessage {
  return {
    msg_id: 'MSG-20260101-000000-000000001-PID00001-0001',
    ts: '2026-01-01T00:00:00.000000001Z',
    type: 'INFO',
    project_id: 'demo',
    task_id: '',
    run_id: '',
    body: 'hello',
    ...overrides,
  };
}

describe('reference bus files (golden)', () => {
  it('parses the project bus exactly as the reference server does', () => {
    const ours = parseBus(fixture('reference-PROJECT-MESSAGE-BUS.md'));
    const theirs = (
      JSON.parse(fixture('reference-project-messages.json')) as { messages: ApiMessage[] }
    ).messages.map(fromApi);
    expect(ours).toHaveLength(3);
    expect(ours).toEqual(theirs);
    const fact = ours[2]!;
    expect(fact.parents).toEqual([
      { msg_id: 'MSG-20261126-145750-501268858-PID02473-0003', kind: 'source_run_event' },
      { msg_id: 'MSG-20261126-145728-047677383-PID01933-0001', kind: 'source_fact' },
    ]);
    expect(fact.links).toHaveLength(4);
    expect(fact.meta?.completed_run_count).toBe('4');
    expect(fact.meta?.latest_run_event_ts).toBe('2026-11-26T14:57:50.501273074Z');
    expect(fact.meta?.missing_run_info_ids).toBe('');
  });

  it('parses the task bus exactly as the reference server does, including its lossy `---` record', () => {
    const ours = parseBus(fixture('reference-TASK-MESSAGE-BUS.md'));
    const theirs = (
      JSON.parse(fixture('reference-task-messages.json')) as { messages: ApiMessage[] }
    ).messages.map(fromApi);
    expect(ours).toHaveLength(25);
    expect(ours).toEqual(theirs);
    expect(ours.map((m) => m.type).slice(0, 9)).toEqual([
      'RUN_START',
      'RUN_STOP',
      'INFO',
      'PROGRESS',
      'FACT',
      'QUESTION',
      'PROGRESS',
      'INFO',
      'DECISION',
    ]);
    expect(ours[6]!.body).toBe('multi-line body, line 1\nline 2\n\nline 4 after a blank line');
    // The reference wrote a body line `---` unescaped: the text after it is gone, the next record survives.
    expect(ours[7]!.body).toBe('before the separator');
    expect(ours[8]!.run_id).toBe('20261126-1457060000-1789-1');
  });

  it('re-formats the reference project bus byte for byte', () => {
    const text = fixture('reference-PROJECT-MESSAGE-BUS.md');
    expect(formatRecords(parseBus(text), 0)).toBe(text);
  });

  it('re-formats every intact record of the reference task bus byte for byte', () => {
    const text = fixture('reference-TASK-MESSAGE-BUS.md');
    const parsed = parseBusText(text);
    parsed.messages.forEach((message, i) => {
      if (i === 7) return; // the record the reference truncated
      const end = i + 1 < parsed.starts.length ? parsed.starts[i + 1]! - 1 : text.length;
      expect(formatRecord(message)).toBe(text.slice(parsed.starts[i], end));
    });
  });
});

describe('formatRecord', () => {
  it('writes the reference framing and key order', () => {
    expect(formatRecord(sample())).toBe(
      '---\nmsg_id: MSG-20260101-000000-000000001-PID00001-0001\nts: 2026-01-01T00:00:00.000000001Z\n' +
        'type: INFO\nproject_id: demo\ntask_id: ""\nrun_id: ""\n---\nhello\n',
    );
  });

  it('writes nested parents/links/meta with 4-space indentation, meta sorted and quoted like Go', () => {
    const text = formatRecord(
      sample({
        issue_id: 'ISSUE-1',
        parents: [
          { msg_id: 'MSG-A', kind: 'reply', meta: { z: '1', a: 'x' } },
          { msg_id: 'MSG-B' },
        ],
        links: [{ url: 'https://example.com/a b', label: 'docs' }],
        meta: { zeta: 'true', alpha: '2026-01-01T00:00:00Z', mid: 'plain text' },
      }),
    );
    expect(text).toContain(
      'run_id: ""\nissue_id: ISSUE-1\nparents:\n    - msg_id: MSG-A\n      kind: reply\n      meta:\n' +
        '          a: x\n          z: "1"\n    - msg_id: MSG-B\nlinks:\n' +
        '    - url: https://example.com/a b\n      label: docs\nmeta:\n' +
        '    alpha: "2026-01-01T00:00:00Z"\n    mid: plain text\n    zeta: "true"\n---\n',
    );
    const [back] = parseBus(text);
    expect(back!.parents).toEqual([
      { msg_id: 'MSG-A', kind: 'reply', meta: { a: 'x', z: '1' } },
      { msg_id: 'MSG-B' },
    ]);
    expect(back!.meta).toEqual({ alpha: '2026-01-01T00:00:00Z', mid: 'plain text', zeta: 'true' });
  });

  it('separates records with one newline after the first', () => {
    const two = formatRecords([sample(), sample({ body: 'second' })], 0);
    expect(two).toContain('\nhello\n\n---\n');
    expect(formatRecords([sample()], 10).startsWith('\n---\n')).toBe(true);
  });
});

describe('round trip', () => {
  const bodies = [
    'one line',
    'multi\nline\n\nwith blank',
    'trailing newline\n',
    'two trailing\n\n',
    '---',
    'before\n---\nafter',
    ' ---\n  ---\n---\r\nend',
    'yaml-ish: body\nmsg_id: fake\n---\nmsg_id: MSG-FAKE\n---\nstill body',
    'unicode: żółć ✓ 日本',
    '[2026-01-01 00:00:00] FACT: looks legacy',
    'ends with cr\r',
  ];
  it.each(bodies)('keeps the body %j exactly, as the last record and in the middle', (body) => {
    const messages = [sample({ body }), sample({ body: 'next', msg_id: 'MSG-2' })];
    const text = formatRecords(messages, 0);
    expect(parseBus(text)).toEqual(messages);
    expect(parseBus(formatRecords([sample({ body })], 0))).toEqual([sample({ body })]);
  });

  it('escapes separator-like lines reversibly', () => {
    expect(escapeBody('a\n---\nb')).toBe('a\n ---\nb');
    expect(unescapeBody(escapeBody(' ---\n---'))).toBe(' ---\n---');
  });

  it('keeps odd header values (quotes, colons, numbers-as-text)', () => {
    const m = sample({
      type: 'FACT',
      task_id: '123',
      run_id: 'true',
      meta: { 'key: odd': 'value: with colon', hash: 'a #b', empty: '' },
    });
    expect(parseBus(formatRecord(m))).toEqual([m]);
  });
});

describe('parseBusText', () => {
  it('ignores an incomplete last record and leaves it as the rest', () => {
    const full = formatRecords([sample(), sample({ body: 'partial body' })], 0);
    const cut = full.slice(0, -1); // no final newline: not complete yet
    const parsed = parseBusText(cut);
    expect(parsed.messages.map((m) => m.body)).toEqual(['hello']);
    expect(cut.slice(parsed.rest).startsWith('---\nmsg_id:')).toBe(true);
  });

  it('in streaming mode returns only records closed by the next separator', () => {
    const text = formatRecords([sample(), sample({ body: 'b' })], 0);
    const parsed = parseBusText(text, { final: false });
    expect(parsed.messages).toHaveLength(1);
    expect(parseBusText(text.slice(parsed.rest)).messages[0]!.body).toBe('b');
  });

  it('skips an invalid header and resynchronises at its closing separator', () => {
    const text = '---\nnot: [valid\n---\n' + formatRecord(sample());
    expect(parseBus(text)).toEqual([sample()]);
  });

  it('accepts parents given as plain msg_id strings', () => {
    const text =
      '---\nmsg_id: MSG-X\nts: 2026-01-01T00:00:00Z\ntype: FACT\nproject_id: p\n' +
      'parents: [MSG-A, MSG-B]\n---\nbody\n';
    expect(parseBus(text)[0]!.parents).toEqual([{ msg_id: 'MSG-A' }, { msg_id: 'MSG-B' }]);
  });

  it('reads legacy one-line records with line-number ids', () => {
    const text =
      'junk line\n[2026-01-02 03:04:05] fact: legacy body\n[2026-01-02T03:04:06Z] no type here\n';
    const messages = parseBus(text + formatRecord(sample()));
    expect(messages.map((m) => [m.msg_id, m.type, m.body])).toEqual([
      ['LEGACY-LINE-000000002', 'FACT', 'legacy body'],
      ['LEGACY-LINE-000000003', 'INFO', 'no type here'],
      [sample().msg_id, 'INFO', 'hello'],
    ]);
    expect(parseLegacyLine('[not a time] X: y', 1)).toBeUndefined();
    expect(messages[0]!.ts).toBe('2026-01-02T03:04:05Z');
  });

  it('parses 10,000 messages intact (timing lives in bench/bus.ts)', () => {
    const messages = Array.from({ length: 10_000 }, (_, i) =>
      sample({ msg_id: `MSG-${i}`, body: `message ${i}\nsecond line` }),
    );
    const parsed = parseBus(formatRecords(messages, 0));
    expect(parsed).toHaveLength(10_000);
    expect(parsed[9_999]!.msg_id).toBe('MSG-9999');
    expect(parsed[9_999]!.body).toBe('message 9999\nsecond line');
  });
});

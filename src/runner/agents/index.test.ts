import { describe, expect, it } from 'vitest';
import { selfCommand } from '../../core/self.js';
import { AGENT_TYPES, BUILTIN_AGENTS, getBackend } from './index.js';
import type { AgentConfig, LaunchContext } from './types.js';

function ctx(
  agent: Partial<AgentConfig> & Pick<AgentConfig, 'type'>,
  baseEnv: NodeJS.ProcessEnv = {},
): LaunchContext {
  return {
    agent: {
      name: agent.type,
      timeoutMs: 300_000,
      maxRetries: 3,
      retryBaseDelayMs: 2_000,
      env: {},
      ...agent,
    },
    runDir: '/r/p/t/run 1',
    promptPath: '/r/p/t/run 1/prompt.md',
    cwd: '/r/p/t',
    baseEnv,
  };
}

const BASE_ENV = {
  PATH: '/usr/bin',
  JRUN_ID: 'run1',
  CLAUDECODE: '1',
  ANTHROPIC_API_KEY: 'sk-ant',
  OPENAI_API_KEY: 'sk-openai',
  OPENAI_ORG_ID: 'org-1',
  GEMINI_API_KEY: 'g',
  PERPLEXITY_API_KEY: 'pplx',
  XAI_API_KEY: 'xai',
  CODEX_API_KEY: 'codex-alias',
};

describe('registry', () => {
  it('has a backend and (except command) a built-in config for every type', () => {
    for (const type of AGENT_TYPES) {
      expect(getBackend(type).type).toBe(type);
      if (type !== 'command') {
        expect(BUILTIN_AGENTS[type]).toMatchObject({
          name: type,
          type,
          timeoutMs: 300_000,
          maxRetries: 3,
          retryBaseDelayMs: 2_000,
        });
      }
    }
    expect(BUILTIN_AGENTS.command).toBeUndefined();
    expect(getBackend('Codex').type).toBe('codex');
    expect(() => getBackend('copilot')).toThrow(/unknown agent type: copilot/);
  });

  it('only REST agents require a key', () => {
    expect(AGENT_TYPES.filter((t) => getBackend(t).requiresKey)).toEqual(['perplexity', 'xai']);
  });
});

describe('CLI launches', () => {
  it('claude: exact argv, own key only, CLAUDECODE dropped, IS_SANDBOX as root', () => {
    const launch = getBackend('claude').buildLaunch(
      ctx({ type: 'claude', token: 'secret' }, BASE_ENV),
    );
    expect(launch.argv).toEqual([
      'claude',
      '-p',
      '--input-format',
      'text',
      '--output-format',
      'stream-json',
      '--verbose',
      '--tools',
      'default',
      '--permission-mode',
      'bypassPermissions',
    ]);
    expect(launch.env.ANTHROPIC_API_KEY).toBe('secret');
    for (const name of [
      'OPENAI_API_KEY',
      'GEMINI_API_KEY',
      'PERPLEXITY_API_KEY',
      'XAI_API_KEY',
      'CODEX_API_KEY',
      'CLAUDECODE',
    ]) {
      expect(launch.env[name]).toBeUndefined();
    }
    expect(launch.env.JRUN_ID).toBe('run1');
    expect(launch.env.IS_SANDBOX).toBe(process.getuid?.() === 0 ? '1' : undefined);
    expect(launch.commandline).toBe(
      "claude -p --input-format text --output-format stream-json --verbose --tools default --permission-mode bypassPermissions < '/r/p/t/run 1/prompt.md'",
    );
  });

  it('codex: command override, inherited key kept when no token, agent env last', () => {
    const launch = getBackend('codex').buildLaunch(
      ctx(
        {
          type: 'codex',
          command: ['/opt/codex', '--profile', 'ci'],
          env: { CODEX_HOME: '/h', OPENAI_API_KEY: 'from-env-map' },
        },
        BASE_ENV,
      ),
    );
    expect(launch.argv).toEqual([
      '/opt/codex',
      '--profile',
      'ci',
      'exec',
      '--json',
      '--dangerously-bypass-approvals-and-sandbox',
      '--skip-git-repo-check',
      '-',
    ]);
    expect(launch.env).toMatchObject({
      OPENAI_API_KEY: 'from-env-map',
      OPENAI_ORG_ID: 'org-1',
      CODEX_API_KEY: 'codex-alias',
      CODEX_HOME: '/h',
    });
    expect(launch.env.ANTHROPIC_API_KEY).toBeUndefined();
  });

  it("a configured model is passed with each CLI's flag (before codex's stdin -)", () => {
    const argvOf = (type: 'claude' | 'codex' | 'gemini') =>
      getBackend(type).buildLaunch(ctx({ type, model: 'm1' })).argv;
    expect(argvOf('claude').slice(-2)).toEqual(['--model', 'm1']);
    expect(argvOf('codex').slice(-3)).toEqual(['-m', 'm1', '-']);
    expect(argvOf('gemini').slice(-2)).toEqual(['--model', 'm1']);
  });

  it('gemini: trusts the workspace by env', () => {
    const launch = getBackend('gemini').buildLaunch(ctx({ type: 'gemini' }, BASE_ENV));
    expect(launch.argv).toEqual([
      'gemini',
      '--screen-reader',
      'true',
      '--approval-mode',
      'yolo',
      '--output-format',
      'stream-json',
    ]);
    expect(launch.env.GEMINI_CLI_TRUST_WORKSPACE).toBe('true');
    expect(launch.env.GEMINI_API_KEY).toBe('g');
  });
});

describe('REST, command and demo launches', () => {
  it('xai runs our __rest-agent with the key in env, never in argv', () => {
    const launch = getBackend('xai').buildLaunch(
      ctx(
        {
          type: 'xai',
          token: 'xai-secret-123',
          model: 'grok-4-fast',
          baseUrl: 'http://127.0.0.1:9/v1',
          idleTimeoutMs: 5000,
        },
        BASE_ENV,
      ),
    );
    expect(launch.argv).toEqual([
      ...selfCommand('run-agent'),
      '__rest-agent',
      '--type',
      'xai',
      '--run-dir',
      '/r/p/t/run 1',
      '--model',
      'grok-4-fast',
      '--base-url',
      'http://127.0.0.1:9/v1',
      '--timeout-ms',
      '300000',
      '--idle-timeout-ms',
      '5000',
    ]);
    expect(launch.argv.join(' ')).not.toContain('xai-secret-123');
    expect(launch.commandline).not.toContain('xai-secret-123');
    expect(launch.env.XAI_API_KEY).toBe('xai-secret-123');
    expect(launch.env.PERPLEXITY_API_KEY).toBeUndefined();
  });

  it('command needs a command line and strips every key', () => {
    expect(() => getBackend('command').buildLaunch(ctx({ type: 'command' }))).toThrow(
      /needs a command/,
    );
    const launch = getBackend('command').buildLaunch(
      ctx({ type: 'command', command: ['python3', 'agent.py'] }, BASE_ENV),
    );
    expect(launch.argv).toEqual(['python3', 'agent.py']);
    expect(Object.keys(launch.env).filter((k) => k.endsWith('_API_KEY'))).toEqual([]);
  });

  it('demo runs our __demo-agent', () => {
    const launch = getBackend('demo').buildLaunch(ctx({ type: 'demo' }));
    expect(launch.argv).toEqual([...selfCommand('run-agent'), '__demo-agent']);
  });
});

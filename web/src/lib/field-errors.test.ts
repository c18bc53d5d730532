import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { fieldErrors } from './field-errors';

const invalid = (message: string, details?: Record<string, unknown>) =>
  new ApiError(400, 'INVALID_INPUT', message, details);

describe('fieldErrors', () => {
  it('puts a message that names a field next to that field', () => {
    expect(fieldErrors(invalid('invalid project_id: Too small'))).toEqual({
      fields: { project_id: 'invalid project_id: Too small' },
    });
    expect(
      fieldErrors(invalid('invalid project id "a b": must not contain spaces')).fields,
    ).toHaveProperty('project_id');
    expect(fieldErrors(invalid('unknown agent "nope" (known: demo)')).fields).toHaveProperty(
      'agent',
    );
    expect(fieldErrors(invalid('invalid timeout: Too small')).fields).toHaveProperty('timeout');
  });

  it('uses structured details when the server sends them', () => {
    expect(fieldErrors(invalid('bad input', { agent_type: 'unknown' })).fields).toEqual({
      agent: 'unknown',
    });
    expect(
      fieldErrors(invalid('bad input', { issues: [{ path: ['depends_on', 0], message: 'cycle' }] }))
        .fields,
    ).toEqual({ depends_on: 'cycle' });
  });

  it('falls back to a form-level message', () => {
    expect(fieldErrors(invalid('server is busy'))).toEqual({ fields: {}, form: 'server is busy' });
    expect(fieldErrors(new Error('offline'))).toEqual({ fields: {}, form: 'offline' });
  });
});

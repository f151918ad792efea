import { describe, expect, it } from 'vitest';
import {
  COMMAND_NAME_LIST,
  COMMAND_NAMES,
  MAX_REQUEST_BYTES,
  PROTOCOL_VERSION,
  ProtocolError,
  parseArgs,
  parseRequest,
  parseResult,
} from '../../src-shared/protocol';

function rejects(raw: unknown): ProtocolError {
  try {
    parseRequest(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

describe('protocol validation', () => {
  it('accepts a well-formed request and fills defaults', () => {
    const request = parseRequest(JSON.stringify({ v: PROTOCOL_VERSION, type: 'request', id: 7, command: 'datasetInfo', args: { data: 'toy:rings' } }));
    expect(request).toEqual({ id: 7, command: 'datasetInfo', args: { data: 'toy:rings', examples: 8 } });
  });

  it('rejects each malformed kind with a code naming the problem', () => {
    expect(rejects('{not json').code).toBe('BAD_FRAME');
    expect(rejects({ v: 99, type: 'request', id: 1, command: 'ping', args: {} }).code).toBe('VERSION_MISMATCH');
    expect(rejects({ v: 1, type: 'request', id: 1, command: 'launchMissiles', args: {} }).message).toContain('launchMissiles');
    const missing = rejects({ v: 1, type: 'request', id: 1, command: 'ping', args: {} });
    expect(missing.code).toBe('INVALID_ARGS');
    expect(missing.details?.join()).toContain('nonce');
    const wrongType = rejects({ v: 1, type: 'request', id: 1, command: 'ping', args: { nonce: 5 } });
    expect(wrongType.code).toBe('INVALID_ARGS');
    const extra = rejects({ v: 1, type: 'request', id: 1, command: 'ping', args: { nonce: 'a', evil: true } });
    expect(extra.details?.join()).toContain('evil');
    const big = 'x'.repeat(MAX_REQUEST_BYTES + 1);
    expect(rejects(JSON.stringify({ v: 1, type: 'request', id: 1, command: 'ping', args: { nonce: big } })).code).toBe('TOO_LARGE');
    expect(rejects({ v: 1, type: 'request', id: -1, command: 'ping', args: { nonce: '' } }).code).toBe('BAD_FRAME');
  });

  it('validates results as strictly as arguments', () => {
    expect(() => parseResult('ping', { nonce: 'a', pid: 'x', uptimeMs: 1 })).toThrow(/pid/);
    expect(parseResult('ping', { nonce: 'a', pid: 3, uptimeMs: 1 })).toEqual({ nonce: 'a', pid: 3, uptimeMs: 1 });
  });

  it('keeps the preload allowlist identical to the schema map', () => {
    expect([...COMMAND_NAME_LIST].sort()).toEqual([...COMMAND_NAMES].sort());
  });

  it('rejects impossible training overrides before they reach the engine', () => {
    expect(() => parseArgs('startTraining', { preset: 'toy2d', overrides: { model: { beta: 1.5 } } })).toThrow(ProtocolError);
    expect(() => parseArgs('startTraining', { preset: 'no-such', overrides: {} })).toThrow(/preset/);
  });
});

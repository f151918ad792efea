import { describe, expect, it } from 'vitest';
import { handlers } from '../../src-main/engine/handlers';
import {
  COMMAND_NAME_LIST,
  COMMAND_NAMES,
  events,
  isHostCommand,
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

  it('has an engine handler for every engine command, and none for host commands', () => {
    const engineCommands = COMMAND_NAMES.filter((c) => !isHostCommand(c)).sort();
    expect(Object.keys(handlers).sort()).toEqual(engineCommands);
  });

  it('resumes by folder with optional settings to check, and refuses unknown ones', () => {
    expect(parseArgs('resumeTraining', { runDir: 'runs/a' })).toEqual({ runDir: 'runs/a' });
    expect(parseArgs('resumeTraining', { runDir: 'runs/a', steps: 20, expected: { train: { batchSize: 8 } } })).toMatchObject({ steps: 20 });
    expect(() => parseArgs('resumeTraining', { runDir: 'runs/a', expected: { train: { batch: 8 } } })).toThrow(/batch/);
    expect(() => parseArgs('resumeTraining', {})).toThrow(/runDir/);
  });

  it('takes a supersede key and a preview flag on interactive requests only', () => {
    const sample = parseArgs('sample', { run: { runId: 'r' }, n: 16, temperature: 0.7, seed: 1, supersede: 'sampler' });
    expect(sample).toMatchObject({ supersede: 'sampler', preview: false });
    expect(() => parseArgs('sample', { run: { runId: 'r' }, n: 16, temperature: 0.7, seed: 1, supersede: '' })).toThrow(/supersede/);
    expect(parseArgs('perturbGrid', { run: { runId: 'r' }, image: { split: 'test', index: 3 }, temperature: 0.7, seed: 1, supersede: 'grid' })).toMatchObject({ supersede: 'grid' });
    expect(() => parseArgs('bounds', { data: 'toy:rings', supersede: 'x' })).toThrow(/supersede/);
  });

  it('carries batches of metrics records in one event', () => {
    const record = { step: 1, time: 5, trainNll: 2.5 };
    expect(events.metrics.parse({ runId: 'r', records: [record, { ...record, step: 2 }] }).records).toHaveLength(2);
    expect(() => events.metrics.parse({ runId: 'r', records: [] })).toThrow();
    expect(() => events.metrics.parse({ runId: 'r', record })).toThrow();
  });
});

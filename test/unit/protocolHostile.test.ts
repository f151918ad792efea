/**
 * Hostile frames get a protocol error that names the problem, never a crash or a generic
 * failure from deep inside validation (a stack overflow, a throwing toString).
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_REQUEST_BYTES,
  MAX_REQUEST_DEPTH,
  MAX_REQUEST_VALUES,
  ProtocolError,
  parseRequest,
  toErrorInfo,
} from '../../src-shared/protocol';

function deepArrayText(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

function deepArray(depth: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** What a client would get back: the error info of whatever parseRequest threw. */
function replyTo(raw: unknown): { code: string; message: string; details?: string[] } {
  try {
    parseRequest(raw);
  } catch (error) {
    return toErrorInfo(error);
  }
  throw new Error('expected the frame to be refused');
}

const ping = (extra: Record<string, unknown>): Record<string, unknown> => ({ v: 1, type: 'request', id: 1, command: 'ping', args: { nonce: 'n' }, ...extra });

describe('hostile request frames', () => {
  it('names the version of a frame whose v has a bad toString or is a deep array', () => {
    const badToString = replyTo('{"v":{"toString":1},"type":"request","id":1,"command":"ping","args":{"nonce":"n"}}');
    expect(badToString.code).toBe('VERSION_MISMATCH');
    expect(badToString.message).toMatch(/protocol version of type object is not supported/);

    const deepText = replyTo(`{"v":${deepArrayText(100_000)},"type":"request","id":1,"command":"ping","args":{}}`);
    expect(deepText.code).toBe('VERSION_MISMATCH');
    expect(deepText.message).toMatch(/of type array/);

    // The same frame as an object (how Electron IPC and in-process callers hand it over).
    expect(replyTo(ping({ v: deepArray(100_000) })).code).toBe('VERSION_MISMATCH');
    expect(replyTo(ping({ v: 2 })).message).toMatch(/protocol version 2 is not supported/);
  });

  it('refuses deep nesting in any field with a message naming the limit', () => {
    for (const frame of [
      ping({ args: { nonce: deepArray(100_000) } }),
      ping({ id: deepArray(100_000) }),
      ping({ command: deepArray(100_000) }),
      `{"v":1,"type":"request","id":1,"command":"startTraining","args":{"preset":"toy2d","overrides":${deepArrayText(100_000)}}}`,
    ]) {
      const reply = replyTo(frame);
      expect(reply.code).toBe('BAD_FRAME');
      expect(reply.message).toBe(`request is nested deeper than ${MAX_REQUEST_DEPTH} levels`);
    }
  });

  it('refuses huge values that arrive as objects (no JSON text to measure)', () => {
    const manyValues = replyTo(ping({ args: { nonce: new Array(MAX_REQUEST_VALUES + 1).fill(0) } }));
    expect(manyValues.code).toBe('TOO_LARGE');
    expect(manyValues.message).toMatch(/more than 100000 values/);
    const longText = replyTo(ping({ args: { nonce: 'x'.repeat(MAX_REQUEST_BYTES + 1) } }));
    expect(longText.code).toBe('TOO_LARGE');
    const fn = replyTo(ping({ args: { nonce: () => 1 } }));
    expect(fn).toMatchObject({ code: 'BAD_FRAME', message: 'request holds a function, which is not JSON data' });
    expect(replyTo(ping({ args: { nonce: 10n } })).code).toBe('BAD_FRAME');
  });

  it('answers thousands of bad keys with a short list of problems', () => {
    const args: Record<string, number> = { nonce: 1 };
    for (let i = 0; i < 5000; i++) args[`key${i}`] = i;
    const reply = replyTo(ping({ args }));
    expect(reply.code).toBe('INVALID_ARGS');
    expect(reply.details!.length).toBeLessThanOrEqual(11);
    expect(reply.message.length).toBeLessThan(4000);
  });

  it('still accepts the deepest real request', () => {
    const request = parseRequest({
      v: 1,
      type: 'request',
      id: 3,
      command: 'startTraining',
      args: { preset: 'toy2d', overrides: { model: { coupling: { hidden: 32 } }, train: { learningRate: { warmupSteps: 0 } } } },
    });
    expect(request.command).toBe('startTraining');
    expect(() => parseRequest(ping({}))).not.toThrow(ProtocolError);
  });
});

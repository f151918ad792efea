/** The data-spec helpers beside the parser: the options a format ignores, and path replacement. */
import { describe, expect, it } from 'vitest';
import { parseDataSpec, unusedOptions, withDataSpecPath } from '../../../src-shared/dataSpec';

describe('data spec helpers', () => {
  it('names the options a format does not read', () => {
    expect(unusedOptions(parseDataSpec('toy:rings?n=100&size=8&bits=3'))).toEqual(['size', 'bits']);
    expect(unusedOptions(parseDataSpec('cifar10:/d?testFraction=0.1&n=100&bits=5'))).toEqual(['testFraction', 'n']);
    expect(unusedOptions(parseDataSpec('folder:/d?testFraction=0.1&size=64&bits=5'))).toEqual([]);
  });

  it('replaces the path and keeps format and options, also for text still being typed', () => {
    expect(withDataSpecPath('folder:/old?size=64&bits=5', '/new')).toBe('folder:/new?size=64&bits=5');
    expect(withDataSpecPath('mnist:~/x', '/data/mnist')).toBe('mnist:/data/mnist');
    expect(withDataSpecPath('', '/pics')).toBe('folder:/pics');
    expect(withDataSpecPath('/typed/path?bits=5', '/pics')).toBe('folder:/pics?bits=5');
    expect(parseDataSpec(withDataSpecPath('folder:/a?size=32', '/b'))).toMatchObject({ format: 'folder', path: '/b', options: { size: 32 } });
  });
});

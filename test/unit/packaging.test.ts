/** Packaging cannot run here (it downloads Electron); validate what it would read instead. */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

describe('electron-builder config', () => {
  const config = parse(readFileSync('electron-builder.yml', 'utf8')) as Record<string, unknown>;
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as Record<string, unknown>;

  it('packages the built output and unpacks native and wasm files', () => {
    expect(config['files']).toContain('out/**');
    const unpack = config['asarUnpack'] as string[];
    expect(unpack.some((p) => p.includes('tfjs-node-gpu'))).toBe(true);
    expect(unpack.some((p) => p.endsWith('*.wasm'))).toBe(true);
    expect(existsSync('resources/icon.png')).toBe(true);
  });

  it('points Electron at the built main entry', () => {
    expect(pkg['main']).toBe('out/main/index.js');
    expect(existsSync('out/main/index.js')).toBe(true);
    expect(existsSync('out/preload/index.cjs')).toBe(true);
  });

  it('keeps native tfjs optional', () => {
    const meta = pkg['peerDependenciesMeta'] as Record<string, { optional: boolean }>;
    expect(meta['@tensorflow/tfjs-node-gpu']?.optional).toBe(true);
    expect(JSON.stringify(pkg['dependencies'])).not.toContain('tfjs-node');
  });
});

// Types of ensureBuilt.js (plain JavaScript: it runs before anything is built).
export declare const BUILD_INPUTS: readonly string[];
export declare const BUILD_OUTPUTS: readonly string[];
export declare function buildState(root: string): 'fresh' | 'missing' | 'stale';
export declare function ensureBuilt(root: string): string | null;

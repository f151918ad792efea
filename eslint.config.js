// Lint: typescript-eslint's recommended rules for every TypeScript file, Vue's for the renderer.
import js from '@eslint/js';
import pluginVue from 'eslint-plugin-vue';
import tseslint from 'typescript-eslint';
import vueParser from 'vue-eslint-parser';

/**
 * The engine's floors (docs/flow.md): each folder imports only from the floors below it, so no
 * arrow points upward:
 *   numeric/ (host float64) ← ops/ (tfjs ops) ← flow/ (bijections) ← train/ ← runs/ ← experiments/ ← handlers/
 * theory/ (estimators) uses numeric/ and ops/, and flow/ for types only; check/ (independent
 * checks of a flow) uses numeric/, ops/ and flow/. train/ and above may use theory/, check/ and
 * the data layer (src-main/data). tf.ts is everyone's; backend.ts (tfjs start-up) is for runs/
 * and above; the process wiring (context, dispatcher, process, state) for handlers/ only.
 * Engine imports are relative, so a folder is recognised by its name in the import path.
 */
function engineLayers() {
  const folder = (names) => `(^|/)(${names.join('|')})(/|$)`;
  const root = (names) => `^(\\.\\./)+(${names.join('|')})$`;
  const wiring = ['context', 'dispatcher', 'process', 'state'];
  const rule = (files, forbidden, extra = []) => ({
    files: [`src-main/engine/${files}/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: forbidden, message: `engine layering: ${files}/ must not import from a floor above it (see eslint.config.js)` },
            ...extra,
          ],
        },
      ],
    },
  });
  const above = (names) => folder(names);
  return [
    rule('numeric', `${above(['ops', 'flow', 'check', 'theory', 'train', 'runs', 'experiments', 'handlers', 'data'])}|${root(['tf', 'backend', ...wiring])}`),
    rule('ops', `${above(['flow', 'check', 'theory', 'train', 'runs', 'experiments', 'handlers', 'data'])}|${root(['backend', ...wiring])}`),
    rule('flow', `${above(['check', 'theory', 'train', 'runs', 'experiments', 'handlers', 'data'])}|${root(['backend', ...wiring])}`),
    rule('check', `${above(['theory', 'train', 'runs', 'experiments', 'handlers', 'data'])}|${root(['backend', ...wiring])}`),
    rule('theory', `${above(['check', 'train', 'runs', 'experiments', 'handlers', 'data'])}|${root(['backend', ...wiring])}`, [
      { regex: folder(['flow']), allowTypeImports: true, message: 'engine layering: theory/ may use flow/ types only' },
    ]),
    rule('train', `${above(['runs', 'experiments', 'handlers'])}|${root(['backend', ...wiring])}`),
    rule('runs', `${above(['experiments', 'handlers'])}|${root(wiring)}`),
    rule('experiments', `${above(['handlers'])}|${root(wiring)}`),
  ];
}

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'runs/**', 'test-output/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module' } },
  },
  {
    files: ['**/*.js', '**/*.ts', '**/*.vue'],
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', window: 'readonly', document: 'readonly' },
    },
    rules: {
      // TypeScript checks names itself (and knows the DOM types in .vue files); see typescript-eslint's FAQ.
      'no-undef': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
    },
  },
  ...engineLayers(),
  {
    // The renderer must not reach Node or Electron: it talks to the host through the Bridge only.
    files: ['src-renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*', 'electron', 'fs', 'path', 'child_process', 'os', '**/src-main/**'], message: 'the renderer talks to the host only through the Bridge' }] },
      ],
    },
  },
);

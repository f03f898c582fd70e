import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'harness-report/**', 'bench/results/**', 'coverage/**', 'examples/*/dist/**', 'test-artifacts/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['bin/**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', setInterval: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
  },
  {
    // Node scripts of the examples (build, static server, one-command start).
    files: ['examples/**/*.mjs'],
    languageOptions: { globals: { fetch: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' } },
  },
);

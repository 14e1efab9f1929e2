// Lint: typescript-eslint with type information, plus the import boundaries of DESIGN.md §2.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const boundary = (message, patterns) => ({ 'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group, message })) }] });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'vitest.config.ts', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // A default branch is a deliberate choice; unions without one must name every case.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly' } },
  },
  {
    // Stripping control characters is this file's whole purpose.
    files: ['src/core/sanitize.ts'],
    rules: { 'no-control-regex': 'off' },
  },
  {
    // The pure core: no sockets, files, terminal or database.
    files: ['src/core/**/*.ts', 'src/signatures/schema.ts', 'src/signatures/compile.ts', 'src/signatures/lint.ts', 'probes/*/codec.ts'],
    rules: boundary('the pure core does no I/O: move this to an edge (src/net, src/store, src/tui, src/cli)', [
      ['node:*', 'ink', 'react', 'better-sqlite3', '../engine/*', '../net/*', '../store/*', '../tui/*', '../report/*', '../cli/*'],
    ]),
  },
  {
    // The TUI draws; it never opens a socket or a database.
    files: ['src/tui/**/*.{ts,tsx}'],
    rules: boundary('the TUI renders events; scanning and storage live elsewhere', [['node:net', 'node:dgram', 'node:http', '../net/*', '../engine/*', '../store/*', 'better-sqlite3']]),
  },
  {
    // Probes reach the network only through ctx.net.
    files: ['probes/**/*.ts'],
    rules: boundary('probes do I/O through ctx.net only', [['node:net', 'node:dgram', 'node:http', 'node:https']]),
  },
);

// Lint: typescript-eslint's recommended rules, plus the core/ boundary: core runs unchanged
// in workerd and Node, so it may import neither node:* built-ins nor Workers-only modules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'http', 'https', 'net', 'tls', 'crypto', 'child_process', 'stream', 'url', 'util', 'buffer', 'events', 'zlib'];

export default tseslint.config(
  { ignores: ['node_modules/', '.weft/', '**/.wrangler/', 'schemas/', 'coverage/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['bin/*.js'],
    languageOptions: { globals: { process: 'readonly' } },
  },
  {
    files: ['core/**/*.ts'],
    ignores: ['core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        // Bare built-in names are exact module names (a pattern `http` would also match `../http/x.ts`).
        paths: nodeBuiltins.map((name) => ({ name, message: 'core/ uses Web APIs only (see DESIGN.md).' })),
        patterns: [
          { group: ['node:*'], message: 'core/ uses Web APIs only (see DESIGN.md).' },
          { group: ['cloudflare:*'], message: 'core/ must not depend on Workers-only modules.' },
        ],
      }],
      'no-restricted-globals': ['error', 'process', 'Buffer', 'require', '__dirname', 'caches', 'HTMLRewriter', 'WebSocketPair'],
    },
  },
);

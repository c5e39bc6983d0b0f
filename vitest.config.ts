// Three projects: Node (core, cli, sidecar), and two in workerd (the gateway Worker and the
// control Worker, each run by the Cloudflare plugin in a real workerd, not in Node with fakes).
// Control's secrets are generated fresh for each run (nothing secret is committed); tests read
// the matching admin tokens from the TEST_* bindings.
import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { generateControlSecrets } from './cli/control/dev-secrets.ts';

export default defineConfig(async () => {
  const control = await generateControlSecrets('weft.local');
  return {
    test: {
      projects: [
        {
          test: {
            name: 'node',
            include: ['core/**/*.test.ts', 'cli/**/*.test.ts', 'test/**/*.test.ts'],
            exclude: ['test/workers/**', 'test/control/**', 'node_modules/**'],
            testTimeout: 30_000,
          },
        },
        {
          plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' } })],
          test: {
            name: 'workers',
            include: ['test/workers/**/*.test.ts'],
          },
        },
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: './control/wrangler.toml' },
              miniflare: {
                bindings: {
                  ...control.secrets,
                  ENDPOINT_TTL_SECONDS: '2',
                  STATUS_STALE_AFTER_SECONDS: '2',
                  TEST_ADMIN_TOKEN: control.adminToken,
                  TEST_READ_TOKEN: control.readToken,
                },
              },
            }),
          ],
          test: {
            name: 'control',
            include: ['test/control/**/*.test.ts'],
            testTimeout: 30_000,
          },
        },
      ],
    },
  };
});

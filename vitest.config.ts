// Four projects: core (in-process, one module graph), Node (cli, sidecar, processes), and two
// in workerd (the gateway Worker and the control Worker, each run by the Cloudflare plugin in
// a real workerd, not in Node with fakes).
// Control's secrets are generated fresh for each run (nothing secret is committed); tests read
// the matching admin tokens from the TEST_* bindings.
import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { generateControlSecrets } from './cli/control/dev-secrets.ts';
import { generateSigningKeyPair } from './core/keys/signing-key.ts';
import { bundleControl, CONTROL_BUNDLE_DIR } from './test/support/gateway-global-setup.ts';

export default defineConfig(async () => {
  const control = await generateControlSecrets('weft.local');
  const gatewayKey = await generateSigningKeyPair('ES256');
  // The gateway's tests run the real control Worker beside it; it is bundled once per run.
  bundleControl();
  // The sidecar inbound the gateway tests call (gateway-global-setup.ts) trusts control's JWT-SVIDs.
  process.env.WEFT_TEST_CONTROL_SIGNING_KEYS = control.secrets.SIGNING_KEYS;
  const controlVars = { ...control.secrets, STATUS_STALE_AFTER_SECONDS: '60', ENDPOINT_TTL_SECONDS: '30', MAX_BODY_BYTES: '5242880' };
  return {
    test: {
      projects: [
        {
          // core's tests are in-process decisions on Web APIs, with no process state worth a
          // fresh module graph per file: one shared graph runs them in a sixth of the time.
          test: {
            name: 'core',
            include: ['core/**/*.test.ts'],
            isolate: false,
            testTimeout: 30_000,
          },
        },
        {
          test: {
            name: 'node',
            include: ['cli/**/*.test.ts', 'test/**/*.test.ts'],
            exclude: ['test/workers/**', 'test/control/**', 'node_modules/**'],
            testTimeout: 30_000,
          },
        },
        {
          plugins: [
            cloudflareTest(({ inject }) => {
              const upstreams = inject('upstreams');
              return {
                wrangler: { configPath: './wrangler.toml' },
                miniflare: {
                  bindings: {
                    SNAPSHOT_CHECK_SECONDS: '0',
                    GATEWAY_NODE_ID: 'gw-test',
                    JWKS_TTL_SECONDS: '3',
                    GATEWAY_SIGNING_KEY: JSON.stringify(gatewayKey.privateJwk),
                    TEST_ADMIN_TOKEN: control.adminToken,
                    TEST_READ_TOKEN: control.readToken,
                    // Control's snapshot signing key, for tests that sign what control would refuse to.
                    TEST_CONTROL_SIGNING_KEYS: control.secrets.SIGNING_KEYS,
                    ...Object.fromEntries(Object.entries(upstreams).map(([name, port]) => [`UPSTREAM_${name.toUpperCase().replaceAll('-', '_')}_PORT`, String(port)])),
                    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${inject('otlpCollectorPort')}`,
                  },
                  serviceBindings: { CONTROL_HTTP: 'weft-control' },
                  workers: [
                    {
                      name: 'weft-control',
                      modules: true,
                      scriptPath: `${CONTROL_BUNDLE_DIR}/index.js`,
                      compatibilityDate: '2026-11-01',
                      compatibilityFlags: ['nodejs_compat'],
                      kvNamespaces: { SNAPSHOTS: '00000000000000000000000000000000' },
                      durableObjects: { CONTROL_STATE: 'ControlState', RATE_LIMIT_LEASES: 'RateLimitLeases' },
                      bindings: controlVars,
                    },
                  ],
                },
              };
            }),
          ],
          test: {
            name: 'workers',
            include: ['test/workers/**/*.test.ts'],
            globalSetup: ['test/support/gateway-global-setup.ts', 'test/support/otlp-global-setup.ts'],
            testTimeout: 30_000,
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

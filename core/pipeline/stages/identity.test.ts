// identity: the plane's identity for the picked backend, addressed to its SPIFFE ID.
import { beforeAll, describe, expect, it } from 'vitest';
import { refuse } from '../answer.ts';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { fixture, meshDoc, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import { identityStage } from './identity.ts';

let runtime: SnapshotRuntime;
beforeAll(async () => {
  runtime = await runtimeOf(
    [meshDoc(), `apiVersion: weft/v1\nkind: Service\nmetadata:\n  name: ledger\n  namespace: billing\nspec:\n  port: 9080\n`].join('---\n'),
  );
});

const NO_OPS = { set: {}, add: {}, remove: [] };

describe('identity stage', () => {
  it('asks the pieces for an identity addressed to the backend’s SPIFFE ID', () => {
    const f = fixture({ runtime, plane: 'outbound' });
    f.c.backend = { service: runtime.services.get('billing/ledger')!, subset: null, requestHeaders: NO_OPS, responseHeaders: NO_OPS };
    expect(identityStage(f.c)).toBeUndefined();
    expect(f.identities).toEqual(['spiffe://weft.local/ns/billing/sa/ledger']);
  });

  it('passes on the pieces’ answer (sync or async)', async () => {
    const refused = refuse('no_identity', 'this workload has no identity to call billing/ledger');
    const f = fixture({ runtime, plane: 'outbound', identity: () => Promise.resolve(refused) });
    f.c.backend = { service: runtime.services.get('billing/ledger')!, subset: null, requestHeaders: NO_OPS, responseHeaders: NO_OPS };
    expect(await identityStage(f.c)).toEqual({ status: 503, code: 'no_identity', message: 'this workload has no identity to call billing/ledger', headers: {} });
  });

  it('asks for nothing without a backend', () => {
    const f = fixture({ runtime });
    expect(identityStage(f.c)).toBeUndefined();
    expect(f.identities).toEqual([]);
  });
});

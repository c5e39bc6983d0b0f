// destination (outbound): the mesh service the app named, registry-only.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { doc, fixture, meshDoc, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import { destinationStage } from './destination.ts';

let runtime: SnapshotRuntime;
beforeAll(async () => {
  runtime = await runtimeOf([meshDoc(), doc('Service', 'reviews', 'port: 9080'), `apiVersion: weft/v1\nkind: Service\nmetadata:\n  name: ledger\n  namespace: billing\nspec:\n  port: 9080\n`].join('---\n'));
});

describe('destination stage', () => {
  it('reads a bare name in this workload’s namespace', () => {
    const { c } = fixture({ runtime, plane: 'outbound', request: { host: 'reviews', authority: 'reviews:9080' } });
    expect(destinationStage('default')(c)).toBeUndefined();
    expect(c.service).toBe('default/reviews');
  });

  it('reads name.namespace (and longer forms) across namespaces', () => {
    const { c } = fixture({ runtime, plane: 'outbound', request: { host: 'ledger.billing.svc.cluster.local' } });
    expect(destinationStage('default')(c)).toBeUndefined();
    expect(c.service).toBe('billing/ledger');
  });

  it('refuses a name the snapshot does not declare with 502 unknown_service', () => {
    const { c } = fixture({ runtime, plane: 'outbound', request: { host: 'example.com', authority: 'example.com:443' } });
    expect(destinationStage('default')(c)).toEqual({
      status: 502,
      code: 'unknown_service',
      message: '"example.com:443" is not a service of the mesh (outbound traffic is registry-only)',
      headers: {},
    });
    expect(c.service).toBeNull();
  });
});

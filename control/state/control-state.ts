// The control plane's state of record: one Durable Object (strong consistency where KV's
// eventual consistency would lose an update). The Worker calls it over RPC; each concern
// lives in its own store.
import { DurableObject } from 'cloudflare:workers';
import type { SnapshotMetadata } from '../../core/snapshot/types.ts';
import type { ControlEnv } from '../env.ts';
import type { JWK } from 'jose';
import { EdgeKeyStore } from './edge-key-store.ts';
import { EndpointRegistry } from './endpoint-registry.ts';
import type { EndpointRecord, EndpointsView } from './endpoint-registry.ts';
import { JoinTokenStore } from './join-token-store.ts';
import type { JoinTokenRecord, RedeemResult } from './join-token-store.ts';
import { NodeStatusStore } from './node-status-store.ts';
import type { NodeStatus } from './node-status-store.ts';
import { SnapshotStore } from './snapshot-store.ts';
import type { CommitResult, CurrentPointer, HistoryEntry } from './snapshot-store.ts';

export class ControlState extends DurableObject<ControlEnv> {
  private readonly snapshots: SnapshotStore;
  private readonly joinTokens: JoinTokenStore;
  private readonly nodes: NodeStatusStore;
  private readonly registry: EndpointRegistry;
  private readonly edgeKeyStore: EdgeKeyStore;

  constructor(ctx: DurableObjectState, env: ControlEnv) {
    super(ctx, env);
    this.snapshots = new SnapshotStore(ctx.storage, env.SNAPSHOTS, (fn) => ctx.blockConcurrencyWhile(fn));
    this.joinTokens = new JoinTokenStore(ctx.storage);
    this.nodes = new NodeStatusStore(ctx.storage);
    this.registry = new EndpointRegistry(ctx.storage);
    this.edgeKeyStore = new EdgeKeyStore(ctx.storage);
  }

  currentSnapshot(): Promise<CurrentPointer | undefined> {
    return this.snapshots.current();
  }
  getSnapshot(version: string): Promise<{ jws: string; metadata: SnapshotMetadata } | undefined> {
    return this.snapshots.get(version);
  }
  commitSnapshot(args: { version: string; jws: string; metadata: SnapshotMetadata; expected: string | null; action: 'push' | 'rollback' }): Promise<CommitResult> {
    return this.snapshots.commit(args);
  }
  history(limit: number): Promise<HistoryEntry[]> {
    return this.snapshots.history(limit);
  }
  waitForSnapshot(known: string | null, timeoutMs: number): Promise<string | undefined> {
    return this.snapshots.waitForChange(known, timeoutMs);
  }

  createJoinToken(hash: string, record: JoinTokenRecord): Promise<void> {
    return this.joinTokens.create(hash, record);
  }
  checkJoinToken(hash: string): Promise<RedeemResult> {
    return this.joinTokens.check(hash, Date.now());
  }
  redeemJoinToken(hash: string): Promise<RedeemResult> {
    return this.joinTokens.redeem(hash, Date.now());
  }

  reportStatus(status: NodeStatus): Promise<void> {
    return this.nodes.report(status);
  }
  listStatus(): Promise<NodeStatus[]> {
    return this.nodes.list();
  }

  registerEndpoint(record: EndpointRecord): Promise<boolean> {
    return this.registry.register(record, Date.now());
  }
  deregisterEndpoint(service: string, instanceId: string): Promise<boolean> {
    return this.registry.deregister(service, instanceId, Date.now());
  }
  getEndpoint(service: string, instanceId: string): Promise<EndpointRecord | undefined> {
    return this.registry.get(service, instanceId);
  }
  endpoints(): Promise<EndpointsView> {
    return this.registry.view(Date.now());
  }
  waitForEndpoints(known: string | null, timeoutMs: number): Promise<EndpointsView | undefined> {
    return this.registry.waitForChange(known, timeoutMs, Date.now);
  }

  certifyEdgeKey(jwk: JWK): Promise<void> {
    return this.edgeKeyStore.certify(jwk, Date.now());
  }
  edgeKeys(): Promise<JWK[]> {
    return this.edgeKeyStore.current(Date.now());
  }

  hasSnapshot(version: string): Promise<boolean> {
    return this.snapshots.has(version);
  }

  override async alarm(): Promise<void> {
    await this.snapshots.retryMirror();
    await this.registry.expire(Date.now());
  }
}

/** The single state object of a control plane. */
export function controlState(env: ControlEnv): DurableObjectStub<ControlState> {
  return env.CONTROL_STATE.get(env.CONTROL_STATE.idFromName('mesh'));
}

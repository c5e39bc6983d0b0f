// What each data-plane node last reported: applied version, or the version it rejected and
// why, and whether it is running on its last-known-good snapshot. Keyed by the node's SPIFFE
// ID and node id, so one workload can never overwrite another's report.

export interface NodeStatus {
  nodeId: string;
  kind: 'gateway' | 'sidecar';
  spiffeId: string;
  service: string;
  appliedVersion: string | null;
  rejected: { version: string; reason: string } | null;
  lastKnownGood: boolean;
  reportedAt: string;
  /** Server time of the last report, ms. */
  lastSeen: number;
}

export class NodeStatusStore {
  private readonly storage: DurableObjectStorage;

  constructor(storage: DurableObjectStorage) {
    this.storage = storage;
  }

  async report(status: NodeStatus): Promise<void> {
    await this.storage.put(`node:${status.spiffeId}|${status.nodeId}`, status);
  }

  async list(): Promise<NodeStatus[]> {
    return [...(await this.storage.list<NodeStatus>({ prefix: 'node:' })).values()];
  }
}

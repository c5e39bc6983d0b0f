// The sidecar's control-plane client: the live SidecarView. It gets and renews this workload's
// identity, watches the signed snapshot and endpoints document (long polls), keeps the trust
// bundle fresh, registers the inbound endpoint with heartbeats, reports status (ACK/NACK), leases
// `global` rate-limit tokens (globalCounters), and keeps everything it trusts on disk as last-known-good so it starts, and keeps enforcing,
// while control is unreachable. See docs/control-api.md for the calls.
import type { EndpointsDocument } from '../../core/endpoints/endpoints-document.ts';
import { formatSpiffeId } from '../../core/identity/spiffe-id.ts';
import type { SnapshotRuntime } from '../../core/runtime/snapshot-runtime.ts';
import { controlLeaseCall } from '../ratelimit/lease-call.ts';
import { createLeasedCounterStore } from '../ratelimit/leased-counter-store.ts';
import type { LeasedCounterStore } from '../ratelimit/leased-counter-store.ts';
import { LkgStore } from '../state/lkg-store.ts';
import { TlsMaterial } from '../tls/svid-material.ts';
import type { TlsListener } from '../tls/svid-material.ts';
import type { SidecarView, TrustBundle, WorkloadSelf, WorkloadTls } from '../types.ts';
import { sleep } from './backoff.ts';
import { BundleHolder } from './bundle-holder.ts';
import { ControlError, ControlLink, isTransient } from './control-http.ts';
import { EndpointsWatcher } from './endpoints-watcher.ts';
import { IdentityError, IdentityManager } from './identity-manager.ts';
import { resolveOptions } from './options.ts';
import type { ControlClientOptions, ControlClientStatus, Logger } from './options.ts';
import { Registration } from './registration.ts';
import { SnapshotWatcher } from './snapshot-watcher.ts';
import { StatusReporter } from './status-reporter.ts';
import { fetchOnce, runWatch } from './watch-loop.ts';
import type { WatchOptions } from './watch-loop.ts';

export type { ControlClientOptions, ControlClientStatus } from './options.ts';

export interface ControlClient extends SidecarView {
  status(): ControlClientStatus;
  /**
   * A verified snapshot is in force, the workload identity is unexpired, and the X.509-SVID
   * is not about to expire unrenewed (status().x509Problem says why when it is).
   */
  ready(): boolean;
  /** Called with each new mTLS material (renewed SVID, changed CA bundle); returns the unsubscribe function. */
  onTlsChange(listener: TlsListener): () => void;
  /** The CounterStore for `global` rate limits: tokens leased from control, spent synchronously here. */
  readonly globalCounters: LeasedCounterStore;
  /** Called with each snapshot applied from now on (the one in force is runtime()). */
  onSnapshot(listener: (runtime: SnapshotRuntime) => void): void;
  /** Stops the loops, deregisters the endpoint and sends a last status (best effort, about 2 s at most). */
  close(): Promise<void>;
}

const CLOSE_BUDGET_MS = 2_000;
/** Loops end at once on abort (their calls and sleeps are aborted); this only bounds a surprise. */
const LOOPS_STOP_MS = 500;
const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A definitive refusal, said so a person knows what to do. */
function startupError(e: unknown): Error {
  let why = (e as Error).message;
  if (e instanceof ControlError && e.code === 'invalid_join_token')
    why = `control refused the join token (401 invalid_join_token: it is unknown, expired or used up); make a new one with POST /v1/identity/join-tokens. Control said: ${e.message}`;
  else if (e instanceof ControlError && e.status === 403) why = `control refused this workload (403 ${e.code}): ${e.message}`;
  else if (e instanceof ControlError && e.status === 401) why = `control did not accept the credential (401 ${e.code}): ${e.message}`;
  return new Error(`sidecar control client cannot start: ${why}`, { cause: e });
}

export async function startControlClient(options: ControlClientOptions): Promise<ControlClient> {
  const o = resolveOptions(options);
  if (!NODE_ID.test(o.self.instanceId)) throw new Error(`sidecar control client cannot start: instanceId "${o.self.instanceId}" must be 1-128 characters of A-Z a-z 0-9 . _ : -`);
  const log: Logger = (entry) => {
    try {
      o.log({ component: 'sidecar.control', ...entry });
    } catch {
      // a broken logger must not break the client
    }
  };
  const store = await LkgStore.open(o.stateDir);
  const link = new ControlLink(o.controlUrl, o.requestTimeoutMs);
  const material = new TlsMaterial();
  const bundle = new BundleHolder(link, store, log, (b) => material.setAuthorities(b.x509Authorities));
  const identity = new IdentityManager({
    link,
    store,
    log,
    namespace: o.self.namespace,
    service: o.self.service,
    joinToken: o.joinToken,
    backoff: o.backoff,
    tls: material,
    trustDomainHint: () => bundle.current?.trustDomain,
    onAuthorities: (pems) => {
      if (bundle.current) void bundle.updateAuthorities(pems);
      else material.setAuthorities(pems);
    },
  });
  const reportChange = (): void => reporter.reportNow();
  const snapshots = new SnapshotWatcher({ store, log, bundle, identity, changed: reportChange });
  const endpoints = new EndpointsWatcher({ store, log, bundle });
  const reporter = new StatusReporter({
    link,
    identity,
    log,
    nodeId: o.self.instanceId,
    everyMs: o.statusEveryMs,
    backoff: o.backoff,
    state: () => ({ appliedVersion: snapshots.applied?.version ?? null, rejected: snapshots.rejected ?? null, lastKnownGood: snapshots.rejected !== undefined && snapshots.applied !== undefined }),
  });
  const registration = o.register
    ? new Registration({ link, identity, log, instanceId: o.self.instanceId, labels: o.self.labels, address: o.register.address, port: o.register.port, ttlSeconds: o.endpointTtlSeconds, backoff: o.backoff })
    : undefined;
  const watch = (what: string, path: string, w: { seen: string | undefined; consider: (body: string, version: string | null) => Promise<boolean> }): WatchOptions => ({
    what,
    path,
    link,
    identity,
    log,
    longPollSeconds: o.longPollSeconds,
    requestTimeoutMs: o.requestTimeoutMs,
    backoff: o.backoff,
    seen: () => w.seen,
    consider: (body, version) => w.consider(body, version),
  });
  const snapshotWatch = watch('snapshot', '/v1/snapshot', snapshots);
  const endpointsWatch = watch('endpoints', '/v1/endpoints', endpoints);

  try {
    await bundle.loadFromDisk();
    const fromDisk = await identity.loadFromDisk();
    await snapshots.loadFromDisk();
    await endpoints.loadFromDisk();
    if (!fromDisk) {
      try {
        // The bundle names the trust domain, so the first CSR can carry the SPIFFE ID.
        if (!bundle.current) await bundle.refresh().catch(() => undefined);
        await identity.acquire();
        log({ level: 'info', msg: 'workload identity obtained', spiffeId: identity.spiffeId });
      } catch (e) {
        // No join token and nothing on disk, 401/403, a SPIFFE ID for another workload: definitive.
        if (e instanceof IdentityError || !isTransient(e)) throw e;
        log({ level: 'warn', msg: 'control unreachable at start; retrying in the background', error: (e as Error).message, lastKnownGood: snapshots.applied?.version ?? null });
      }
    }
    if (identity.controlToken()) {
      try {
        await bundle.refresh();
        await Promise.all(
          [snapshotWatch, endpointsWatch].map((w) =>
            fetchOnce(w, false).catch((e: unknown) => {
              if (!(e instanceof ControlError && e.code === 'nothing_pushed')) log({ level: 'warn', msg: `first ${w.what} fetch failed; the watch retries`, error: (e as Error).message });
            }),
          ),
        );
      } catch (e) {
        log({ level: 'warn', msg: 'control unreachable at start; running from disk and retrying in the background', error: (e as Error).message });
      }
    }
  } catch (e) {
    link.abort();
    identity.stop();
    await link.destroy();
    throw startupError(e);
  }

  const globalCounters = createLeasedCounterStore({
    lease: controlLeaseCall({ link, token: () => identity.controlToken(), nodeId: o.self.instanceId }),
    backoff: o.backoff,
    log: (entry) => log({ ...entry, component: 'sidecar.ratelimit' }),
  });
  const loops: Promise<void>[] = [identity.run(), bundle.run(o.bundleRefreshMs, o.backoff), runWatch(snapshotWatch), runWatch(endpointsWatch), reporter.run()];
  if (registration) loops.push(registration.run());
  // A loop that fails unexpectedly is logged, never an unhandled rejection.
  for (const [i, loop] of loops.entries())
    loops[i] = loop.catch((e: unknown) => log({ level: 'error', msg: 'control client loop stopped unexpectedly', error: String((e as Error).stack ?? e) }));
  log({ level: 'info', msg: 'control client started', controlUrl: o.controlUrl, ready: snapshots.runtime !== undefined && identity.controlToken() !== undefined, snapshot: snapshots.applied ?? null });

  const self: WorkloadSelf = {
    get trustDomain() {
      return identity.trustDomain ?? bundle.current?.trustDomain ?? '';
    },
    namespace: o.self.namespace,
    service: o.self.service,
    get spiffeId() {
      const td = identity.trustDomain ?? bundle.current?.trustDomain;
      return identity.spiffeId ?? (td ? formatSpiffeId(td, o.self.namespace, o.self.service) : '');
    },
    instanceId: o.self.instanceId,
    labels: o.self.labels,
  };

  let closing: Promise<void> | undefined;
  return {
    self,
    runtime: (): SnapshotRuntime | undefined => snapshots.runtime,
    endpoints: (): EndpointsDocument | undefined => endpoints.document,
    bundle: (): TrustBundle | undefined => bundle.current,
    globalCounters,
    jwtSvid: (audience: string) => identity.jwtSvid(audience),
    onSnapshot: (listener) => snapshots.onSnapshot(listener),
    tls: (): WorkloadTls | undefined => material.current(),
    onTlsChange: (listener) => material.onChange(listener),
    ready: () => snapshots.runtime !== undefined && identity.controlToken() !== undefined && identity.x509Problem() === undefined,
    status: (): ControlClientStatus => {
      const expiresAt = identity.expiresAt;
      const x509 = identity.x509Svid;
      return {
        x509Svid: x509 ? { spiffeId: x509.spiffeId, expiresAt: new Date(x509.expiresAt).toISOString() } : null,
        x509Problem: identity.x509Problem() ?? null,
        connected: link.connected,
        snapshot: snapshots.applied ? { ...snapshots.applied } : null,
        rejected: snapshots.rejected ? { ...snapshots.rejected } : null,
        endpointsVersion: endpoints.document?.version ?? null,
        svid: identity.spiffeId && expiresAt !== undefined ? { spiffeId: identity.spiffeId, expiresAt: new Date(expiresAt).toISOString() } : null,
        lastError: link.lastError,
      };
    },
    close: () => {
      closing ??= (async () => {
        // Stops its timers now; its last call (unspent tokens back) runs beside deregistration.
        const returned = globalCounters.close(CLOSE_BUDGET_MS);
        link.abort();
        identity.stop();
        const stopped = new AbortController();
        await Promise.race([Promise.allSettled(loops), sleep(LOOPS_STOP_MS, stopped.signal)]);
        stopped.abort();
        await Promise.allSettled([registration?.deregister(CLOSE_BUDGET_MS), reporter.final(CLOSE_BUDGET_MS), returned]);
        await identity.flush();
        await link.destroy();
        log({ level: 'info', msg: 'control client closed' });
      })();
      return closing;
    },
  };
}

// An open WebSocket through the sidecar: once the upstream has switched protocols, the client's
// and the upstream's sockets are spliced byte for byte (each side's head bytes included), with
// back-pressure both ways, so close frames and codes cross untouched. The route's limits hold
// here: after `idleTimeoutMs` with no byte either way, or `maxLifetimeMs` after the upgrade,
// and when the listener shuts down past its grace, the sidecar ends the socket itself: each
// side gets the rest of the frame in flight, then a Close frame 1001 "going away" (none to a
// side already closing), then a TCP end; the peers' own Close is awaited briefly, then what
// is left is cut.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { GOING_AWAY } from '../../core/http/websocket-upgrade.ts';
import type { TunnelCloseReason, TunnelLimits } from '../../core/http/websocket-upgrade.ts';
import type { Direction, ProxyObserver } from '../types.ts';
import { closeFrame, FrameBoundaries } from './websocket-frames.ts';

/** How long a socket the sidecar closed may take to finish its close handshake before it is cut. */
const CLOSE_GRACE_MS = 5_000;
const NOTHING = Buffer.alloc(0);

/** The open WebSockets of one listener: counted for the gauge, closed on shutdown. */
export class OpenTunnels {
  readonly #open = new Set<Tunnel>();
  readonly #direction: Direction;
  readonly #observer: ProxyObserver;

  constructor(direction: Direction, observer: ProxyObserver) {
    this.#direction = direction;
    this.#observer = observer;
  }

  get size(): number {
    return this.#open.size;
  }

  /** Splices `client` and `upstream` until either ends, under `limits`. */
  open(client: Socket, upstream: Duplex, limits: TunnelLimits): void {
    const t = new Tunnel(client, upstream, limits, () => {
      this.#open.delete(t);
      this.#safely(() => this.#observer.webSocket?.(this.#direction, 'closed'));
    });
    this.#open.add(t);
    this.#safely(() => this.#observer.webSocket?.(this.#direction, 'opened'));
  }

  /** Ends every open socket (1001 "going away") and resolves once all have closed. */
  closeAll(): Promise<void> {
    return Promise.all([...this.#open].map((t) => t.goingAway('proxy shutting down'))).then(() => undefined);
  }

  #safely(f: () => void): void {
    try {
      f();
    } catch {
      // an observer must never break the data path
    }
  }
}

/**
 * One direction of the splice: bytes from `src` to `dst` with back-pressure, their frames
 * followed. Once the proxy closes, it finishes the frame in flight, sends its Close, ends
 * `dst`, and from then on reads and drops what `src` still sends (its Close, its end).
 */
class Splice {
  readonly #src: Duplex;
  readonly #dst: Duplex;
  readonly #frames = new FrameBoundaries();
  /** Set while the frame in flight finishes before the proxy's Close. */
  #pendingClose: Buffer | undefined;
  #ended = false;

  constructor(src: Duplex, dst: Duplex) {
    this.#src = src;
    this.#dst = dst;
    src.on('data', (chunk: Buffer) => this.#data(chunk));
    src.on('end', () => this.#end());
    dst.on('drain', () => src.resume());
  }

  #data(chunk: Buffer): void {
    if (this.#ended) return;
    if (this.#pendingClose) {
      const n = this.#frames.feedToBoundary(chunk);
      if (n > 0) this.#dst.write(n === chunk.length ? chunk : chunk.subarray(0, n));
      if (this.#frames.atBoundary()) this.#end(this.#pendingClose);
      return;
    }
    this.#frames.feed(chunk);
    if (!this.#dst.write(chunk)) this.#src.pause();
  }

  #end(last?: Buffer): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#pendingClose = undefined;
    this.#src.resume();
    if (last && this.#dst.writable) this.#dst.end(last);
    else this.#dst.end();
  }

  /** Ends `dst` after the frame in flight, with `close` unless `src` has begun its own close handshake. */
  close(close: Buffer): void {
    if (this.#ended) return;
    this.#src.resume();
    const last = this.#frames.closeSeen ? NOTHING : close;
    if (this.#frames.atBoundary()) this.#end(last);
    else this.#pendingClose = last;
  }
}

class Tunnel {
  readonly #client: Socket;
  readonly #upstream: Duplex;
  /** What the client sends (to the upstream), and what the upstream sends (to the client). */
  readonly #fromClient: Splice;
  readonly #fromUpstream: Splice;
  readonly #lifetime: NodeJS.Timeout | undefined;
  #cut: NodeJS.Timeout | undefined;
  #open = 2;
  readonly #closed: Promise<void>;
  #onClosed!: () => void;

  constructor(client: Socket, upstream: Duplex, limits: TunnelLimits, onClosed: () => void) {
    this.#client = client;
    this.#upstream = upstream;
    this.#closed = new Promise<void>((resolve) => {
      this.#onClosed = () => {
        if (this.#lifetime) clearTimeout(this.#lifetime);
        if (this.#cut) clearTimeout(this.#cut);
        onClosed();
        resolve();
      };
    });
    // Each direction ends on its own (the splice ends `dst` when `src` has ended, after its
    // Close). A socket that ended its writing side by itself on the peer's FIN (net's default,
    // allowHalfOpen false) would fail the other direction's last writes (its Close among them)
    // and reset both sides: both sockets stay half-open until the splices end them.
    for (const side of [client, upstream]) (side as Duplex & { allowHalfOpen: boolean }).allowHalfOpen = true;
    this.#fromClient = new Splice(client, upstream);
    this.#fromUpstream = new Splice(upstream, client);
    for (const [side, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      // A reset on one side resets the other; a clean end travels through the splice. Once the
      // proxy is closing the tunnel itself, a reset (a peer that hung up after its Close) must
      // not cut the other side's Close still being written: CLOSE_GRACE_MS bounds that instead.
      side.on('error', () => {
        if (!this.#cut) other.destroy();
      });
      side.on('close', () => {
        if (!this.#cut && (side.errored || !side.readableEnded)) other.destroy();
        if (--this.#open === 0) this.#onClosed();
      });
    }
    // The client socket sees every byte either way (it reads one direction and writes the other).
    if (limits.idleTimeoutMs > 0) client.setTimeout(limits.idleTimeoutMs, () => void this.goingAway('idle timeout'));
    this.#lifetime = limits.maxLifetimeMs > 0 ? setTimeout(() => void this.goingAway('maximum lifetime'), limits.maxLifetimeMs) : undefined;
  }

  /** Ends the socket from the proxy's side; resolves once both sides have closed. */
  goingAway(reason: TunnelCloseReason): Promise<void> {
    if (this.#cut || this.#open === 0) return this.#closed;
    const client = this.#client;
    const upstream = this.#upstream;
    client.setTimeout(0);
    this.#fromUpstream.close(closeFrame(GOING_AWAY, reason, false));
    this.#fromClient.close(closeFrame(GOING_AWAY, reason, true));
    // The peers answer with their Close and end their side; whatever has not by then is cut.
    this.#cut = setTimeout(() => {
      client.destroy();
      upstream.destroy();
    }, CLOSE_GRACE_MS);
    this.#cut.unref();
    return this.#closed;
  }
}

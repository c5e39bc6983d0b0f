// Long-poll support inside the Durable Object: waiters park on a signal and are woken when
// the thing they watch changes, or give up at their timeout. No polling loop anywhere.

export class ChangeSignal {
  private waiters = new Set<() => void>();

  /** Resolves true when notified, false when `timeoutMs` passes first. */
  wait(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(wake);
    });
  }

  notify(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

// Watches the policy folder (fs.watch, recursive, debounced): on every save, validate → diff →
// push → convergence, one run at a time (a save during a run queues one more run).
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';

export function watchPolicies(dir: string, onChange: () => Promise<void>, debounceMs = 300): { close(): void } {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await onChange();
    } finally {
      running = false;
      if (again) {
        again = false;
        void run();
      }
    }
  };
  const watcher: FSWatcher = watch(dir, { recursive: true }, (_event, file) => {
    if (file && !/\.ya?ml$/.test(String(file))) return;
    clearTimeout(timer);
    timer = setTimeout(() => void run(), debounceMs);
  });
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}

// The upstream request's headers as core's stages edit them, over the flat `[name, value, …]`
// list undici sends (no Web Headers per request on the sidecar's hot path).
import type { MutableHeaders } from '../../core/pipeline/context.ts';

/** Removes every `name` (lower-case) from a flat header list. */
export function removeHeader(list: string[], name: string): void {
  for (let i = list.length - 2; i >= 0; i -= 2) if ((list[i] as string).toLowerCase() === name) list.splice(i, 2);
}

/** Replaces every `name` in a flat header list with one value. */
export function setHeader(list: string[], name: string, value: string): void {
  removeHeader(list, name);
  list.push(name, value);
}

export class HeaderList implements MutableHeaders {
  readonly list: string[];

  constructor(list: string[]) {
    this.list = list;
  }

  get(name: string): string | null {
    const lower = name.toLowerCase();
    const l = this.list;
    for (let i = 0; i < l.length; i += 2) if ((l[i] as string).toLowerCase() === lower) return l[i + 1] as string;
    return null;
  }

  *keys(): IterableIterator<string> {
    for (let i = 0; i < this.list.length; i += 2) yield this.list[i] as string;
  }

  set(name: string, value: string): void {
    setHeader(this.list, name.toLowerCase(), value);
  }

  append(name: string, value: string): void {
    this.list.push(name, value);
  }

  delete(name: string): void {
    removeHeader(this.list, name.toLowerCase());
  }
}

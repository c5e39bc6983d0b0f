// The demo: Bookinfo from examples/bookinfo/ (each instance beside its own sidecar) and the
// small `api` echo the edge example (policies/edge/api.yaml) routes to on 9101/9102.
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../control/local-control.ts';

export const EXAMPLES = join(PACKAGE_ROOT, 'examples/bookinfo');

export interface DemoInstance {
  /** Instance id (also the sidecar's status node id). */
  id: string;
  service: string;
  file: string;
  labels?: string;
  env?: Record<string, string>;
}

export const BOOKINFO: DemoInstance[] = [
  { id: 'productpage-v1', service: 'productpage', file: 'productpage.ts', labels: 'version=v1' },
  { id: 'details-v1', service: 'details', file: 'details.ts', labels: 'version=v1' },
  { id: 'ratings-v1', service: 'ratings', file: 'ratings.ts', labels: 'version=v1' },
  { id: 'reviews-v1', service: 'reviews', file: 'reviews.ts', labels: 'version=v1', env: { VERSION: 'v1' } },
  { id: 'reviews-v2', service: 'reviews', file: 'reviews.ts', labels: 'version=v2', env: { VERSION: 'v2' } },
  { id: 'reviews-v3', service: 'reviews', file: 'reviews.ts', labels: 'version=v3', env: { VERSION: 'v3' } },
];

/** The static endpoints of the `api` Service in policies/edge/api.yaml (no sidecar). */
export const EDGE_API = [
  { id: 'api-stable', port: 9101, track: 'stable' },
  { id: 'api-canary', port: 9102, track: 'canary' },
];

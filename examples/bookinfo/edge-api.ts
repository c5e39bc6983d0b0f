// Not Bookinfo: the `api` service behind api.example.com in policies/edge/api.yaml (static
// endpoints 127.0.0.1:9101 stable, 9102 canary). It echoes who the gateway says is calling, so
// the JWT and API-key examples `weft dev` prints show authentication at the edge.
import { serve } from './mesh.ts';

const track = process.env.TRACK ?? 'stable';

serve(`api ${track}`, async (path, req) => ({
  status: 200,
  body: { service: 'api', track, path, user: req.headers['x-user-id'] ?? null, plan: req.headers['x-user-plan'] ?? null, route: req.headers['x-api-route'] ?? null },
}));

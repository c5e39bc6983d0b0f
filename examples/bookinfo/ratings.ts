// Bookinfo ratings: stars per reviewer. GET /ratings/<id>.
import { idAfter, notFound, serve } from './mesh.ts';

serve('ratings', async (path) => {
  const id = idAfter('ratings', path);
  if (id === undefined) return path === '/health' ? { status: 200, body: { ok: true } } : notFound;
  return { status: 200, body: { service: 'ratings', id: Number(id), ratings: { Reviewer1: 5, Reviewer2: 4 } } };
});

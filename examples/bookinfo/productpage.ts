// Bookinfo productpage, the entry point (the gateway routes bookinfo.example.com here): calls
// details and reviews through its sidecar and shows who answered. GET /productpage,
// GET /api/v1/products/<id>.
import { callService, idAfter, notFound, serve } from './mesh.ts';
import type { IncomingMessage } from 'node:http';

async function product(id: string, req: IncomingMessage) {
  const [details, reviews] = await Promise.all([callService('details', `/details/${id}`, req.headers), callService('reviews', `/reviews/${id}`, req.headers)]);
  const user = req.headers['end-user'];
  return {
    status: 200,
    body: {
      service: 'productpage',
      product: { id: Number(id), title: 'The Comedy of Errors' },
      user: typeof user === 'string' ? user : null,
      principal: req.headers['x-weft-principal'] ?? null,
      details: details.body,
      reviews: reviews.body,
    },
  };
}

serve('productpage', async (path, req) => {
  if (path === '/productpage') return product('0', req);
  const id = idAfter('api/v1/products', path);
  if (id !== undefined) return product(id, req);
  if (path === '/health') return { status: 200, body: { ok: true } };
  return notFound;
});

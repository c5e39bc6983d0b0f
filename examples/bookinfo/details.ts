// Bookinfo details: facts about a book. GET /details/<id>.
import { idAfter, notFound, serve } from './mesh.ts';

serve('details', async (path) => {
  const id = idAfter('details', path);
  if (id === undefined) return path === '/health' ? { status: 200, body: { ok: true } } : notFound;
  return {
    status: 200,
    body: { service: 'details', id: Number(id), author: 'William Shakespeare', year: 1595, type: 'paperback', pages: 200, publisher: 'PublisherA', language: 'English' },
  };
});

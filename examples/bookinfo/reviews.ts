// Bookinfo reviews, in three versions ($VERSION): v1 shows no stars; v2 (black stars) and v3
// (red stars) ask ratings for them. GET /reviews/<id>.
import { callService, idAfter, notFound, serve } from './mesh.ts';

const version = process.env.VERSION ?? 'v1';

serve(`reviews ${version}`, async (path, req) => {
  const id = idAfter('reviews', path);
  if (id === undefined) return path === '/health' ? { status: 200, body: { ok: true } } : notFound;
  const reviews = [
    { reviewer: 'Reviewer1', text: 'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!' },
    { reviewer: 'Reviewer2', text: 'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.' },
  ];
  if (version === 'v1') return { status: 200, body: { service: 'reviews', version, id: Number(id), reviews } };
  const ratings = await callService('ratings', `/ratings/${id}`, req.headers);
  return { status: 200, body: { service: 'reviews', version, id: Number(id), stars: version === 'v2' ? 'black' : 'red', reviews, ratings: ratings.body } };
});

// Edge gateway Worker entry. Until a signed snapshot is wired in (gateway issue), every
// request gets 503 with the JSON error shape: a gateway with no policy never allows all.
import { Hono } from 'hono';
import { errorBody } from '../core/errors/http-error.ts';

const app = new Hono();

app.get('/__weft/health', (c) => c.json({ status: 'starting', snapshot: null }));
app.all('*', (c) =>
  c.json(errorBody('no_snapshot', 'the gateway has no valid policy snapshot yet'), 503),
);

export default app;

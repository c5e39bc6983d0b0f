// Only HTTP/1.x request lines reach a sidecar handler. Node's HTTP/1 parser reads a request
// line without a version (`GET /a` then CRLF, the HTTP/0.9 form) as version 0.9 and then goes
// on to parse header lines after it, so a CR LF smuggled into a request target
// (`GET /a\r\nX-Injected: 1`) would become a header the app sees. Node has no server option to
// refuse that form, so every sidecar HTTP server wraps its handler in this check; the same
// parser also hands on `HTTP/2.0` or `HTTP/0.9` written out, which these servers do not speak.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { refuse } from '../../core/pipeline/answer.ts';
import { writeAnswer } from './answer-writer.ts';

/** `handler`, called only for HTTP/1.x requests; any other version is answered 400 `bad_request` and the connection closed. */
export function requireHttp1(handler: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.httpVersionMajor === 1) {
      handler(req, res);
      return;
    }
    res.shouldKeepAlive = false;
    const found = req.httpVersion === '0.9' ? 'has no HTTP/1.x version (HTTP/0.9 form)' : `says HTTP/${req.httpVersion}`;
    writeAnswer(res, refuse('bad_request', `only HTTP/1.0 and HTTP/1.1 request lines are accepted; this one ${found}`));
  };
}

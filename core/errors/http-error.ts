// The one error shape every Weft HTTP surface answers with: { error: { code, message } }.

export interface HttpErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorBody(code: string, message: string, details?: unknown): HttpErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

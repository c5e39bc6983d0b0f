// The JWT signature algorithms Weft accepts from end users: asymmetric only (`none` and HMAC
// never). Kept apart from the zod schema so the data planes' verify path does not load zod.
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'] as const;

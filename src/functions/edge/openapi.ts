/** OpenAPI 3.1 description of the edge API, served at GET /openapi.json. */
const err = { $ref: '#/components/responses/Error' };
const image = {
  required: true,
  content: {
    'image/jpeg': { schema: { type: 'string', format: 'binary' } },
    'image/png': { schema: { type: 'string', format: 'binary' } },
    'image/webp': { schema: { type: 'string', format: 'binary' } },
    'multipart/form-data': {
      schema: { type: 'object', properties: { image: { type: 'string', format: 'binary' }, metadata: { type: 'string', description: 'JSON object' } }, required: ['image'] },
    },
  },
};
const ns = { name: 'namespace', in: 'query', schema: { type: 'string', default: 'default' } };
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' } };

export const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'copycat', version: '0.1.0', description: 'Image copy detection at the edge. With AUTH=on every route but /health and /openapi.json needs Authorization: Bearer <key>.' },
  paths: {
    '/health': { get: { summary: 'Liveness', responses: { 200: { description: 'ok' } } } },
    '/v1/images/{id}': {
      put: { summary: 'Index an image under an id (replaces an existing one); its local features go to the origin (localFeatures.status says whether they did)', parameters: [id, ns], requestBody: image, responses: { 201: { description: 'indexed' }, 200: { description: 'replaced' }, 400: err, 413: err, 415: err, 422: err } },
      get: { summary: 'An indexed image: metadata, size, PDQ hash', parameters: [id, ns], responses: { 200: { description: 'found' }, 404: err } },
      delete: { summary: 'Remove an image', parameters: [id, ns], responses: { 200: { description: 'deleted' }, 404: err } },
    },
    '/v1/images': { get: { summary: 'List ids', parameters: [ns, { name: 'limit', in: 'query' }, { name: 'after', in: 'query' }], responses: { 200: { description: 'page of ids' } } } },
    '/v1/search': {
      post: {
        summary: 'Is this image a copy of an indexed one?',
        parameters: [
          ns,
          { name: 'topK', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 10 } },
          { name: 'verify', in: 'query', description: 'check the candidates in the verification band at the origin', schema: { type: 'boolean', default: true } },
          { name: 'explain', in: 'query', description: 'add inlierPairs [qx, qy, rx, ry, ...] (up to 60) to verified matches', schema: { type: 'boolean', default: false } },
        ],
        requestBody: image,
        responses: {
          200: {
            description:
              '{matches: [{id, score, signals, verification: {status: verified|rejected|not_checked|no_reference_features|unavailable, inliers, inlierRatio, overlap, mirrored, transform}, metadata}], ' +
              'verdict: copy|review|no_match, threshold, verification: {status: done|skipped|disabled|unavailable, reason, band, checked, verified, ms}}',
          },
          400: err, 413: err, 415: err, 422: err,
        },
      },
    },
    '/v1/images/{id}/thumbnail': { get: { summary: 'The JPEG thumbnail stored at index time (review console)', responses: { 200: { description: 'image/jpeg' }, 404: err } } },
    '/v1/batch/images': {
      post: {
        summary: 'Up to 500 references fingerprinted by the caller (copycat upload): multipart images=[{id, width, height, metadata?}], files fingerprint_<i> and optional local_<i>; validated whole, then written per shard in one transaction',
        responses: { 200: { description: '{count, created, updated, localFeatures}' }, 400: err, 422: err, 503: { description: 'a shard is overloaded: retry after Retry-After' } },
      },
    },
    '/v1/fingerprint': {
      post: { summary: 'Fingerprint an image without indexing it (PDQ hex and quality)', requestBody: image, responses: { 200: { description: '{width, height, pdq, pdqQuality, signals}' }, 400: err, 413: err, 415: err, 422: err } },
    },
    '/v1/webhooks/ingest': {
      post: {
        summary: 'A signed event (x-copycat-timestamp, x-copycat-signature: v1=HMAC-SHA256(secret, "ts.body")): {event_id, type, image_url | image_base64, metadata?, namespace?, image_id?, callback_url?}',
        responses: { 202: { description: 'queued' }, 200: { description: 'duplicate event_id' }, 400: err, 401: err, 409: err, 413: err },
      },
    },
    '/v1/webhooks/events/{eventId}': { get: { summary: "An event's status and result", responses: { 200: { description: 'event' }, 404: err } } },
    '/v1/webhooks/subscriptions': {
      post: { summary: 'Subscribe {url, events: [check.completed|copy.detected|image.indexed], index: never|always|unless_copy}; returns the signing secret once', responses: { 201: { description: 'created' }, 400: err } },
      get: { summary: "The tenant's subscriptions (without secrets)", responses: { 200: { description: 'list' } } },
    },
    '/v1/webhooks/subscriptions/{id}': { delete: { summary: 'Unsubscribe', responses: { 200: { description: 'deleted' }, 404: err } } },
    '/v1/webhooks/deliveries': { get: { summary: 'Delivery log: status, attempts, last status, retry delays (?event_id=, ?limit=)', responses: { 200: { description: 'list' } } } },
    '/v1/keys': {
      post: { summary: 'Create an API key {tenant, scopes, name} (admin; shown once)', responses: { 201: { description: 'created' }, 400: err, 403: err, 409: err } },
      get: { summary: 'List keys (admin; no secrets)', responses: { 200: { description: 'list' } } },
    },
    '/v1/keys/{kid}': { delete: { summary: 'Revoke a key (admin)', responses: { 200: { description: 'revoked' }, 404: err } } },
    '/v1/stats': { get: { summary: 'Counts, signals and the fusion model', responses: { 200: { description: 'stats' } } } },
  },
  components: {
    responses: {
      Error: {
        description: 'Error',
        content: { 'application/json': { schema: { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } } } } },
      },
    },
  },
};

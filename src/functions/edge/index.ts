/** Worker entry: the hono app as fetch, the webhook queue consumer, and the Durable Object classes. */
import { app, type Env } from './app.ts';
import { handleQueue } from './webhooks/consumer.ts';

export { CatalogStore } from './store.ts';
export { KeyStore } from './key-store.ts';
export { WebhookStore } from './webhooks/store.ts';

export default {
  fetch: app.fetch,
  queue: (batch: MessageBatch<unknown>, env: Env) => handleQueue(batch, env),
} satisfies ExportedHandler<Env>;

/** Worker entry: the hono app as fetch, and the catalog Durable Object class. */
import { app } from './app.ts';

export { CatalogStore } from './store.ts';
export { KeyStore } from './key-store.ts';
export default app;

// Worker threads do not inherit the parent's tsx loader: register it, then load the TypeScript
// module the parent named in workerData.module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);

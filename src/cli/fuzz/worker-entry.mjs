// Worker threads do not inherit the parent's tsx loader; register it, then load the TypeScript target.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');

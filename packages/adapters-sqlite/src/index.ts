export { SqliteForwardStore } from './sqlite-forward-store';
export { MIGRATIONS, migrate } from './migrations';

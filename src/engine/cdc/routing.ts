/**
 * Which output a change goes to: all to one; one per operation (create, update, delete, snapshot read,
 * truncate, and a last one for everything else: tombstones, messages, transaction events, flat rows without an
 * operation, lookup answers); or one per configured table and a last one for the rest.
 */
import { invalidConfig } from '../errors';
import { matchesTable, type TableId } from './record';

export type RoutingMode = 'single' | 'operation' | 'table';

export const OPERATION_PORTS = ['c', 'u', 'd', 'r', 't'] as const;

export interface Router {
  /** Number of outputs. */
  readonly outputs: number;
  /** The output (0-based) of a change with operation `op` on `table`. */
  port(op: string, table: TableId | null): number;
}

export function createRouter(mode: RoutingMode, tables: readonly string[] = []): Router {
  switch (mode) {
    case 'single':
      return { outputs: 1, port: () => 0 };
    case 'operation': {
      const other = OPERATION_PORTS.length;
      return { outputs: other + 1, port: (op) => { const i = OPERATION_PORTS.indexOf(op as never); return i < 0 ? other : i; } };
    }
    case 'table': {
      const names = tables.map((t) => String(t).trim());
      if (names.length === 0 || names.some((t) => t === '')) throw invalidConfig('routing by table needs at least one table name, none empty');
      return { outputs: names.length + 1, port: (_op, table) => { const i = names.findIndex((n) => matchesTable(n, table)); return i < 0 ? names.length : i; } };
    }
    default:
      throw invalidConfig(`unknown routing "${String(mode)}"`);
  }
}

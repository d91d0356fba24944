/** Each cell's host equations (cell_spec.ts), by kind. */
import type { CellKind } from '../../cell_table.js';
import type { HostCellSpec } from '../cell_spec.js';
import { gruHost } from './gru.js';
import { lstmHost } from './lstm.js';
import { rnnHost } from './rnn.js';

export const HOST_CELLS: Record<CellKind, HostCellSpec> = { lstm: lstmHost, gru: gruHost, rnn: rnnHost };

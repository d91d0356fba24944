import { beforeAll, expect, it } from 'vitest';
import * as blocked from '../../src/index.js';
import * as legacy from '../../src/legacy/index.js';
import { activateBackend } from '../helpers/backends.js';

beforeAll(() => activateBackend('cpu'));

it("re-exports the very same cell classes and RnnShapeError as 'rnn-migrate'", () => {
  expect(legacy.RNNCell).toBe(blocked.RNNCell);
  expect(legacy.LSTMCell).toBe(blocked.LSTMCell);
  expect(legacy.GRUCell).toBe(blocked.GRUCell);
  expect(legacy.RnnShapeError).toBe(blocked.RnnShapeError);
});

it('the factories build a Recur over a new cell of the matching class, sizes and activation', () => {
  const rnn = legacy.RNN(3, 5, { activation: 'relu' });
  const lstm = legacy.LSTM(3, 5);
  const gru = legacy.GRU(3, 5);
  expect(rnn).toBeInstanceOf(legacy.Recur);
  expect(rnn.cell).toBeInstanceOf(blocked.RNNCell);
  expect(rnn.cell.activation).toBe('relu');
  expect(lstm.cell).toBeInstanceOf(blocked.LSTMCell);
  expect(gru.cell).toBeInstanceOf(blocked.GRUCell);
  for (const recur of [rnn, lstm, gru]) {
    expect([recur.cell.inputSize, recur.cell.hiddenSize]).toEqual([3, 5]);
    expect(recur.state).toBeNull();
    recur.cell.dispose();
  }
});

it('new Recur(...) names what it needs when given something that is not a cell', () => {
  // @ts-expect-error -- not a cell
  expect(() => new legacy.Recur({ hiddenSize: 3 })).toThrow(/expected a recurrent cell.*got an object/);
});

import { expect, it } from 'vitest';
import { Bidirectional, GRU, LSTM, RnnShapeError, scan } from '../../src/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { expectClose, randn } from './helpers.js';

const [BATCH, TIME, IN, H] = [2, 4, 3, 5];

describeBackends('Bidirectional', () => {
  it('merges the forward layer and the reverse:true backward layer, aligned step by step', () => {
    const x = randn([BATCH, TIME, IN]);
    const mask = tf.tensor2d([[1, 1, 1, 1], [1, 1, 0, 0]]);
    const forward = new LSTM(IN, H, { seed: 1 });
    const backward = new LSTM(IN, H, { seed: 2, reverse: true });
    const f = forward.apply(x, undefined, { mask });
    const b = backward.apply(x, undefined, { mask });
    for (const merge of ['concat', 'sum', 'mul', 'ave'] as const) {
      const bi = new Bidirectional(forward, backward, { merge });
      const { output, carry } = bi.apply(x, undefined, { mask });
      tf.tidy(() => {
        const expected = {
          concat: () => tf.concat([f.output, b.output], 2),
          sum: () => tf.add(f.output, b.output),
          mul: () => tf.mul(f.output, b.output),
          ave: () => tf.div(tf.add(f.output, b.output), 2),
        }[merge]();
        expectClose(output, expected);
      });
      expectClose(carry.forward.h, f.carry.h);
      expectClose(carry.backward.c, b.carry.c);
      tf.dispose([output, carry] as never);
    }
    tf.dispose([x, mask, f, b] as never);
    new Bidirectional(forward, backward).dispose();
  });

  it('takes and returns carries as { forward, backward }; returnSequences: false concatenates final outputs', () => {
    const bi = new Bidirectional(
      new GRU(IN, H, { seed: 3, returnSequences: false }),
      new GRU(IN, H, { seed: 4, returnSequences: false, reverse: true }),
    );
    const x = randn([BATCH, TIME, IN]);
    const carry = { forward: { h: randn([BATCH, H]) as tf.Tensor2D }, backward: { h: randn([BATCH, H]) as tf.Tensor2D } };
    const result = bi.apply(x, carry);
    expect(result.output.shape).toEqual([BATCH, 2 * H]);
    tf.tidy(() => expectClose(result.output, tf.concat([result.carry.forward.h, result.carry.backward.h], 1)));
    expect(bi.trainableVariables()).toHaveLength(6);
    expect(() => bi.apply(x, { forward: carry.forward } as never)).toThrow(RnnShapeError);
    tf.dispose([x, carry, result] as never);
    bi.dispose();
  });

  it('refuses a backward layer that does not run in reverse, and mismatched options', () => {
    const forward = new LSTM(IN, H);
    const notReversed = new LSTM(IN, H);
    const otherInput = new LSTM(IN + 1, H, { reverse: true });
    const lastOnly = new LSTM(IN, H, { reverse: true, returnSequences: false });
    expect(() => new Bidirectional(forward, notReversed)).toThrow(/reverse: true/);
    expect(() => new Bidirectional(forward, otherInput)).toThrow(RnnShapeError);
    expect(() => new Bidirectional(forward, lastOnly)).toThrow(/returnSequences/);
    expect(() => new Bidirectional(forward, lastOnly, { merge: 'max' as never })).toThrow(/merge/);
    for (const layer of [forward, notReversed, otherInput, lastOnly]) layer.dispose();
  });
});

describeBackends('scan', () => {
  it('cumulative sum: carry and outputs stacked on axis 0; reverse keeps outputs aligned with xs', () => {
    const xs = tf.tensor2d([[1, 10], [2, 20], [3, 30]]);
    const add = (carry: tf.Tensor, x: tf.Tensor): [tf.Tensor, tf.Tensor] => {
      const next = tf.add(carry, x);
      return [next, next];
    };
    const forward = scan(add, tf.zeros([2]), xs);
    expect(Array.from(forward.outputs.dataSync())).toEqual([1, 10, 3, 30, 6, 60]);
    expect(Array.from(forward.carry.dataSync())).toEqual([6, 60]);
    const backward = scan(add, tf.zeros([2]), xs, { reverse: true });
    expect(Array.from(backward.outputs.dataSync())).toEqual([6, 60, 5, 50, 3, 30]);
    tf.dispose([xs, forward, backward] as never);
  });

  it('carries any tensor container and differentiates through it', () => {
    const xs = tf.tensor1d([2, 3]);
    const w = tf.variable(tf.scalar(4));
    // h_t = w·h_{t−1} + x_t, counting steps alongside: h = 4·(4·1 + 2) + 3 = 27, dh/dw = 2·4·1 + 2 = 10.
    const { value, grads } = tf.variableGrads(() => {
      const { carry } = scan(
        (c: { h: tf.Tensor; steps: tf.Tensor }, x) => {
          const h = tf.add(tf.mul(w, c.h), x);
          return [{ h, steps: tf.add(c.steps, 1) }, h];
        },
        { h: tf.scalar(1), steps: tf.scalar(0) },
        xs,
      );
      expect(carry.steps.dataSync()[0]).toBe(2);
      return carry.h as tf.Scalar;
    });
    expect(value.dataSync()[0]).toBe(27);
    expect(grads[w.name].dataSync()[0]).toBe(10);
    tf.dispose([xs, w, value, grads] as never);
  });

  it('rejects an empty sequence and outputs that change shape', () => {
    const empty = tf.zeros([0, 2]);
    const init = tf.zeros([2]);
    expect(() => scan((c, x) => [c, x], init, empty)).toThrow(RnnShapeError);
    const xs = tf.zeros([3, 2]);
    const before = tf.memory().numTensors;
    let step = 0;
    expect(() => scan((c: tf.Tensor, x) => [c, step++ === 0 ? x : tf.concat([x, x])], init, xs)).toThrow(
      /every step's output of shape \[2\]/,
    );
    // The failed call's intermediates are released.
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([empty, xs, init]);
  });
});

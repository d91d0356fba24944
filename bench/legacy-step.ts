/**
 * Legacy Recur.step throughput with the stale-state checker off and in warn mode (target: warn
 * costs under 5%), for inference steps and for steps inside a gradient computation, next to the
 * bare cell.step the Recur wraps. Rounds alternate between the settings so drift hits both alike;
 * each setting reports its fastest round (the least disturbed on a shared machine) and the median
 * of the paired warn/off ratios. In inference both modes run the same code (no gradient, nothing
 * to check), so their difference there is the machine's noise.
 *
 * Run: npm run bench:legacy [-- --backend wasm]
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { LSTM, configureChecker } from 'rnn-migrate/legacy';
// Internal: the checker's per-step test, timed on its own below (immune to the noise of a shared machine).
import { currentGradientScope, startsFromStaleState } from '../src/legacy/state_lifetime.js';

const backendIndex = process.argv.indexOf('--backend');
const backend = backendIndex > 0 ? process.argv[backendIndex + 1]! : 'cpu';
const time = 16;
const rounds = 21;

await tf.setBackend(backend);
await tf.ready();

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const stepsPerSecond = (msPerStep: number) => Math.round(1000 / msPerStep).toLocaleString('en-US').padStart(8);

/** Milliseconds per step of `run`, which runs `time` steps. */
function timeRound(run: () => void, repeats: number): number {
  const start = performance.now();
  for (let i = 0; i < repeats; i++) run();
  return (performance.now() - start) / (repeats * time);
}

function benchmark(inputSize: number, hiddenSize: number, batch: number): void {
  const recur = LSTM(inputSize, hiddenSize);
  const xs = tf.tidy(() => tf.unstack(tf.randomNormal([batch, time, inputSize], 0, 1, 'float32', 1), 1));
  const variables = recur.cell.trainableVariables();
  const startTensors = tf.memory().numTensors;
  console.log(`LSTM ${inputSize}→${hiddenSize}, batch ${batch}, ${time} steps per sequence, backend ${tf.getBackend()}`);

  const bareCellStep = () =>
    tf.tidy(() => {
      let carry = recur.cell.initialCarry(batch);
      for (const xt of xs) carry = recur.cell.step(xt as tf.Tensor2D, carry).carry;
    });
  const workloads: Record<string, () => void> = {
    'inference (tf.tidy)': () =>
      tf.tidy(() => {
        recur.reset();
        for (const xt of xs) recur.step(xt);
      }),
    'training (variableGrads)': () =>
      tf.dispose(
        tf.variableGrads(() => {
          recur.reset();
          let loss = tf.scalar(0);
          for (const xt of xs) loss = loss.add(recur.step(xt).sum());
          return loss as tf.Scalar;
        }, variables),
      ),
  };

  const repeats = Math.max(2, Math.round(20 / (batch * hiddenSize / 64)));
  bareCellStep();
  const bare = Math.min(...Array.from({ length: rounds }, () => timeRound(bareCellStep, repeats)));
  console.log(`${'bare cell.step, no Recur'.padEnd(32)} ${stepsPerSecond(bare)} steps/s`);
  for (const [name, run] of Object.entries(workloads)) {
    for (const mode of ['off', 'warn'] as const) {
      configureChecker({ mode });
      run(); // warm-up
    }
    const perMode: Record<'off' | 'warn', number[]> = { off: [], warn: [] };
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate the order so that drift within a round does not favour one mode.
      for (const mode of round % 2 === 0 ? (['off', 'warn'] as const) : (['warn', 'off'] as const)) {
        configureChecker({ mode });
        perMode[mode].push(timeRound(run, repeats));
      }
      ratios.push(perMode.warn[round]! / perMode.off[round]!);
    }
    // The fastest round is the least disturbed by other processes; the paired median shows the spread.
    const bestOff = Math.min(...perMode.off);
    const bestWarn = Math.min(...perMode.warn);
    console.log(
      `${('Recur ' + name).padEnd(32)} off ${stepsPerSecond(bestOff)} steps/s   ` +
        `warn ${stepsPerSecond(bestWarn)} steps/s   ` +
        `warn costs ${((bestWarn / bestOff - 1) * 100).toFixed(1)}% (best rounds), ` +
        `${((median(ratios) - 1) * 100).toFixed(1)}% (median of paired rounds)`,
    );
  }
  recur.reset();
  tf.dispose(xs);
  recur.cell.dispose();
  const leaked = tf.memory().numTensors - startTensors + xs.length + variables.length;
  if (leaked !== 0) console.log(`tensor count changed by ${leaked}`);
}

/** Nanoseconds per call of the test warn mode adds to each step inside a gradient computation. */
function checkerTestNanoseconds(): number {
  const recur = LSTM(4, 8);
  const x = tf.ones([1, 4]);
  const calls = 2_000_000;
  let nanoseconds = 0;
  tf.grad((xIn: tf.Tensor) => {
    recur.reset();
    const y = recur.step(xIn); // a state produced inside this gradient computation: not stale
    const scope = currentGradientScope()!;
    let stale = 0;
    const start = performance.now();
    for (let i = 0; i < calls; i++) if (startsFromStaleState(recur.state!, scope)) stale++;
    nanoseconds = ((performance.now() - start) * 1e6) / calls;
    if (stale !== 0) throw new Error('the checker saw a fresh state as stale');
    return y.sum();
  })(x);
  recur.reset();
  x.dispose();
  recur.cell.dispose();
  return nanoseconds;
}

console.log('legacy Recur.step throughput, stale-state checker off vs warn\n');
benchmark(4, 8, 1); // tiny: the shim's bookkeeping is the largest share of a step
console.log();
benchmark(32, 64, 8);
configureChecker({ mode: 'warn' });
console.log(`\nthe checker's per-step test alone (warn mode, inside a gradient): ${checkerTestNanoseconds().toFixed(1)} ns per step`);

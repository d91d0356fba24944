/** The composite implementation of every kernel: tfjs ops only, runs on every backend. */
export { lstmSequenceComposite, lstmStepComposite, lstmCellStep } from './lstm.js';
export { gruSequenceComposite, gruStepComposite, gruCellStep, gruResetBeforeStep } from './gru.js';
export { rnnSequenceComposite, rnnStepComposite, rnnCellStep } from './rnn.js';
export * from './activations.js';

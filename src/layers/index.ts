/**
 * rnn-migrate/layers: tf.layers' LSTM, GRU and SimpleRNN as drop-in layers on rnn-migrate's fused
 * kernels (same arguments, defaults, weights, outputs, states, serialization), and register() so
 * that tf.loadLayersModel builds them (a Keras GRU with reset_after=True included).
 * Needs @tensorflow/tfjs-layers (an optional peer dependency of rnn-migrate).
 */
export { lstm, gru, simpleRNN, FusedLSTM, FusedGRU, FusedSimpleRNN, type FusedGRULayerArgs } from './layers.js';
export { register, unregister, bidirectional } from './register.js';

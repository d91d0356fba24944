/**
 * The one module that reaches into @tensorflow/tfjs-layers beyond its public API: its recurrent
 * layer and cell classes and its Orthogonal initialiser (not exported by the package; read from
 * the serialization registry, where tfjs-layers registers them when it loads) and their types
 * (from its dist typings).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import type { GRU, GRUCell, LSTM, SimpleRNN } from '@tensorflow/tfjs-layers/dist/layers/recurrent.js';
import type { LayerVariable } from '@tensorflow/tfjs-layers/dist/variables.js';
import type { Initializer, Orthogonal } from '@tensorflow/tfjs-layers/dist/initializers.js';

export type { GRU, GRUCell, Initializer, LayerVariable, LSTM, SimpleRNN };
export type { GRULayerArgs, LSTMLayerArgs, SimpleRNNLayerArgs } from '@tensorflow/tfjs-layers/dist/layers/recurrent.js';
export type { Kwargs } from '@tensorflow/tfjs-layers/dist/types.js';

type ClassEntry = [new (...args: never[]) => unknown, unknown];

function classNameMap(): Record<string, ClassEntry> {
  return tf.serialization.SerializationMap.getMap().classNameMap as unknown as Record<string, ClassEntry>;
}

/** tf.layers' own class registered under `className`, read once, before anything of ours replaces it. */
function layersClass<T>(className: string): T {
  const entry = classNameMap()[className];
  if (!entry) {
    throw new Error(`rnn-migrate/layers: @tensorflow/tfjs-layers registered no '${className}' class; is @tensorflow/tfjs-layers installed and loaded?`);
  }
  return entry[0] as T;
}

export const LayersLSTM = layersClass<typeof LSTM>('LSTM');
export const LayersGRU = layersClass<typeof GRU>('GRU');
export const LayersGRUCell = layersClass<typeof GRUCell>('GRUCell');
export const LayersSimpleRNN = layersClass<typeof SimpleRNN>('SimpleRNN');
export const LayersOrthogonal = layersClass<typeof Orthogonal>('Orthogonal');

/** Replaces the registry entry of `className` (what deserialization builds); returns the previous one. */
export function replaceRegisteredClass(className: string, entry: ClassEntry | undefined): ClassEntry | undefined {
  const map = classNameMap();
  const previous = map[className];
  if (entry) map[className] = entry;
  else delete map[className];
  return previous;
}

/**
 * Serialization of rnn-migrate/layers: model.save / tf.loadLayersModel round trips (in-memory
 * handlers), interoperability with tf.layers' own classes, and a Keras-converted model with
 * GRU(reset_after=True) (fixtures/layers/keras-gru-reset-after: tensorflowjs_converter's format,
 * outputs from a float64 loop) that tf.layers alone cannot load.
 */
import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { fromLayersLayer, GRU, type LayersBidirectionalLayer } from '../../src/index.js';
import * as rnnLayers from '../../src/layers/index.js';
import { describeBackends, tf } from '../helpers/backends.js';
import { expectClose, randn } from '../runtime/helpers.js';

const [TIME, IN] = [5, 3];

async function save(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return saved!;
}

function layerClasses(model: tf.LayersModel): unknown[] {
  return model.layers.map((layer) => layer.constructor);
}

const FIXTURE = new URL('../../fixtures/layers/keras-gru-reset-after/', import.meta.url);

function kerasArtifacts(): tf.io.ModelArtifacts {
  const modelJson = JSON.parse(readFileSync(new URL('model.json', FIXTURE), 'utf8'));
  const bin = readFileSync(new URL(modelJson.weightsManifest[0].paths[0], FIXTURE));
  return {
    modelTopology: modelJson.modelTopology,
    weightSpecs: modelJson.weightsManifest[0].weights,
    weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
  };
}

describeBackends('rnn-migrate/layers serialization', () => {
  afterEach(() => rnnLayers.unregister());

  it('model.save / tf.loadLayersModel round trip: the drop-in layers come back after register(), same predictions', async () => {
    const model = tf.sequential({
      layers: [
        rnnLayers.lstm({ units: 4, returnSequences: true, inputShape: [TIME, IN] }) as unknown as tf.layers.Layer,
        rnnLayers.gru({ units: 3, resetAfter: true, returnSequences: true, goBackwards: true }) as unknown as tf.layers.Layer,
        rnnLayers.simpleRNN({ units: 2, activation: 'relu' }) as unknown as tf.layers.Layer,
      ],
    });
    const artifacts = await save(model);
    const x = randn([2, TIME, IN]);
    const expected = model.predict(x) as tf.Tensor;

    // tf.layers alone cannot build the reset-after GRU.
    await expect(tf.loadLayersModel(tf.io.fromMemory(artifacts))).rejects.toThrow(/reset_after/);
    rnnLayers.register();
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(layerClasses(loaded)).toEqual([rnnLayers.FusedLSTM, rnnLayers.FusedGRU, rnnLayers.FusedSimpleRNN]);
    const predicted = loaded.predict(x) as tf.Tensor;
    expectClose(predicted, expected);
    tf.dispose([x, expected, predicted]);
  });

  it('a saved model of default configurations loads as tf.layers\' own layers too, with the same predictions', async () => {
    const model = tf.sequential({
      layers: [
        rnnLayers.gru({ units: 4, returnSequences: true, inputShape: [TIME, IN] }) as unknown as tf.layers.Layer,
        rnnLayers.lstm({ units: 3 }) as unknown as tf.layers.Layer,
      ],
    });
    const artifacts = await save(model);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(layerClasses(loaded)).not.toContain(rnnLayers.FusedGRU);
    const x = randn([2, TIME, IN]);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expectClose(a, b);
    tf.dispose([x, a, b]);
  });

  it('a Keras-converted model with GRU(reset_after=True), inside Bidirectional too, loads after register() and computes the float64 reference', async () => {
    const { input, output } = JSON.parse(readFileSync(new URL('expected.json', FIXTURE), 'utf8'));
    await expect(tf.loadLayersModel(tf.io.fromMemory(kerasArtifacts()))).rejects.toThrow(/reset_after/);
    rnnLayers.register();
    const model = await tf.loadLayersModel(tf.io.fromMemory(kerasArtifacts()));
    expect(model.layers.map((layer) => layer.getClassName())).toEqual(['InputLayer', 'Bidirectional', 'GRU', 'Dense']);
    const bidirectional = model.layers[1] as unknown as { forwardLayer: unknown; backwardLayer: unknown };
    expect(bidirectional.forwardLayer).toBeInstanceOf(rnnLayers.FusedGRU);
    expect(bidirectional.backwardLayer).toBeInstanceOf(rnnLayers.FusedGRU);
    expect(model.layers[2]).toBeInstanceOf(rnnLayers.FusedGRU);
    const x = tf.tensor3d(input);
    const predicted = model.predict(x) as tf.Tensor;
    expectClose(predicted, (output as number[][]).flat(), 1e-5);

    // The same layers moved to the blocked runtime compute the same numbers.
    const encoder = fromLayersLayer(model.layers[1] as unknown as LayersBidirectionalLayer);
    const decoder = fromLayersLayer(model.layers[2]) as GRU;
    expect(decoder.cell.resetAfter).toBe(true);
    const [kernel, bias] = model.layers[3].getWeights();
    const blocked = tf.tidy(() => tf.add(tf.matMul(decoder.apply(encoder.apply(x).output).output as tf.Tensor2D, kernel), bias));
    expectClose(blocked, (output as number[][]).flat(), 1e-5);
    tf.dispose([x, predicted, blocked]);
    encoder.dispose();
    decoder.dispose();
    model.dispose();
  });
});

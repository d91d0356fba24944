export {
  canonicalWeightsFromTorch,
  gruCellFromTorch,
  lstmCellFromTorch,
  rnnCellFromTorch,
  type CanonicalWeights,
  type TorchImportOptions,
  type TorchKind,
  type TorchStateDict,
  type TorchTensorLike,
} from './torch.js';
export {
  cellFromLayersLayer,
  fromLayersLayer,
  type FromLayersOptions,
  type LayersBidirectionalLayer,
  type LayersRecurrentLayer,
} from './layers.js';
export {
  basicLSTMCellsFromCheckpoint,
  basicLSTMLayersFromCheckpoint,
  cellFromBasicLSTMCell,
  cellFromBasicLSTMCellSplit,
  type BasicLSTMCheckpointOptions,
  type BasicLSTMForgetBias,
  type CheckpointVariables,
} from './basic_lstm.js';

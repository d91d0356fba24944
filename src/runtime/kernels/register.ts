/**
 * Side-effect module: registers the fused gradients (backend-independent) and the host kernels
 * for the cpu and wasm backends, once. tfjs only warns on a second registration and keeps the
 * first, so every registration is guarded (the module may be evaluated twice, e.g. from src and
 * dist, or a backend may already carry kernels registered by someone else).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { fusedGradientConfigs } from './gradients.js';
import { cpuTensorIO, wasmTensorIO, type HostTensorIO } from './host/backend_io.js';
import { hostKernelConfigs } from './host/kernel_configs.js';
// The webgl and webgpu kernels register themselves, guarded the same way.
import './gpu/register.js';

/** Registers each config whose kernel has no registration for its backend yet. */
export function registerKernelsOnce(configs: KernelConfig[]): void {
  for (const config of configs) {
    if (tf.getKernel(config.kernelName, config.backendName) == null) tf.registerKernel(config);
  }
}

/** Registers the host (JavaScript) kernels for a backend, given how to read and write its tensors. */
export function registerHostKernels(backendName: string, io: HostTensorIO): void {
  registerKernelsOnce(hostKernelConfigs(backendName, io));
}

for (const config of fusedGradientConfigs) {
  if (tf.getGradient(config.kernelName) == null) tf.registerGradient(config);
}
registerHostKernels('cpu', cpuTensorIO);
registerHostKernels('wasm', wasmTensorIO);

/**
 * Side-effect module: registers the fused webgl and webgpu kernels (idempotent). Registering a
 * kernel for a backend that is not loaded is harmless: tfjs only looks it up when that backend runs.
 */
import { registerWebGLKernels } from '../webgl/index.js';
import { registerWebGPUKernels } from '../webgpu/index.js';

registerWebGLKernels();
registerWebGPUKernels();

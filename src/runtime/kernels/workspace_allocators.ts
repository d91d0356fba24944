/**
 * Per-kernel workspace allocators: a backend whose sequence kernels write their workspace into a
 * `workspaceBuffer` input (SequenceInputs) registers, with each such kernel function, how to
 * allocate that buffer. The ops ask here for the kernel the active backend would run, so they never
 * import a backend, and a kernel registered by someone else (another function) gets no buffer.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, Tensor } from '@tensorflow/tfjs-core';

/** A float32 tensor of the workspace `kernelName` keeps for `rows` rows of x, or null for none. */
export type WorkspaceAllocator = (kernelName: string, rows: number, hidden: number) => Tensor | null;

const allocators = new WeakMap<KernelFunc, WorkspaceAllocator>();

export function registerWorkspaceAllocator(kernelFunc: KernelFunc, allocate: WorkspaceAllocator): void {
  allocators.set(kernelFunc, allocate);
}

/** The workspace buffer for the active backend's `kernelName`, or null when it takes none. */
export function allocateWorkspace(kernelName: string, rows: number, hidden: number): Tensor | null {
  const kernel = tf.getKernel(kernelName, tf.getBackend());
  const allocate = kernel ? allocators.get(kernel.kernelFunc) : undefined;
  return allocate ? allocate(kernelName, rows, hidden) : null;
}

/**
 * The two shading languages the GPU kernels are written in, reduced to what the cell shaders need.
 * Every shader of the kernel layer reads flat (rank-1) inputs by index and writes one flat output,
 * so the statements of a shader body are the same text in GLSL (webgl) and WGSL (webgpu) apart
 * from declarations, casts, conditional values and uniform access, which go through a dialect.
 */
export interface ShaderDialect {
  readonly name: 'glsl' | 'wgsl';
  /** A mutable float local. */
  float(name: string, value: string): string;
  /** A mutable int local. */
  int(name: string, value: string): string;
  /** int → float. */
  toFloat(value: string): string;
  /** `condition ? whenTrue : whenFalse` on floats. */
  pick(condition: string, whenTrue: string, whenFalse: string): string;
  /** A per-run int uniform declared by the program. */
  uniform(name: string): string;
  /** `for (k = 0; k < count; k++) { body }` with an int counter `k`. */
  loop(counter: string, count: number | string, body: string): string;
  /** Global helper functions every cell shader uses (stable sigmoid and tanh). */
  readonly helpers: string;
}

export const glsl: ShaderDialect = {
  name: 'glsl',
  float: (name, value) => `float ${name} = ${value};`,
  int: (name, value) => `int ${name} = ${value};`,
  toFloat: (value) => `float(${value})`,
  pick: (condition, whenTrue, whenFalse) => `((${condition}) ? (${whenTrue}) : (${whenFalse}))`,
  uniform: (name) => name,
  loop: (counter, count, body) => `for (int ${counter} = 0; ${counter} < ${count}; ${counter}++) { ${body} }`,
  // tanh through exp(−2|v|), which never overflows; σ(v) = ½ + ½·tanh(v/2) shares it.
  helpers: `
    float rnnTanh(float v) {
      float e = exp(-2.0 * abs(v));
      float t = (1.0 - e) / (1.0 + e);
      return v < 0.0 ? -t : t;
    }
    float rnnSigmoid(float v) { return 0.5 + 0.5 * rnnTanh(0.5 * v); }
  `,
};

export const wgsl: ShaderDialect = {
  name: 'wgsl',
  float: (name, value) => `var ${name} : f32 = ${value};`,
  int: (name, value) => `var ${name} : i32 = ${value};`,
  toFloat: (value) => `f32(${value})`,
  pick: (condition, whenTrue, whenFalse) => `select(${whenFalse}, ${whenTrue}, ${condition})`,
  uniform: (name) => `uniforms.${name}`,
  loop: (counter, count, body) => `for (var ${counter} : i32 = 0; ${counter} < ${count}; ${counter}++) { ${body} }`,
  helpers: `
    fn rnnTanh(v : f32) -> f32 {
      let e = exp(-2.0 * abs(v));
      let t = (1.0 - e) / (1.0 + e);
      return select(t, -t, v < 0.0);
    }
    fn rnnSigmoid(v : f32) -> f32 { return 0.5 + 0.5 * rnnTanh(0.5 * v); }
  `,
};

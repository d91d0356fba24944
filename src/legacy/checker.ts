/**
 * The stale-state checker: reports, at the user's own line, the legacy patterns that make
 * gradients silently wrong (`stale-state`) or that break the shim's ownership of its state
 * (`disposed-state`). Each problem is reported once per call site, in `warn` mode through
 * `onWarning` (console.warn by default), in `error` mode as a thrown StaleStateError.
 */
import { captureUserSite } from './call_site.js';

export type CheckerMode = 'off' | 'warn' | 'error';
export type CheckerCode = 'stale-state' | 'disposed-state';

export interface CheckerWarning {
  code: CheckerCode;
  message: string;
  /** The user's `file:line:column` of the offending `step` call. */
  site: string;
}

export interface CheckerOptions {
  mode?: CheckerMode;
  /** Receives each warning in `warn` mode; defaults to console.warn. */
  onWarning?: (warning: CheckerWarning) => void;
}

/** Thrown in `error` mode, for both codes. */
export class StaleStateError extends Error {
  override readonly name = 'StaleStateError';
  readonly code: CheckerCode;
  readonly site: string;

  constructor(warning: CheckerWarning) {
    super(`${warning.message}\n    at ${warning.site}`);
    this.code = warning.code;
    this.site = warning.site;
  }
}

const MIGRATE = 'or migrate this call site to the blocked API, where carries are explicit, with ' +
  '`npx rnn-migrate <file>`';

/** The exact messages users see; README.md ("The stale-state checker") quotes them. */
export const CHECKER_MESSAGES: Readonly<Record<CheckerCode, string>> = {
  'stale-state':
    'rnn-migrate stale-state: Recur.step runs inside a gradient computation (tf.grad, ' +
    'variableGrads, optimizer.minimize) but starts from a state produced outside it (warm-up ' +
    'steps run outside the loss, or the state of a previous batch or minimize call). Backprop ' +
    'stops at that state, so the gradients are silently truncated and depend on call history. ' +
    'Fix: call reset() (or assign recur.state) at the start of the loss function so that every ' +
    `step runs inside it, ${MIGRATE}.`,
  'disposed-state':
    'rnn-migrate disposed-state: the state stored in this Recur was disposed behind its back ' +
    '(tf.dispose of recur.state, a hand-set state made inside a tf.tidy that has ended, or a ' +
    'state object shared with another Recur that replaced or reset and released it). In warn ' +
    'mode the step starts from zeros. Fix: call reset() instead of disposing recur.state, clone a ' +
    `state you want to keep or share (tf.clone), ${MIGRATE}.`,
};

const defaultOnWarning = (warning: CheckerWarning): void => {
  console.warn(`${warning.message}\n    at ${warning.site}`);
};

function modeFromEnvironment(): CheckerMode {
  const value = typeof process === 'undefined' ? undefined : process.env?.['RNN_MIGRATE_CHECK'];
  if (value === undefined || value === '') return 'warn';
  const normalized = value.trim().toLowerCase();
  if (normalized === 'off' || normalized === 'warn' || normalized === 'error') return normalized;
  console.warn(
    `rnn-migrate: RNN_MIGRATE_CHECK must be one of off, warn, error; got '${value}'. Using 'warn'.`,
  );
  return 'warn';
}

const config: { mode: CheckerMode; onWarning: (warning: CheckerWarning) => void } = {
  mode: modeFromEnvironment(),
  onWarning: defaultOnWarning,
};

/** `${code} ${site}` of every problem already reported. */
const reportedSites = new Set<string>();

/**
 * Sets the checker's mode and warning sink. Every call also forgets which sites were already
 * reported, so each problem is reported again once under the new configuration.
 */
export function configureChecker(options: CheckerOptions = {}): void {
  if (options.mode !== undefined) {
    if (options.mode !== 'off' && options.mode !== 'warn' && options.mode !== 'error') {
      throw new TypeError(
        `configureChecker: mode must be 'off', 'warn' or 'error', got ${JSON.stringify(options.mode)}`,
      );
    }
    config.mode = options.mode;
  }
  if (options.onWarning !== undefined) config.onWarning = options.onWarning;
  reportedSites.clear();
}

export function checkerMode(): CheckerMode {
  return config.mode;
}

/**
 * Reports `code` at the user's call site: throws in `error` mode (every time: the step did not
 * run), warns once per site in `warn` mode, does nothing when `off`. Only called once a problem
 * has been detected, so capturing the stack costs nothing on the hot path.
 */
export function reportProblem(code: CheckerCode): void {
  if (config.mode === 'off') return;
  const warning: CheckerWarning = { code, message: CHECKER_MESSAGES[code], site: captureUserSite() };
  if (config.mode === 'error') throw new StaleStateError(warning);
  const key = `${code} ${warning.site}`;
  if (reportedSites.has(key)) return;
  reportedSites.add(key);
  config.onWarning(warning);
}

// A progress bar on stderr, only on a terminal and only once a run has taken over a second, so
// short runs and logs stay clean.
import { SingleBar } from 'cli-progress';
import type { OutputStream } from './io.js';

export const progressDelayMs = 1000;

export class Progress {
  private bar?: SingleBar;
  private done = 0;
  private readonly startedAt = performance.now();

  constructor(
    private readonly stream: OutputStream,
    private readonly total: number,
    private readonly enabled: boolean,
  ) {}

  tick(): void {
    this.done++;
    if (!this.enabled) return;
    if (this.bar === undefined) {
      if (performance.now() - this.startedAt < progressDelayMs) return;
      this.bar = new SingleBar({
        stream: this.stream as NodeJS.WritableStream,
        format: 'rnn-migrate {bar} {value}/{total} files | {eta_formatted} left',
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 200,
      });
      this.bar.start(this.total, this.done);
      return;
    }
    this.bar.update(this.done);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

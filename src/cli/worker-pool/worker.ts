// Entry of a pool worker thread: loads the codemods once and processes the files it is sent.
import * as codemods from '../../codemods/index.js';
import { processSource, type FileOutcome, type FileTask } from './file-task.js';

export default function processInWorker(task: FileTask): FileOutcome {
  return processSource(task, codemods);
}

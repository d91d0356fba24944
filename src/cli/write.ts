// Rewrites land atomically: a temporary file beside the original (same mode and owner), flushed,
// then renamed over it, so a crash, a full disk or Ctrl-C never leaves half a file. A rewrite
// lands only on the very file that was read: the original is read again right before the rename
// and compared with what the codemod saw, so an edit made during the run is never overwritten
// and a file deleted during the run never comes back.
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, closeSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A file the run refuses to write; the message says why and that it was left as it is. */
export class NotWrittenError extends Error {}

/** The fingerprint of a file's bytes as read, to tell later whether it is still the same file. */
export const contentHash = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Temporary files being written now; a hard exit (a second Ctrl-C) removes them. */
export const temporaryFiles = new Set<string>();

export function removeTemporaryFiles(): void {
  for (const file of temporaryFiles) {
    try {
      unlinkSync(file);
    } catch {
      // Already renamed or gone.
    }
  }
  temporaryFiles.clear();
}

function stillAsRead(path: string, expectedHash: string): void {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotWrittenError('deleted during the run: not recreated');
    }
    throw error;
  }
  if (contentHash(bytes) !== expectedHash) {
    throw new NotWrittenError('changed during the run (after it was read): left as it is now, run again to migrate it');
  }
}

export interface WriteOptions {
  /** Write only if the file's bytes still have this hash (see contentHash); else NotWrittenError. */
  expectedHash?: string;
}

/**
 * Replaces `path` with `contents` atomically. With `expectedHash`, refuses (NotWrittenError) a
 * read-only file and a file that changed or went away since it was read.
 */
export function writeFileInPlace(path: string, contents: string, options: WriteOptions = {}): void {
  let original: { mode: number; uid: number; gid: number } | undefined;
  try {
    original = statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (options.expectedHash !== undefined) throw new NotWrittenError('deleted during the run: not recreated');
  }
  // Permission bits, not access(2): root may write anything, but a read-only file says "keep out".
  if (options.expectedHash !== undefined && original && (original.mode & 0o222) === 0) {
    throw new NotWrittenError(`read-only file (mode ${(original.mode & 0o777).toString(8)}): not rewritten`);
  }
  const temporary = join(dirname(path), `.${basename(path)}.rnn-migrate-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  temporaryFiles.add(temporary);
  try {
    const fd = openSync(temporary, 'wx', original ? 0o600 : 0o666);
    try {
      // The original's mode exactly (open's mode is masked by the umask).
      if (original) fchmodSync(fd, original.mode & 0o7777);
      writeSync(fd, contents, null, 'utf8');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (original && typeof process.getuid === 'function' && process.getuid() === 0) {
      chownSync(temporary, original.uid, original.gid);
    }
    // Last, so that the window in which an edit could still be lost is the rename alone.
    if (options.expectedHash !== undefined) stillAsRead(path, options.expectedHash);
    renameSync(temporary, path);
  } finally {
    try {
      unlinkSync(temporary);
    } catch {
      // Renamed into place.
    }
    temporaryFiles.delete(temporary);
  }
}

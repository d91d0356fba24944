// Rewrites land atomically: a temporary file beside the original, then a rename over it, so a
// crash or a full disk never leaves half a file. write-file-atomic keeps the file's mode and owner.
import writeFileAtomic from 'write-file-atomic';

export async function writeFileInPlace(path: string, contents: string): Promise<void> {
  await writeFileAtomic(path, contents, { encoding: 'utf8' });
}

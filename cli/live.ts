import type { ResolvedBinary } from '../realserver/binaries.js';
import type { Run } from '../traces/image/image.js';
export async function runLiveCommand(_file: string, _run: Run, _bin: ResolvedBinary, _flags: unknown): Promise<number> {
  throw new Error('not yet');
}

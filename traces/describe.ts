/** One-line descriptions of events, for reports and listings. */
import type { PowerLossKeep } from '../model/disk.js';
import type { ModelEvent } from '../model/step.js';

export function describeKeep(keep: PowerLossKeep): string {
  switch (keep.kind) {
    case 'synced':
      return 'keeps only what the file system forced';
    case 'all':
      return 'keeps everything the OS had';
    case 'prefix':
      return `keeps the first ${keep.count} in-flight operation${keep.count === 1 ? '' : 's'} not forced`;
    case 'subset': {
      const parts = (keep.partial ?? []).map((p) => (p.pages.length === 0 ? `#${p.opId} at its new size reading as zeros` : `#${p.opId} torn, keeping page${p.pages.length === 1 ? '' : 's'} ${p.pages.join(', ')}`));
      return `keeps in-flight operations [${keep.opIds.join(', ')}]${parts.length ? `, and ${parts.join(', ')}` : ''}`;
    }
  }
}

export function describeEvent(e: ModelEvent): string {
  const kill = 'killAfterFileOps' in e && e.killAfterFileOps !== undefined ? ` (killed after ${e.killAfterFileOps} file operation${e.killAfterFileOps === 1 ? '' : 's'})` : '';
  switch (e.type) {
    case 'start':
    case 'stop':
    case 'newBlock':
    case 'kill':
      return `${e.type}${kill}`;
    case 'store':
      return `store ${e.subject} (${e.payloadBytes} B payload${e.count && e.count > 1 ? ` ×${e.count}` : ''})${kill}`;
    case 'skip':
      return `skip${e.count && e.count > 1 ? ` ×${e.count}` : ''}${kill}`;
    case 'remove':
      return `remove ${e.from === e.to ? e.from : `${e.from}..${e.to}`}${kill}`;
    case 'deliver':
      return `deliver to ${e.consumer}${e.count && e.count > 1 ? ` ×${e.count}` : ''}${kill}`;
    case 'ack':
      return `ack ${e.streamSeq} by ${e.consumer}${kill}`;
    case 'advance':
      return `advance ${e.ms} ms${kill}`;
    case 'powerLoss':
      return `power loss: ${describeKeep(e.keep)}`;
    case 'deleteFile':
      return `delete ${e.path}`;
    case 'copyFile':
      return `copy ${e.from} to ${e.to}`;
    case 'renameFile':
      return `rename ${e.from} to ${e.to}`;
    case 'truncateFile':
      return `truncate ${e.path} to ${e.bytes} B`;
  }
}

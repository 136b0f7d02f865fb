/**
 * Disagreements between the model and real binaries that are understood and not yet fixed in
 * the model: each names the cases and fields it covers, and its cause with the Go source.
 * docs/real-server.md lists the same entries. The differential suite reports a disagreement
 * that matches an entry as known (it still prints it), and fails only on new ones.
 */
export interface KnownDisagreement {
  readonly id: string;
  /** Profiles it applies to. */
  readonly profiles: readonly string[];
  /** Case names it applies to; a trailing `*` matches any suffix. */
  readonly cases: readonly string[];
  /** Every differing field must be one of these. */
  readonly fields: readonly string[];
  readonly cause: string;
}

export const KNOWN_DISAGREEMENTS: readonly KnownDisagreement[] = [
  {
    id: 'v2.10.22-ack-floor-after-restore',
    profiles: ['v2.10.22'],
    cases: ['scenario:obs-5-wq-consumer-odat-lag@*'],
    fields: ['consumer C.ackFloor.consumerSeq', 'consumer C.ackFloor.streamSeq'],
    cause:
      "o.dat holds pending 1-3 with ack floor 0; the stream comes back at FirstSeq 5. The server's checkPending, 0.5-1.5 s after the restore (consumer.go applyState L2540-2555, checkPending L4592-4710), drops the pending sequences below FirstSeq and, with none left, sets the ack floor to (dseq-1, sseq-1). v2.10.28, v2.11.4 and v2.14.5 report (3,3), as the model does with checkPending at restore (a model without it reports (0,0)). v2.10.22 reports (3,4): its delivery pointer has been moved to the stream's first sequence, as consumer.purge (L5001-5030) does, on a path of 2.10.22 not traced yet.",
  },
  {
    id: 'zero-filled-tail-cache-load',
    profiles: ['v2.10.22', 'v2.10.23', 'v2.10.26', 'v2.10.28', 'v2.11.4', 'v2.11.11', 'v2.12.5', 'v2.14.0', 'v2.14.5'],
    cases: ['corpus:power-loss-ext4_no-stored-loss_stale-index@*', 'corpus:power-loss-ext4_no-stored-loss_unsynced-data@*'],
    fields: ['warnings'],
    cause:
      "The power loss kept 1.blk at its new size with the second record reading as zeros (ext4's zero-filled append), and recovery trusted the stale index.db, so the zeros stay in the lmb and the probe is appended after them. State, consumers and the probe's delivery agree; the server also logs, when the consumer first loads that block, 'indexCacheBuf corrupt record state: dlen -22 slen 0 index 43 rl 0 lbuf 121' (filestore.go indexCacheBuf L5469, the check at L5530 at v2.10.22: a record length of 0 gives dlen -22 and errCorruptState) and 'Received an error looking up message for consumer' (consumer.go getNextMsg L4028, which waits and retries). The model does not model the message cache, so it predicts neither line.",
  },
];

function matches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

/** The entry that explains these differing fields of this case, if one does. */
export function knownFor(profile: string, caseName: string, differingFields: readonly string[]): KnownDisagreement | null {
  return KNOWN_DISAGREEMENTS.find((k) => k.profiles.includes(profile) && k.cases.some((c) => matches(c, caseName)) && differingFields.every((f) => k.fields.includes(f))) ?? null;
}

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
    id: 'checkpending-at-leader',
    profiles: ['v2.10.22'],
    cases: ['scenario:obs-5-wq-consumer-odat-lag@*'],
    fields: ['consumer C.ackFloor.consumerSeq', 'consumer C.ackFloor.streamSeq'],
    cause:
      'consumer.setLeader calls checkPending at once (consumer.go L1296 at v2.10.22): pending sequences below the stream\'s first sequence are dropped and, with pending empty, the ack floor becomes (dseq-1, sseq-1) (L4592-4710). The v2.10.22 model restores o.dat as it is and never runs checkPending, so it reports the stale ack floor (0,0) where the server reports (3,4).',
  },
];

function matches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

/** The entry that explains these differing fields of this case, if one does. */
export function knownFor(profile: string, caseName: string, differingFields: readonly string[]): KnownDisagreement | null {
  return KNOWN_DISAGREEMENTS.find((k) => k.profiles.includes(profile) && k.cases.some((c) => matches(c, caseName)) && differingFields.every((f) => k.fields.includes(f))) ?? null;
}

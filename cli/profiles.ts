/** `profiles`: every server-version profile with its flags, the PRs behind them and what is out of scope. */
import { FLAG_DOCS, PROFILE_NAMES, getProfile, prsForValue, type Profile, type ProfileFlags } from '../model/profile.js';

export interface ProfileListing {
  readonly name: string;
  readonly description: string;
  readonly flags: Readonly<Record<string, unknown>>;
  /** Flags whose value differs from the previous profile in release order, with their PRs. */
  readonly changes: readonly { readonly flag: string; readonly from: unknown; readonly to: unknown; readonly prs: readonly string[] }[];
  /** Every PR a flag of this profile models with a value other than v2.10.22's. */
  readonly prs: readonly string[];
  readonly outOfScope: readonly string[];
}

function flagsOf(p: Profile): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of FLAG_DOCS) out[d.flag] = p[d.flag];
  return out;
}

export function listProfiles(): { flags: typeof FLAG_DOCS; profiles: ProfileListing[] } {
  const base = getProfile(PROFILE_NAMES[0]!);
  const profiles = PROFILE_NAMES.map((name, i) => {
    const p = getProfile(name);
    const prev = i === 0 ? null : getProfile(PROFILE_NAMES[i - 1]!);
    const changes = prev
      ? FLAG_DOCS.filter((d) => p[d.flag] !== prev[d.flag]).map((d) => ({ flag: d.flag, from: prev[d.flag], to: p[d.flag], prs: prsForValue(d, p[d.flag]) }))
      : [];
    const prs = [...new Set(FLAG_DOCS.filter((d) => p[d.flag as keyof ProfileFlags] !== base[d.flag]).flatMap((d) => prsForValue(d, p[d.flag])))].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
    return { name, description: p.description, flags: flagsOf(p), changes, prs, outOfScope: [...p.outOfScope] };
  });
  return { flags: FLAG_DOCS, profiles };
}

export function formatProfiles(): string {
  const { profiles } = listProfiles();
  const lines: string[] = [];
  for (const p of profiles) {
    lines.push(`${p.name}: ${p.description}`);
    if (p.changes.length === 0) lines.push('  flags (the baseline):');
    else lines.push('  changes from the previous profile:');
    const rows = p.changes.length === 0 ? FLAG_DOCS.map((d) => ({ flag: d.flag, to: p.flags[d.flag], prs: d.prs })) : p.changes;
    for (const c of rows) lines.push(`    ${c.flag} = ${JSON.stringify(c.to)}  (${c.prs.join(', ')})`);
    lines.push('  out of scope:');
    for (const o of p.outOfScope) lines.push(`    - ${o}`);
    lines.push('');
  }
  lines.push('Flags:');
  for (const d of FLAG_DOCS) lines.push(`  ${d.flag} (${d.prs.join(', ')}): ${d.models}`);
  return lines.join('\n');
}

/**
 * A small, strict command-line flag parser: every flag is declared with its kind and range,
 * an unknown or malformed flag is a `UsageError` whose message is one line naming it.
 */

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type FlagSpec =
  | { readonly kind: 'boolean'; readonly help: string }
  | { readonly kind: 'string'; readonly help: string; readonly choices?: readonly string[]; readonly default?: string }
  | { readonly kind: 'int'; readonly help: string; readonly min: number; readonly max: number; readonly default?: number };

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export type ParsedFlags<S extends FlagSpecs> = {
  [K in keyof S]: S[K] extends { kind: 'boolean' } ? boolean : S[K] extends { kind: 'int' } ? number | undefined : string | undefined;
};

export interface Parsed<S extends FlagSpecs> {
  readonly flags: ParsedFlags<S>;
  readonly positional: readonly string[];
}

export function parseArgs<S extends FlagSpecs>(argv: readonly string[], specs: S): Parsed<S> {
  const flags: Record<string, unknown> = {};
  const positional: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.kind === 'boolean') flags[name] = false;
    else if (spec.default !== undefined) flags[name] = spec.default;
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = Object.prototype.hasOwnProperty.call(specs, name) ? specs[name] : undefined;
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (spec.kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`option --${name} needs a value`);
    if (spec.kind === 'string') {
      if (spec.choices && !spec.choices.includes(value)) throw new UsageError(`option --${name}: "${value}" is not one of ${spec.choices.join(', ')}`);
      flags[name] = value;
    } else {
      if (!/^-?\d+$/.test(value)) throw new UsageError(`option --${name}: "${value}" is not an integer`);
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < spec.min || n > spec.max) throw new UsageError(`option --${name}: ${value} is out of range (${spec.min} to ${spec.max})`);
      flags[name] = n;
    }
    value = undefined;
  }
  return { flags: flags as ParsedFlags<S>, positional };
}

export function flagHelp(specs: FlagSpecs): string {
  return Object.entries(specs)
    .map(([name, spec]) => {
      const arg = spec.kind === 'boolean' ? '' : spec.kind === 'int' ? ` N (${spec.min}-${spec.max})` : spec.choices ? ` ${spec.choices.join('|')}` : ' VALUE';
      return `  --${name}${arg}\n      ${spec.help}`;
    })
    .join('\n');
}

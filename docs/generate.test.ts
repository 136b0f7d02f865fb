/**
 * The docs generator, fast: no full check run. A tiny page over a stub context, and the
 * crash-models page over a stub check matrix (it reads only the bounds and the profile), with
 * one real Chromium shared by the file (render.test.ts needs it too).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeConfig } from '../model/config.js';
import { DEFAULT_PROFILE } from '../model/profile.js';
import { DEFAULT_EXHAUSTIVE_BOUNDS } from '../properties/explore.js';
import { sequenceDiagram } from '../traces/mermaid.js';
import { CHROMIUM_PATH, Renderer } from '../traces/render.js';
import { buildDocs, checkDocs, GENERATED_MARKER, runDocs, writeDocs, type RenderSvg } from './generate.js';
import { crashModelsPage } from './pages/crash-models.js';
import { definePage, DocsError, judgeRun, md, stepList, type CheckMatrix, type DocsContext } from './pages/lib.js';

/** A stub context: no check run (a tiny matrix, enough for pages that read only the bounds). */
function stubContext(): DocsContext {
  const matrix: CheckMatrix = { profile: DEFAULT_PROFILE, bounds: DEFAULT_EXHAUSTIVE_BOUNDS, crashModels: ['kill', 'power-loss:ext4'], runs: [], rows: [] };
  return {
    profile: DEFAULT_PROFILE,
    check: () => matrix,
    matrix: () => {
      throw new Error('not in the stub');
    },
    scenarioTrace: () => {
      throw new Error('not in the stub');
    },
    pages: () => [{ file: 'tiny.md', title: 'Tiny', summary: 'a tiny page' }],
    repoText: () => {
      throw new Error('not in the stub');
    },
  };
}

const config = makeConfig({ retention: 'workqueue', blockSizeBytes: 128, consumers: ['C'] });

const tinyPage = definePage({ file: 'tiny.md', title: 'Tiny', summary: 'a tiny page' }, async (ctx, figure) => {
  const j = judgeRun({ config, profile: ctx.profile, events: [{ type: 'start' }, { type: 'store', subject: 'foo', payloadBytes: 10 }, { type: 'kill' }, { type: 'start' }], title: 'tiny' });
  return md('A store, a kill and a restart.', stepList(j.trace), figure('tiny-run', sequenceDiagram(j.trace), 'The run'));
});

describe('docs generator', () => {
  let renderer: Renderer;
  let render: RenderSvg;
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'docs-test-'));
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    renderer = await Renderer.open();
    render = (mmd) => renderer.render(mmd, 'svg');
  });
  afterAll(async () => {
    await renderer?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a page embeds each diagram as a mermaid block and a link to its SVG', async () => {
    const page = await tinyPage(stubContext());
    expect(page.file).toBe('tiny.md');
    expect(page.diagrams.map((d) => d.name)).toEqual(['tiny-run']);
    expect(page.markdown).toContain('```mermaid\n---\ntitle: "tiny"');
    expect(page.markdown).toContain('[SVG](diagrams/tiny-run.svg)');
    expect(page.markdown).toContain('4. **start**');

    const crash = await crashModelsPage(stubContext());
    expect(crash.file).toBe('crash-models.md');
    for (const d of crash.diagrams) {
      expect(crash.markdown).toContain(`[SVG](diagrams/${d.name}.svg)`);
      expect(crash.markdown).toContain(`\`\`\`mermaid\n${d.mmd.trimEnd()}\n\`\`\``);
    }
    expect(crash.diagrams.map((d) => d.name)).toContain('crash-removal');
    expect(crash.markdown).toContain('### `power-loss:lazyfs`: 1 disk');
  });

  it('writes the same bytes for the same input', async () => {
    const a = await buildDocs([tinyPage], stubContext(), render);
    const b = await buildDocs([tinyPage], stubContext(), render);
    expect(a.map((f) => f.path)).toEqual(['diagrams/tiny-run.svg', 'tiny.md']);
    expect(b).toEqual(a);
    const md = a.find((f) => f.path === 'tiny.md')!.content;
    expect(md.startsWith(`${GENERATED_MARKER}\n\n# Tiny\n\n`)).toBe(true);
    expect(md).not.toMatch(/\/work\/|\/tmp\/|\d{4}-\d\d-\d\d/);
    const svg = a.find((f) => f.path === 'diagrams/tiny-run.svg')!.content;
    expect(svg.startsWith('<svg')).toBe(true);
    // Written twice into fresh folders, the folders compare equal.
    const d1 = tmp();
    writeDocs(d1, a);
    expect(checkDocs(b, d1)).toEqual([]);
  });

  it('--check reports each changed, missing or stale file, one line each, and exits 1', async () => {
    const dir = tmp();
    const lines: string[] = [];
    const opts = { pages: [tinyPage], ctx: stubContext(), docsDir: dir, render, out: (l: string) => lines.push(l), err: () => {} };
    expect(await runDocs({ ...opts, argv: [] })).toBe(0);
    lines.length = 0;
    expect(await runDocs({ ...opts, argv: ['--check'] })).toBe(0);
    expect(lines.at(-1)).toMatch(/: up to date \(2 files\)$/);

    writeFileSync(join(dir, 'tiny.md'), readFileSync(join(dir, 'tiny.md'), 'utf8').replace('A store', 'A changed store'));
    mkdirSync(join(dir, 'diagrams'), { recursive: true });
    writeFileSync(join(dir, 'diagrams', 'old.svg'), '<svg/>\n');
    lines.length = 0;
    expect(await runDocs({ ...opts, argv: ['--check'] })).toBe(1);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/\/diagrams\/old\.svg: no longer generated \(remove it\)$/);
    expect(lines[1]).toMatch(/\/tiny\.md: differs from the generated file$/);

    rmSync(join(dir, 'diagrams', 'tiny-run.svg'));
    expect(checkDocs(await buildDocs([tinyPage], stubContext(), render), dir, 'docs')).toEqual([
      'docs/diagrams/old.svg: no longer generated (remove it)',
      'docs/diagrams/tiny-run.svg: missing',
      'docs/tiny.md: differs from the generated file',
    ]);

    // Regenerating repairs it: the stale diagram is removed, the others rewritten.
    expect(await runDocs({ ...opts, argv: [] })).toBe(0);
    expect(checkDocs(await buildDocs([tinyPage], stubContext(), render), dir)).toEqual([]);
  });

  it('refuses a page whose diagram is not embedded', async () => {
    const broken = definePage({ file: 'broken.md', title: 'Broken', summary: '' }, async (_ctx, figure) => {
      figure('lost', 'flowchart LR\n  a --> b\n', 'Lost');
      return 'no figure here';
    });
    await expect(buildDocs([broken], stubContext(), render)).rejects.toBeInstanceOf(DocsError);
  });

  it('without Chromium: one line naming the package to install, exit 2', async () => {
    const err: string[] = [];
    const code = await runDocs({ argv: [], pages: [tinyPage], ctx: stubContext(), docsDir: tmp(), executablePath: `${CHROMIUM_PATH}-not-installed`, out: () => {}, err: (l) => err.push(l) });
    expect(code).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain('apt-get install -y chromium');
  });

  it('rejects an unknown argument', async () => {
    const err: string[] = [];
    expect(await runDocs({ argv: ['--chek'], pages: [tinyPage], ctx: stubContext(), docsDir: tmp(), render, out: () => {}, err: (l) => err.push(l) })).toBe(2);
    expect(err).toEqual(['error: unknown argument "--chek" (usage: npm run docs [-- --check])']);
  });
});

/**
 * Rendering with mermaid-cli in the system Chromium: one browser for the whole file. Nothing
 * is skipped: without /usr/bin/chromium these tests fail with the message naming the browser
 * and the command that installs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PROFILE } from '../model/profile.js';
import { loadScenarioFile } from '../scenarios/parse.js';
import { runScenario, scenarioConfig } from '../scenarios/run.js';
import { filesView, sequenceDiagram } from './mermaid.js';
import { BrowserMissingError, CHROMIUM_PATH, chromiumPath, Renderer, substituteEmoji } from './render.js';
import { makeTrace, traceStep, type TraceFile } from './trace.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SEED_SCENARIO = join(HERE, '..', 'scenarios', 'conformance', 'wq-lmb-removal-kill.json');

function seedTrace(): TraceFile {
  const scenario = loadScenarioFile(SEED_SCENARIO);
  const run = runScenario(scenario, DEFAULT_PROFILE, 'scenarios/conformance/wq-lmb-removal-kill.json');
  const steps = run.steps.flatMap((s) => s.events.map((e, i) => traceStep(e, s.results[i]!)));
  const secondStart = steps.flatMap((s, i) => (s.event.type === 'start' ? [i] : []))[1]!;
  return makeTrace({
    config: scenarioConfig(scenario),
    profile: DEFAULT_PROFILE,
    origin: { kind: 'scenario', name: scenario.name, source: scenario.source },
    title: scenario.name,
    violation: { property: 'stream-not-behind-consumer', message: "consumer C delivered stream seq 2 but the stream's last seq is 0", step: secondStart },
    steps,
  });
}

/** SVG text nodes, entity-decoded, one string (labels with line breaks are split over several nodes). */
function svgText(svg: string): string {
  return [...svg.matchAll(/>([^<]+)</g)]
    .map((m) => m[1]!)
    .join('\n')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

describe('Renderer (mermaid-cli in /usr/bin/chromium)', () => {
  let renderer: Renderer;
  const trace = seedTrace();
  const mmd = sequenceDiagram(trace);

  beforeAll(async () => {
    renderer = await Renderer.open();
  });
  afterAll(async () => {
    await renderer?.close();
  });

  it('renders the seed sequence diagram to SVG with the participants and the crash note, deterministically', async () => {
    const svg = await renderer.render(mmd, 'svg');
    expect(svg.startsWith('<svg')).toBe(true);
    // Labels wrap (LABEL_WRAP_CHARS): compare the text with its line breaks as spaces.
    const text = svgText(svg).replace(/\s*\n\s*/g, ' ');
    for (const s of ['Publisher', 'Consumer C', 'FileStore', 'OS page cache', 'Disk']) expect(text).toContain(s);
    expect(text).toContain('process killed after 1 of 3 file operations of this step');
    expect(text).toContain('never happened: create msgs/3.blk (newMsgBlockForWrite)');
    expect(text).toContain('unlink msgs/2.blk (removeMsgBlock)');
    expect(text).toContain('⚠ Filestore [TEST] Stream state detected prior state, could not locate msg block 2');
    expect(text).toContain('✗ stream-not-behind-consumer');
    // The same diagram renders to the same bytes.
    expect(await renderer.render(mmd, 'svg')).toBe(svg);
  });

  it('renders the files view to PNG', async () => {
    const png = await renderer.render(filesView(trace), 'png');
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.length).toBeGreaterThan(10_000);
  });

  it('stands in for emoji the system fonts cannot draw', () => {
    expect(substituteEmoji('💥 process killed')).toBe('☠ process killed');
  });

  it('names the missing browser and how to install it', async () => {
    const missing = `${CHROMIUM_PATH}-not-installed`;
    const err = await Renderer.open({ executablePath: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrowserMissingError);
    expect((err as Error).message).toBe(`cannot render diagrams: the Chromium browser ${JSON.stringify(missing)} is missing; install it with: apt-get install -y chromium, or set CHROMIUM_PATH to the browser`);
    expect(chromiumPath({ CHROMIUM_PATH: missing })).toBe(missing);
    expect(chromiumPath({})).toBe('/usr/bin/chromium');
  });
});

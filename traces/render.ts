/**
 * Render Mermaid text to SVG or PNG with mermaid-cli's `renderMermaid`, in one headless
 * Chromium shared by every diagram a `Renderer` draws. The browser is the system's
 * (/usr/bin/chromium); puppeteer never downloads one. SVG output is deterministic: mermaid
 * derives its element ids from a fixed seed, and the SVG element's id is fixed too.
 */
import { existsSync } from 'node:fs';
import { renderMermaid } from '@mermaid-js/mermaid-cli';
import puppeteer, { type Browser } from 'puppeteer';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The browser to render with: $CHROMIUM_PATH when set, else /usr/bin/chromium. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.CHROMIUM_PATH;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : CHROMIUM_PATH;
}

/**
 * Mermaid refuses text longer than this (its `maxTextSize` default) and draws only an error
 * message instead; a flowchart refuses more than `maxEdges` links. Diagrams are checked
 * against both before rendering.
 */
export const MERMAID_MAX_TEXT_CHARS = 50_000;
export const MERMAID_MAX_EDGES = 500;

/** As root Chromium needs --no-sandbox; the network is closed, so nothing may phone home. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export type RenderFormat = 'svg' | 'png';

export interface RendererOptions {
  /** The browser binary (default: $CHROMIUM_PATH, else /usr/bin/chromium). */
  readonly executablePath?: string;
}

export interface RenderOptions {
  /** PNG pixel ratio (default 1). */
  readonly scale?: number;
  /** Draw emoji as they are instead of their stand-ins (needs an emoji font, e.g. fonts-noto-color-emoji). */
  readonly keepEmoji?: boolean;
}

/**
 * Stand-ins for the emoji the diagrams use, from fonts every Chromium install has (DejaVu):
 * without an emoji font Chromium draws an empty box, and the crash marker must stay legible.
 */
export const EMOJI_STAND_INS: Readonly<Record<string, string>> = { '💥': '☠' };

export function substituteEmoji(mmd: string): string {
  let out = mmd;
  for (const [emoji, standIn] of Object.entries(EMOJI_STAND_INS)) out = out.split(emoji).join(standIn);
  return out;
}

/** The browser to render with is not installed. The message is one line with the fix. */
export class BrowserMissingError extends Error {
  constructor(path: string) {
    super(`cannot render diagrams: the Chromium browser ${JSON.stringify(path).replace(/[^\x20-\x7e]/g, '?')} is missing; install it with: apt-get install -y chromium, or set CHROMIUM_PATH to the browser`);
    this.name = 'BrowserMissingError';
  }
}

/** Mermaid settings for every diagram: stable ids, natural width (not squeezed to the page). */
export const MERMAID_CONFIG = {
  theme: 'default',
  deterministicIds: true,
  deterministicIDSeed: 'filestore-trace',
  securityLevel: 'strict',
  sequence: { useMaxWidth: false, mirrorActors: true },
  flowchart: { useMaxWidth: false, htmlLabels: true, wrappingWidth: 360 },
} as const;

const SVG_ID = 'filestore-diagram';

export class Renderer {
  private closed = false;

  private constructor(private readonly browser: Browser) {}

  /** Launch the shared browser. Throws `BrowserMissingError` when it is not installed. */
  static async open(opts: RendererOptions = {}): Promise<Renderer> {
    const executablePath = opts.executablePath ?? chromiumPath();
    if (!existsSync(executablePath)) throw new BrowserMissingError(executablePath);
    const browser = await puppeteer.launch({
      executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS],
      // Keep the caller's terminal and signals to ourselves; close() ends the browser.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    return new Renderer(browser);
  }

  render(mmd: string, format: 'svg', opts?: RenderOptions): Promise<string>;
  render(mmd: string, format: 'png', opts?: RenderOptions): Promise<Buffer>;
  render(mmd: string, format: RenderFormat, opts?: RenderOptions): Promise<Buffer | string>;
  async render(mmd: string, format: RenderFormat, opts: RenderOptions = {}): Promise<Buffer | string> {
    if (this.closed) throw new Error('the renderer is closed');
    const { data } = await renderMermaid(this.browser, opts.keepEmoji ? mmd : substituteEmoji(mmd), format, {
      backgroundColor: 'white',
      mermaidConfig: MERMAID_CONFIG,
      svgId: SVG_ID,
      viewport: { width: 800, height: 600, deviceScaleFactor: opts.scale ?? 1 },
    });
    return format === 'svg' ? new TextDecoder().decode(data) : Buffer.from(data);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.browser.close();
  }
}

/** Render one diagram with a browser of its own (for a single diagram; reuse a `Renderer` for many). */
export async function renderOnce(mmd: string, format: RenderFormat, opts: RendererOptions & RenderOptions = {}): Promise<Buffer | string> {
  const r = await Renderer.open(opts);
  try {
    return await r.render(mmd, format, opts);
  } finally {
    await r.close();
  }
}

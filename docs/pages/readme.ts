/** docs/README.md: what the project is, the pages, and the verdict matrix `npm start` prints (without timings). */
import { PROPERTY_IDS } from '../../properties/invariants.js';
import { checkResult, code, definePage, md, mdTable, verdictCell, boundsText } from './lib.js';

export const readmePage = definePage(
  { file: 'README.md', title: 'A crash-recovery model of the NATS JetStream filestore', summary: 'what the project is, and the verdict matrix of the default check' },
  async (ctx) => {
    const m = ctx.check();
    const matrix = mdTable(
      ['property', ...m.crashModels.map((c) => code(c))],
      PROPERTY_IDS.map((p) => [`[${code(p)}](invariants.md#${p})`, ...m.crashModels.map((c) => verdictCell(checkResult(m, p, c)))]),
    );
    const states = mdTable(
      ['crash model', 'states generated', 'distinct states', 'depth reached'],
      m.runs.map((r) => [code(r.crash), String(r.result.stats.statesGenerated), String(r.result.stats.distinctStates ?? '—'), String(r.result.stats.depth)]),
    );
    const pages = mdTable(
      ['page', 'what it covers'],
      ctx
        .pages()
        .filter((p) => p.file !== 'README.md')
        .map((p) => [`[${p.title}](${p.file})`, p.summary]),
    );
    return md(
      `This repository is a deterministic model of how nats-server's JetStream **filestore** persists a stream and its consumers, and how it recovers them after a crash. It is written in TypeScript, follows ${code('server/filestore.go')} and ${code('server/consumer.go')} function by function at a named server version (profile ${code(m.profile)}), and exists to find crash-recovery bugs: a search runs every short sequence of operations and crashes through the model and checks ${PROPERTY_IDS.length} properties after each step.`,
      `What it models:`,
      [
        `- the files of one stream: the message blocks ${code('msgs/N.blk')} (append-only records: messages and delete tombstones), the full-state snapshot ${code('msgs/index.db')}, and each consumer's state ${code('obs/<name>/o.dat')};`,
        `- every file operation in the order the real server issues it, each tagged with the Go function that issues it (${code('removeMsgBlock')}, ${code('flushStreamStateLoop')}, …);`,
        `- a simulated disk that tells the OS page cache from what is durable (fsync, O_SYNC, background writeback), so a process kill and a power loss lose different things ([crash models](crash-models.md));`,
        `- recovery at start, with the warnings the server logs;`,
        `- a ghost of what clients were told (sequences handed out, acks processed), against which the [properties](invariants.md) are judged.`,
      ].join('\n'),
      `Every counterexample is a replayable trace (${code('filestore-trace/1')}, see [the trace format](trace-format.md)) and can be drawn as a sequence diagram, as on the pages below.`,
      `## Pages`,
      pages,
      `## The default check`,
      `${code('npm start')} runs every property under the crash models ${m.crashModels.map((c) => code(c)).join(' and ')}, exhaustively within fixed bounds: profile ${code(m.profile)}, ${boundsText(m.bounds)}. The search is breadth-first, so each counterexample is a shortest one (in events; a crash under power loss is two events: the kill point and the power loss). The matrix ${code('npm start')} prints, computed by the same ${code('runCheck')} when these docs were generated (without its timings, which differ from run to run):`,
      matrix,
      states,
      `A property is **vacuous** when the search never reached its precondition; **holds** means no run within the bounds broke it.${checkResult(m, 'stream-not-behind-consumer', 'kill').verdict === 'violated' ? ` The ${code('stream-not-behind-consumer')} row is the WorkQueue reset to 0 that this model was built to explain: see [the seed bug](seed-bug.md).` : ''}`,
      `## Commands`,
      [
        `- ${code('npm start')}: the default check above; counterexamples are written as traces under ${code('out/check/')}.`,
        `- ${code('npx tsx cli/main.ts explore --property stream-not-behind-consumer [--crash kill|power-loss:ext4|power-loss:xfs|power-loss:lazyfs|power-loss:posix] [--sync-always] [--retention workqueue|interest|limits]')}: search for one property.`,
        `- ${code('npx tsx cli/main.ts scenario scenarios/conformance/wq-lmb-removal-kill.json')}: replay a scenario file (${code('scenarios')} replays all the conformance scenarios).`,
        `- ${code('npm test')}: unit tests, conformance scenarios against their expected outputs.`,
        `- ${code('npm run docs')}: regenerate these pages and their diagrams from the model; ${code('npm run docs -- --check')} fails when docs/ is out of date. Rendering needs Chromium (${code('apt-get install -y chromium')}).`,
      ].join('\n'),
      `## Layout`,
      [
        `- ${code('model/')}: the filestore model (${code('step.ts')} is its one entry point: a pure ${code('step(state, event)')}).`,
        `- ${code('properties/')}: the six properties, the ghost, the crash models and the exhaustive and random search.`,
        `- ${code('scenarios/')}: the scenario format and the conformance scenarios taken from the server's tests and real-server observations.`,
        `- ${code('traces/')}: trace files, Mermaid diagrams and their rendering.`,
        `- ${code('cli/')}: the command line. ${code('docs/')}: these pages (${code('docs/generate.ts')}, one function per page in ${code('docs/pages/')}).`,
      ].join('\n'),
    );
  },
);

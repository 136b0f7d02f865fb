/** docs/README.md: what the project is, the pages, and the verdict matrix `npm start` prints (without timings). */
import { TRACE_FORMAT } from '../../schemas/trace.js';
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
      ['crash model', 'bounds', 'distinct states', 'transitions', 'max depth', 'complete'],
      m.runs.map((r) => [code(r.crash), boundsText(r.result.request.bounds), String(r.result.stats.distinctStates ?? '—'), String(r.result.stats.transitions ?? '—'), String(r.result.stats.depth), r.result.stats.complete ? 'yes' : 'no']),
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
      `Every counterexample is a replayable trace (${code(TRACE_FORMAT)}, see [the trace format](trace-format.md)) and can be drawn as a sequence diagram, as on the pages below.`,
      `## Pages`,
      pages,
      `## The default check`,
      `The single-profile check (${code('npx tsx cli/main.ts corpus')}, which refreshes ${code('traces/corpus/')}; ${code('npm start')} runs the [verdict matrix](matrix.md) of every profile) runs, for each of the crash models ${m.crashModels.map((c) => code(c)).join(' and ')}, one exhaustive search that checks every property at once, and goes on past violations to keep the shortest counterexample of each cause. Under ${code('kill')} the search runs to its fixpoint, so ${code('complete')} means every reachable state within the bounds was checked; under power loss the space at these bounds is out of reach (each power loss branches into every disk the file system allows), so that search keeps a depth bound (7) and says it is not complete. Profile ${code(m.profile)}; the bounds of each search are in the table below. The search is breadth-first, so each counterexample is a shortest one (in events; a crash under power loss is two events: the kill point and the power loss). The table it prints, computed by the same ${code('runCheck')} when these docs were generated (without its timings, which differ from run to run):`,
      matrix,
      states,
      `How the space is finite: a state is compared with others relative to the model clock (ages and deadlines, not absolute times; a time older than its class's horizon is only ordered against other old times of its class: a message time past AckWait or MaxAge, ${code('lastWriteMs')} past the o.dat flusher's 100 ms, any other time past every configured duration), inode numbers and operation ids are renumbered, the ghost is seen as its readers see it (message identities renamed to the sequences they are current at), and under ${code('kill')} the search sees the page cache alone (only a power loss reads what is durable and in flight); under power loss each in-flight operation is encoded with its age and its journal, extends and forced flags, so the file system's commit and writeback deadlines are relative too. Starts and redeliveries are bounded, since every restart opens a new block and every redelivery a new delivery sequence; a state reached again with no less of the budget (starts, crashes, redeliveries, stores) spent than when it was first seen is not expanded again (budget subsumption). Each of these reductions has a test that compares verdicts and shortest lengths with and without it. States are stored as 128-bit fingerprints (16 bytes in an open-addressing table); ${code('--verify-fingerprints')} keeps every full state and fails if two distinct ones shared a fingerprint. ${code('--workers N')} (default: the number of cores) splits each breadth-first level among worker threads and merges their results in order, so verdicts, shortest lengths and counterexamples do not depend on the worker count.`,
      `Figures (speed, memory, states/s, bytes per stored state, the whole space at the default and the reference bounds ${code('--max-msgs 4 --max-crashes 2')} under ${code('kill')} and ${code('power-loss:ext4')}, 1000 and 8000 stores) with their targets: ${code('npm run bench')} prints each as text and as a JSON line; ${code('npm run bench -- --workers 1')} for one core. ${code('npx tsx cli/main.ts explore --crash kill --max-msgs 4 --max-crashes 2 --json')} (no ${code('--property')}) runs every property in one search and reports, per property, its verdict and per cause its shortest counterexample, with the state space (distinct states, transitions, maximum depth, ${code('complete')}).`,
      `A property is **vacuous** when the search never reached its precondition; **holds** means no run within the bounds broke it.${checkResult(m, 'stream-not-behind-consumer', 'kill').verdict === 'violated' ? ` The ${code('stream-not-behind-consumer')} row is the WorkQueue reset to 0 that this model was built to explain: see [the seed bug](seed-bug.md).` : ''}`,
      `## Commands`,
      [
        `- ${code('npm start')}: the [verdict matrix](matrix.md); ${code('npx tsx cli/main.ts corpus')}: the single-profile check above, its counterexamples written as traces under ${code('traces/corpus/')}.`,
        `- ${code('npx tsx cli/main.ts explore [--property stream-not-behind-consumer] [--crash kill|power-loss:ext4|power-loss:xfs|power-loss:lazyfs|power-loss:posix] [--sync-always] [--retention workqueue|interest|limits] [--max-msgs N] [--max-crashes N] [--depth N] [--workers N]')}: search for one property (stops at its shortest counterexample), or without ${code('--property')} for every property in one search to the fixpoint, with the shortest counterexample of each cause.`,
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

// A node --test reporter that counts tests (not suites) per ipyparallel version, from the "[ipp X]" label
// the harness puts on every top-level test name (test/integration/harness/versionLabel.ts). Tests without
// a label (unit, most e2e) count under "unlabelled". Writes one JSON object when the run ends; scripts/test.mjs
// prints it as the closing note.
const LABEL = /^\[ipp ([^\]]+)\]/;

export default async function* ippCountReporter(source) {
  const counts = {};
  const top = new Map(); // file -> label of the top-level test that started last in it
  const bucket = (label) => (counts[label] ??= { pass: 0, fail: 0, skip: 0, ms: 0 });
  for await (const { type, data } of source) {
    if (type === 'test:start' && data.nesting === 0) top.set(data.file, LABEL.exec(data.name)?.[1] ?? 'unlabelled');
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    // Time per version: the sum of the top-level tests' and suites' durations (hooks included).
    if (data.nesting === 0) bucket(LABEL.exec(data.name)?.[1] ?? 'unlabelled').ms += data.details?.duration_ms ?? 0;
    if (data.details?.type === 'suite') continue;
    const label = data.nesting === 0 ? (LABEL.exec(data.name)?.[1] ?? 'unlabelled') : (top.get(data.file) ?? 'unlabelled');
    const b = bucket(label);
    if (data.skip || data.todo) b.skip++;
    else if (type === 'test:pass') b.pass++;
    else b.fail++;
  }
  yield `${JSON.stringify(counts)}\n`;
}

// Ready for translation, the manifest: every text package.json shows to a user is a "%key%" whose English
// is in package.nls.json (a translation is a package.nls.<locale>.json with the same keys), every key is
// used, and the package ships the file.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './support/fixtures';
import { type Json, localize, NLS_REF, nlsRefs, readRawManifest } from './support/manifest';

const { pkg, nls } = readRawManifest(repoRoot);

/** The fields VS Code shows to a user, wherever they appear in the manifest. */
const SHOWN = new Set(['displayName', 'description', 'markdownDescription', 'title', 'category', 'name', 'contextualTitle', 'contents', 'altText', 'label']);

/** [path, value] of every string in a shown field (or an enumDescriptions entry) that is not a %key%. */
function hardCoded(value: Json, path = '', field = ''): string[] {
  if (typeof value === 'string') return NLS_REF.test(value) ? [] : [`${path}: ${value}`];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const shown = Array.isArray(value) ? field === 'enumDescriptions' : SHOWN.has(k) || k === 'enumDescriptions';
    if (!shown && typeof v === 'string') return [];
    return hardCoded(v, path ? `${path}.${k}` : k, Array.isArray(value) ? field : k);
  });
}

describe('package.json is ready for translation (package.nls.json)', () => {
  it('every %key% in package.json has its English text in package.nls.json', () => {
    const missing = nlsRefs(pkg).filter((r) => !(r.key in nls)).map((r) => `${r.path}: %${r.key}%`);
    assert.deepEqual(missing, []);
  });

  it('package.nls.json has no key that package.json does not use', () => {
    const used = new Set(nlsRefs(pkg).map((r) => r.key));
    assert.deepEqual(Object.keys(nls).filter((k) => !used.has(k)), []);
  });

  it('no title, name, description or walkthrough text is hard-coded in package.json', () => {
    // The package's identity and the keywords stay literal: VS Code does not localize them.
    const { name: _name, publisher: _publisher, repository: _repository, ...rest } = pkg as Record<string, Json>;
    assert.deepEqual(hardCoded(rest), []);
  });

  it('every English text is a non-empty string, and the keys are ones vsce resolves', () => {
    for (const [key, text] of Object.entries(nls)) {
      assert.ok(NLS_REF.test(`%${key}%`), `${key} does not match vsce's %key% pattern`);
      assert.equal(typeof text, 'string', key);
      assert.ok(text.trim().length > 0, `${key} is empty`);
    }
  });

  it('the localized manifest resolves, and the commands keep their palette titles', () => {
    const en = localize(pkg, nls) as { displayName: string; contributes: { commands: { command: string; title: string; category: string }[] } };
    assert.equal(en.displayName, 'IPython Parallel');
    const connect = en.contributes.commands.find((c) => c.command === 'ipyparallel.connect');
    assert.equal(`${connect?.category}: ${connect?.title}`, 'IPython Parallel: Connect to Cluster…');
    assert.throws(() => localize({ title: '%no.such.key%' }, nls), /package\.nls\.json has no no\.such\.key/);
  });

  it('a package without package.nls.json is rejected by scripts/package.mjs', async () => {
    const lib = (await import(pathToFileURL(join(repoRoot, 'scripts', 'package.mjs')).href)) as {
      checkVsixContents(names: string[], pkg: { main: string }, target: string): string[];
    };
    const problems = lib.checkVsixContents(['extension/package.json', 'extension/dist/extension.js'], { main: './dist/extension.js' }, 'linux-x64');
    assert.ok(problems.includes('missing package.nls.json'), problems.join('\n'));
  });
});

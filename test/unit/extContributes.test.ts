import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ALL_COMMANDS, CATEGORY, Commands, ContextKeys, NotebookControllers, TreeItemContexts, ViewContainers, Views } from '../../src/extension/ids';
import { DEFAULT_SETTINGS, SETTING_KEYS } from '../../src/extension/settings';
import { repoRoot } from './support/fixtures';
import { readManifest } from './support/manifest';

interface MenuItem {
  command: string;
  when?: string;
  group?: string;
}
// In English: the titles and texts are %key%s into package.nls.json (test/unit/manifestNls.test.ts).
const pkg = readManifest(repoRoot);
const contributes = pkg.contributes;
const contributed: { command: string; title: string; category?: string; icon?: string }[] = contributes.commands;
const menus: Record<string, MenuItem[]> = contributes.menus;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    return d.isDirectory() ? tsFiles(p) : d.name.endsWith('.ts') ? [p] : [];
  });
}
const extensionSources = tsFiles(join(repoRoot, 'src/extension')).map((f) => ({ file: f, text: readFileSync(f, 'utf8') }));

/** `registerCommand(ctx, Commands.xyz` calls in the extension's sources, as command ids. */
function registeredInSource(): string[] {
  const ids: string[] = [];
  for (const { text } of extensionSources) {
    for (const m of text.matchAll(/registerCommand\(\s*ctx\s*,\s*Commands\.(\w+)/g)) {
      const id = (Commands as Record<string, string>)[m[1]];
      assert.ok(id, `Commands.${m[1]} is not in ids.ts`);
      ids.push(id);
    }
  }
  return ids;
}

const sorted = (xs: Iterable<string>) => [...xs].sort();
const dupes = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);

describe('package.json contributes exactly the commands the extension registers', () => {
  it('contributes.commands == ids.ts ALL_COMMANDS, both directions, no duplicates', () => {
    const ids = contributed.map((c) => c.command);
    assert.deepEqual(dupes(ids), []);
    assert.deepEqual(sorted(ids), sorted(ALL_COMMANDS));
  });

  it('every id in ALL_COMMANDS has exactly one registerCommand() in src/extension', () => {
    const registered = registeredInSource();
    assert.deepEqual(dupes(registered), []);
    assert.deepEqual(sorted(registered), sorted(ALL_COMMANDS));
  });

  it('nothing registers a command around the wrapper (which reports errors once)', () => {
    const direct = extensionSources.filter((s) => /vscode\.commands\.registerCommand\(/.test(s.text)).map((s) => s.file);
    assert.deepEqual(direct.map((f) => f.slice(repoRoot.length + 1)), ['src/extension/commands/register.ts']);
  });

  it('every command has a title, the category, and an ipyparallel.verbNoun id', () => {
    for (const c of contributed) {
      assert.ok(c.title, c.command);
      assert.equal(c.category, CATEGORY, c.command);
      assert.match(c.command, /^ipyparallel\.[a-z]+(?:[A-Z][A-Za-z]*)?$/, c.command);
    }
  });

  it('menus and keybindings only name contributed commands (or built-in ones)', () => {
    const known = new Set(ALL_COMMANDS as readonly string[]);
    for (const [menu, items] of Object.entries(menus)) {
      for (const item of items) assert.ok(known.has(item.command), `${menu}: ${item.command}`);
    }
    for (const k of contributes.keybindings) assert.ok(known.has(k.command), k.command);
  });

  it('tree-item commands are hidden from the palette; every other command has a when clause there', () => {
    const palette = new Map(menus.commandPalette.map((m) => [m.command, m.when]));
    const itemOnly = [
      Commands.runSelectionOnEngine,
      Commands.interruptEngine,
      Commands.showEngineOutput,
      Commands.showTaskOutput,
      Commands.abortTask,
      Commands.interruptTask,
      Commands.resubmitTask,
      Commands.copyMsgId,
      Commands.purgeTask,
      Commands.stopCluster,
      Commands.connectCluster,
      Commands.disconnectCluster,
      Commands.addEngines,
      Commands.openClusterLog,
      Commands.copyConnectionSnippet,
      Commands.removeStaleCluster,
    ];
    for (const id of itemOnly) assert.equal(palette.get(id), 'false', id);
    for (const id of [Commands.runSelection, Commands.runCell, Commands.runFile, Commands.startLocalCluster, Commands.startCluster]) {
      assert.match(palette.get(id) ?? '', /isWorkspaceTrusted/, `${id} must be gated on workspace trust`);
    }
  });
});

describe('package.json: views, context keys, keybinding, settings', () => {
  it('the view container and views use the ids of ids.ts, and the icon is not the Testing beaker', () => {
    const containers = contributes.viewsContainers.activitybar;
    assert.deepEqual(containers.map((c: { id: string }) => c.id), [ViewContainers.main]);
    assert.match(containers[0].icon, /^\$\([a-z-]+\)$/);
    assert.notEqual(containers[0].icon, '$(beaker)');
    assert.deepEqual(sorted(contributes.views[ViewContainers.main].map((v: { id: string }) => v.id)), sorted(Object.values(Views)));
  });

  it('the Engines view has welcome content with Connect and Start Local Cluster when not connected', () => {
    const welcome = contributes.viewsWelcome.filter((w: { view: string; when: string }) => w.view === Views.engines && w.when.includes('!ipyparallel.connected'));
    assert.ok(welcome.some((w: { contents: string }) => w.contents.includes('(command:ipyparallel.connect)') && w.contents.includes('(command:ipyparallel.startLocalCluster)')));
  });

  it('when clauses use only context keys that ids.ts defines', () => {
    const keys = new Set<string>(Object.values(ContextKeys));
    const ids = new Set<string>([...Object.values(Views), ...ALL_COMMANDS, ...Object.values(NotebookControllers)]);
    const whens: string[] = [
      ...Object.values(menus).flat().map((m) => m.when ?? ''),
      ...contributes.keybindings.map((k: { when: string }) => k.when),
      ...contributes.viewsWelcome.map((w: { when: string }) => w.when),
    ];
    for (const when of whens) {
      for (const m of when.matchAll(/ipyparallel\.[A-Za-z.]+/g)) {
        assert.ok(keys.has(m[0]) || ids.has(m[0]), `unknown context key ${m[0]} in "${when}"`);
      }
    }
  });

  it('the Clusters view gates Start, Stop, Add Engines and Remove on workspace trust', () => {
    const gated = [Commands.startCluster, Commands.stopCluster, Commands.addEngines, Commands.removeStaleCluster];
    const items = [...menus['view/title'], ...menus['view/item/context']].filter((m) => m.when?.includes(`view == ${Views.clusters}`));
    for (const id of gated) {
      const uses = items.filter((m) => m.command === id);
      assert.ok(uses.length > 0, `${id} is in the Clusters view`);
      for (const m of uses) assert.match(m.when ?? '', /isWorkspaceTrusted/, `${id}: ${m.when}`);
    }
  });

  it('tree context menus match the contextValues the tree items set', () => {
    const values = new Set<string>(Object.values(TreeItemContexts));
    for (const item of menus['view/item/context']) {
      for (const m of (item.when ?? '').matchAll(/viewItem == ([\w.]+)/g)) assert.ok(values.has(m[1]), m[1]);
      for (const m of (item.when ?? '').matchAll(/viewItem =~ \/(.+?)\//g)) {
        const re = new RegExp(m[1]);
        assert.ok([...values].some((v) => re.test(v)), `${m[1]} matches no contextValue`);
      }
    }
  });

  it('run selection is on Ctrl+Alt+Enter / Cmd+Alt+Enter, for Python, when connected (not Shift+Enter)', () => {
    const kb = contributes.keybindings.find((k: { command: string }) => k.command === Commands.runSelection);
    assert.equal(kb.key, 'ctrl+alt+enter');
    assert.equal(kb.mac, 'cmd+alt+enter');
    for (const part of ['editorTextFocus', 'editorLangId == python', 'ipyparallel.connected']) assert.ok(kb.when.includes(part), part);
    assert.ok(!contributes.keybindings.some((k: { key: string }) => /^shift\+enter$/i.test(k.key)));
  });

  it('configuration declares every setting with the default the code uses', () => {
    const props = contributes.configuration.properties;
    const declared = Object.keys(props).map((k) => k.replace(/^ipyparallel\./, ''));
    assert.deepEqual(sorted(declared), sorted(Object.values(SETTING_KEYS)));
    for (const [field, key] of Object.entries(SETTING_KEYS)) {
      assert.deepEqual(props[`ipyparallel.${key}`].default, DEFAULT_SETTINGS[field as keyof typeof DEFAULT_SETTINGS], key);
    }
  });

  it('activation stays minimal', () => {
    // Opening a notebook or an Interactive Window activates too: our kernel must be in its picker.
    assert.deepEqual(pkg.activationEvents, ['onLanguage:python', 'onNotebook:jupyter-notebook', 'onNotebook:interactive']);
    assert.equal(pkg.main, './dist/extension.js');
  });

  it('the walkthrough has four steps, each ending on a real event, with links to real commands and media that exist', () => {
    const [walk] = contributes.walkthroughs;
    assert.equal(walk.steps.length, 4);
    const contexts = new Set<string>(Object.values(ContextKeys));
    const viewIds = new Set<string>(Object.values(Views));
    const commands = new Set<string>(contributed.map((c) => c.command));
    for (const step of walk.steps as { id: string; description: string; completionEvents: string[]; media: Record<string, string> }[]) {
      assert.ok(step.completionEvents.length > 0, `${step.id} completes on an event`);
      for (const ev of step.completionEvents) {
        const [kind, arg] = ev.split(':');
        if (kind === 'onContext') assert.ok(contexts.has(arg), `${step.id}: ${arg} is not a context key`);
        else if (kind === 'onView') assert.ok(viewIds.has(arg), `${step.id}: ${arg} is not a view`);
        else if (kind === 'onCommand') assert.ok(commands.has(arg), `${step.id}: ${arg} is not a command`);
        else assert.fail(`${step.id}: unexpected completion event ${ev}`);
      }
      const links = [...step.description.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]);
      assert.ok(links.length > 0, `${step.id} has a button`);
      for (const id of links) assert.ok(commands.has(id) || viewIds.has(id.replace(/\.focus$/, '')), `${step.id}: ${id}`);
      const files = [step.media.image, step.media.markdown].filter(Boolean);
      assert.ok(files.length > 0, `${step.id} has media`);
      for (const f of files) assert.ok(existsSync(join(repoRoot, f)), `${step.id}: ${f} is missing`);
      if (step.media.image) assert.ok(step.media.altText, `${step.id}: the image has alt text`);
    }
  });
});

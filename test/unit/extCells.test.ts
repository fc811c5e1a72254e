import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cellAt, cellCode, dedent, findCells, isCellMarker } from '../../src/extension/cells';

const doc = [
  'import numpy as np', // 0
  '', // 1
  '# %% setup', // 2
  'x = 1', // 3
  '', // 4
  '#%%', // 5
  '', // 6
  'print(x)', // 7
  '    # %% [markdown]', // 8
  '# Some notes', // 9
  '# %%', // 10
];

describe('# %% cells', () => {
  it('recognises the marker spellings', () => {
    for (const l of ['# %%', '#%%', '  # %% title', '# %% [markdown]', '#   %%']) assert.ok(isCellMarker(l), l);
    for (const l of ['x = "# %%"', '# % %', '## %', 'print(1) # %%']) assert.ok(!isCellMarker(l), l);
  });

  it('finds every cell, including the code before the first marker', () => {
    const cells = findCells(doc);
    assert.deepEqual(
      cells.map((c) => [c.markerLine, c.start, c.end, c.title, c.markdown, c.hasMarker]),
      [
        [0, 0, 1, '', false, false],
        [2, 3, 4, 'setup', false, true],
        [5, 6, 7, '', false, true],
        [8, 9, 9, '', true, true],
        [10, 11, 10, '', false, true],
      ],
    );
  });

  it('a file without markers has no cells; blank lines before the first marker are not a cell', () => {
    assert.deepEqual(findCells(['x = 1', 'y = 2']), []);
    assert.equal(findCells(['', '  ', '# %%', 'a']).length, 1);
  });

  it('cellAt finds the cell of a line, marker lines included', () => {
    assert.equal(cellAt(doc, 3)?.markerLine, 2);
    assert.equal(cellAt(doc, 2)?.markerLine, 2);
    assert.equal(cellAt(doc, 7)?.markerLine, 5);
    assert.equal(cellAt(doc, 10)?.markerLine, 10);
    assert.equal(cellAt(['a'], 0), undefined);
  });

  it('cellCode trims blank lines and gives the document line of the first code line', () => {
    const cells = findCells(doc);
    assert.deepEqual(cellCode(doc, cells[1]), { code: 'x = 1', line: 3 });
    assert.deepEqual(cellCode(doc, cells[2]), { code: 'print(x)', line: 7 });
    assert.deepEqual(cellCode(doc, cells[4]), { code: '', line: 11 });
  });

  it('dedent removes the indentation common to all non-blank lines', () => {
    assert.equal(dedent('    for i in r:\n        f(i)\n'), 'for i in r:\n    f(i)\n');
    assert.equal(dedent('  a\n\n  b'), 'a\n\nb');
    assert.equal(dedent('a\n  b'), 'a\n  b');
  });
});

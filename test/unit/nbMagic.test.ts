import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CellMagicError, cellTargets, parseCellMagic, parseTargets, targetsFromMetadata } from '../../src/extension/notebook/cellMagic';

describe('notebook %%px cell magic', () => {
  it('leaves a cell without %%px unchanged', () => {
    assert.deepEqual(parseCellMagic('print(1)\nprint(2)'), { block: true, code: 'print(1)\nprint(2)', lineOffset: 0 });
  });

  it('sends magics that are not ours to the engines unchanged', () => {
    for (const src of ['%%time\nsum(range(10))', '%%writefile x.py\nprint(1)', '%px print(1)', '  %%px --targets 0\nx']) {
      assert.deepEqual(parseCellMagic(src), { block: true, code: src, lineOffset: 0 }, src);
    }
  });

  it('strips the %%px line and keeps the line offset', () => {
    assert.deepEqual(parseCellMagic('%%px\nimport os\nprint(os.getpid())'), { block: true, code: 'import os\nprint(os.getpid())', lineOffset: 1 });
    assert.deepEqual(parseCellMagic('%%px --targets 1'), { block: true, code: '', lineOffset: 1, targets: [1] });
  });

  it('parses --targets as ids, slices and all, in both spellings', () => {
    assert.deepEqual(parseCellMagic('%%px --targets 0,2\nx').targets, [0, 2]);
    assert.deepEqual(parseCellMagic('%%px --targets=2,0\nx').targets, [0, 2]);
    assert.deepEqual(parseCellMagic('%%px -t 1:3\nx').targets, [1, 2]);
    assert.equal(parseCellMagic('%%px --targets all\nx').targets, 'all');
    assert.deepEqual(parseTargets('0,2:4,2'), [0, 2, 3]);
  });

  it('parses --block and --noblock, the last one winning', () => {
    assert.equal(parseCellMagic('%%px --noblock\nx').block, false);
    assert.equal(parseCellMagic('%%px --noblock --block\nx').block, true);
    assert.equal(parseCellMagic('%%px --targets 0 --noblock\r\nx').block, false);
  });

  it('rejects unknown options and bad targets with a message naming the supported subset', () => {
    assert.throws(() => parseCellMagic('%%px --local\nx'), (e: unknown) => e instanceof CellMagicError && /--local.*--targets/.test(e.message));
    assert.throws(() => parseCellMagic('%%px --targets\nx'), /needs a value/);
    assert.throws(() => parseCellMagic('%%px --targets a,b\nx'), /"a" is not an engine id/);
    assert.throws(() => parseCellMagic('%%px --targets 3:1\nx'), /is empty/);
    assert.throws(() => parseCellMagic('%%px --targets ::2\nx'), CellMagicError);
  });

  it('chooses targets: the magic, then the picked ones, then the default', () => {
    const magic = parseCellMagic('%%px --targets 1\nx');
    assert.deepEqual(cellTargets(magic, 'balanced', 'all'), [1]);
    assert.equal(cellTargets(parseCellMagic('x'), 'balanced', 'all'), 'balanced');
    assert.equal(cellTargets(parseCellMagic('x'), undefined, 'all'), 'all');
  });

  it('reads only valid targets from cell metadata', () => {
    assert.equal(targetsFromMetadata('all'), 'all');
    assert.deepEqual(targetsFromMetadata([0, 3]), [0, 3]);
    for (const bad of [undefined, 'pick', [], [-1], [1.5], ['0'], { targets: 'all' }]) assert.equal(targetsFromMetadata(bad), undefined);
  });
});

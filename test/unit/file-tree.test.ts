import { describe, expect, it } from 'vitest';
import { hexDump, isText, textLines, unifiedDiff } from '../../source/model/file-content.js';
import {
  ancestorsOf,
  buildFileTree,
  type FileItem,
  fileRows,
  largestRows,
} from '../../source/model/file-tree.js';

const items: FileItem[] = [
  { path: 'etc', type: 'dir', size: 0, status: 'modified', layer: 1 },
  { path: 'etc/a.conf', type: 'file', size: 100, status: 'added', layer: 1 },
  { path: 'etc/old', type: 'whiteout', size: 0, status: 'deleted', layer: 1 },
  { path: 'big', type: 'dir', size: 0, status: 'added', layer: 1 },
  { path: 'big/x.bin', type: 'file', size: 5000, status: 'added', layer: 1 },
  { path: 'big/y.bin', type: 'file', size: 7000, status: 'modified', layer: 1 },
  { path: 'z', type: 'symlink', size: 3, linkTarget: 'etc', status: 'added', layer: 1 },
];

describe('the file tree', () => {
  it('counts a file with several names (hard links) once in every total that holds more than one', () => {
    // 3 MB in one inode under three names (two in bin/, one in lib/), plus a 1 MB file; an inode
    // number alike in another layer is another file.
    const linked = (path: string, layer = 0): FileItem => ({
      path,
      type: 'file',
      size: 3_000_000,
      ino: 42,
      nlink: 3,
      layer,
    });
    const root = buildFileTree([
      { path: 'bin', type: 'dir', size: 0, layer: 0 },
      linked('bin/perl'),
      linked('bin/perl5.36'),
      { path: 'lib', type: 'dir', size: 0, layer: 0 },
      linked('lib/perl'),
      { path: 'lib/one', type: 'file', size: 1_000_000, ino: 7, nlink: 1, layer: 0 },
      linked('other', 1),
    ]);
    expect(root.children.get('bin')?.total).toBe(3_000_000);
    expect(root.children.get('lib')?.total).toBe(4_000_000);
    expect(root.total).toBe(3_000_000 + 1_000_000 + 3_000_000);
    expect(root.count).toBe(7);
  });

  it('sums disk bytes like du -s -B1: directories included, a hard-linked file once, unknown if any entry is', () => {
    const linked = (path: string): FileItem => ({
      path,
      type: 'file',
      size: 3_000,
      blocks: 8,
      ino: 42,
      nlink: 2,
      layer: 0,
    });
    const items: FileItem[] = [
      { path: 'bin', type: 'dir', size: 0, blocks: 8, layer: 0 },
      linked('bin/a'),
      linked('bin/b'),
      { path: 'bin/c', type: 'file', size: 10, blocks: 8, layer: 0 },
    ];
    const root = buildFileTree(items);
    expect(root.children.get('bin')?.disk).toBe(3 * 4096);
    expect(root.disk).toBe(3 * 4096);
    expect(buildFileTree([...items, { path: 'x', type: 'file', size: 1, layer: 0 }]).disk).toBeUndefined();
  });

  it('sums each directory, lists expanded directories only, sorts by name or size', () => {
    const root = buildFileTree(items);
    expect(root.total).toBe(100 + 5000 + 7000 + 3);
    expect(root.children.get('big')?.total).toBe(12000);
    const names = (rows: ReturnType<typeof fileRows>) =>
      rows.map((r) => `${'  '.repeat(r.depth)}${r.node.name}`);
    expect(names(fileRows(root, new Set(), 'name', new Set()))).toEqual(['big', 'etc', 'z']);
    expect(names(fileRows(root, new Set(['big']), 'size', new Set()))).toEqual([
      'big',
      '  y.bin',
      '  x.bin',
      'etc',
      'z',
    ]);
  });

  it('filters by status, keeping the directories on the way to a match; statuses combine', () => {
    const root = buildFileTree(items);
    const rows = fileRows(root, new Set(['etc', 'big']), 'name', new Set(['deleted']));
    expect(rows.map((r) => r.node.path)).toEqual(['etc', 'etc/old']);
    const both = fileRows(root, new Set(['etc', 'big']), 'name', new Set(['deleted', 'modified']));
    // etc is itself modified; big stays for its modified y.bin, not for its added x.bin.
    expect(both.map((r) => r.node.path)).toEqual(['big', 'big/y.bin', 'etc', 'etc/old']);
    expect(ancestorsOf('a/b/c')).toEqual(['a', 'a/b']);
  });

  it('lists every file largest first by its whole path, filtered like the tree', () => {
    const root = buildFileTree(items);
    expect(largestRows(root, new Set()).map((r) => [r.label, r.node.item?.size])).toEqual([
      ['big/y.bin', 7000],
      ['big/x.bin', 5000],
      ['etc/a.conf', 100],
      ['z', 3],
      ['etc/old', 0],
    ]);
    expect(largestRows(root, new Set(['modified'])).map((r) => r.label)).toEqual(['big/y.bin']);
  });

  it("lists files of one size in the tree's order, directory by directory, names sorted, whatever order they came in", () => {
    const f = (path: string): FileItem => ({ path, type: 'file', size: 4, layer: 0 });
    const dir = (path: string): FileItem => ({ path, type: 'dir', size: 0, layer: 0 });
    const root = buildFileTree([
      f('b/2'),
      dir('a-b'),
      f('a/z'),
      f('a-b/x'),
      dir('b'),
      f('b/10'),
      dir('a'),
      f('a/y'),
      f('c'),
    ]);
    expect(largestRows(root, new Set()).map((r) => r.label)).toEqual([
      'a/y',
      'a/z',
      'a-b/x',
      'b/10',
      'b/2',
      'c',
    ]);
    // The node is the tree's own (no copy), named by its path on the row.
    expect(largestRows(root, new Set())[0]?.node).toBe(root.children.get('a')?.children.get('y'));
  });
});

describe('file content', () => {
  it('shows text escaped line by line, binary as a hex dump', () => {
    expect(textLines(Buffer.from('one\ntwo \x1b[31mred\n'))).toEqual(['one', 'two \\e[31mred']);
    expect(isText(Buffer.from('plain text\n'))).toBe(true);
    expect(isText(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1]))).toBe(false);
    expect(hexDump(Buffer.from('ABC\x00'))).toEqual([`00000000  41 42 43 00${' '.repeat(36)}  ABC.`]);
  });

  it('makes a unified diff with context', () => {
    const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];
    const b = ['1', '2', '3', '4', 'five', '6', '7', '8', '9', '10'];
    expect(unifiedDiff(a, b, 1)).toEqual([
      { kind: '@', text: '@@ -4,3 +4,3 @@' },
      { kind: ' ', text: '4' },
      { kind: '-', text: '5' },
      { kind: '+', text: 'five' },
      { kind: ' ', text: '6' },
      { kind: '@', text: '@@ -9,1 +9,2 @@' },
      { kind: ' ', text: '9' },
      { kind: '+', text: '10' },
    ]);
    expect(unifiedDiff(a, a)).toEqual([]);
    // An empty range names the line before it, as diff -u writes it.
    expect(unifiedDiff([], ['x'])).toEqual([
      { kind: '@', text: '@@ -0,0 +1,1 @@' },
      { kind: '+', text: 'x' },
    ]);
    expect(unifiedDiff(['x'], [])).toEqual([
      { kind: '@', text: '@@ -1,1 +0,0 @@' },
      { kind: '-', text: 'x' },
    ]);
    expect(unifiedDiff(['1', '2', '3'], ['1', '2', 'new', '3'], 0)).toEqual([
      { kind: '@', text: '@@ -2,0 +3,1 @@' },
      { kind: '+', text: 'new' },
    ]);
  });

  it('diffs two 16 KiB previews of one-character lines at once, and the diff still turns one into the other', () => {
    // A modified file made to be slow: 16 KiB of mostly empty lines each side, no common head or
    // tail. A table of numbers for every pair of lines took 10 s and 2.3 GB (a review's measure).
    const a = Array.from({ length: 16_000 }, (_, i) => (i % 3 ? '' : 'a'));
    const b = Array.from({ length: 16_000 }, (_, i) => (i % 5 ? '' : 'b'));
    const t0 = performance.now();
    const diff = unifiedDiff(a, b, 1e9);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(diff.filter((l) => l.kind !== '+' && l.kind !== '@').map((l) => l.text)).toEqual(a);
    expect(diff.filter((l) => l.kind !== '-' && l.kind !== '@').map((l) => l.text)).toEqual(b);
    // A small change in a big file is still the shortest diff: the common head and tail are cut first.
    const big = Array.from({ length: 16_000 }, (_, i) => `line ${i}`);
    const edited = [...big.slice(0, 9000), 'new', ...big.slice(9001)];
    expect(unifiedDiff(big, edited, 0)).toEqual([
      { kind: '@', text: '@@ -9001,1 +9001,1 @@' },
      { kind: '-', text: 'line 9000' },
      { kind: '+', text: 'new' },
    ]);
  });
});

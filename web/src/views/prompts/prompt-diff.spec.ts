import { describe, expect, it } from 'vitest'
import type { DiffLine } from '@/api/types'
import { diffLineClass, diffMarker, diffStats, formatFieldValue, splitRows } from './prompt-diff'

const line = (op: DiffLine['op'], text: string, old_line: number | null, new_line: number | null): DiffLine => ({
  op,
  text,
  old_line,
  new_line,
})

const lines: DiffLine[] = [
  line('equal', 'Hello', 1, 1),
  line('delete', 'old a', 2, null),
  line('delete', 'old b', 3, null),
  line('insert', 'new a', null, 2),
  line('equal', 'Bye', 4, 3),
  line('insert', 'tail', null, 4),
]

describe('diff rendering', () => {
  it('gives each op its class and marker', () => {
    expect(diffLineClass('insert')).toEqual(['diff-line', 'diff-line--insert'])
    expect(diffLineClass('delete')).toEqual(['diff-line', 'diff-line--delete'])
    expect(diffLineClass('equal')).toEqual(['diff-line', 'diff-line--equal'])
    expect(['insert', 'delete', 'equal'].map((op) => diffMarker(op as DiffLine['op']))).toEqual(['+', '-', ' '])
  })

  it('counts added and removed lines', () => {
    expect(diffStats(lines)).toEqual({ added: 2, removed: 2 })
  })

  it('pairs deleted and inserted runs side by side, padding the shorter side', () => {
    const rows = splitRows(lines)
    expect(rows.map((row) => [row.left?.text ?? null, row.right?.text ?? null])).toEqual([
      ['Hello', 'Hello'],
      ['old a', 'new a'],
      ['old b', null],
      ['Bye', 'Bye'],
      [null, 'tail'],
    ])
    expect(splitRows([])).toEqual([])
  })

  it('formats changed metadata as plain text', () => {
    const labels = { none: '(none)', required: 'required' }
    expect(formatFieldValue('tags', ['a', 'b'], labels)).toBe('a, b')
    expect(formatFieldValue('tags', [], labels)).toBe('(none)')
    expect(formatFieldValue('category', null, labels)).toBe('(none)')
    expect(formatFieldValue('name', '<b>x</b>', labels)).toBe('<b>x</b>')
    expect(
      formatFieldValue(
        'variables',
        [
          { name: 'a', description: '', default: 'x', required: true },
          { name: 'b', description: '', default: null, required: false },
        ],
        labels,
      ),
    ).toBe('a (required, = x); b')
  })
})

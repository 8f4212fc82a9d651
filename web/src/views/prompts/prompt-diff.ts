import type { DiffLine, TemplateVariable } from '@/api/types'

export type DiffOp = DiffLine['op']

export function diffLineClass(op: DiffOp): string[] {
  return ['diff-line', `diff-line--${op}`]
}

export function diffMarker(op: DiffOp): string {
  if (op === 'insert') return '+'
  if (op === 'delete') return '-'
  return ' '
}

export function diffStats(lines: DiffLine[]): { added: number; removed: number } {
  let added = 0
  let removed = 0
  for (const line of lines) {
    if (line.op === 'insert') added++
    else if (line.op === 'delete') removed++
  }
  return { added, removed }
}

export interface SplitRow {
  left: DiffLine | null
  right: DiffLine | null
}

/**
 * Side-by-side rows: equal lines on both sides; a run of deleted lines is paired with the run of
 * inserted lines after it (the server sends each replaced block as deletes, then inserts).
 */
export function splitRows(lines: DiffLine[]): SplitRow[] {
  const rows: SplitRow[] = []
  let index = 0
  while (index < lines.length) {
    const line = lines[index]
    if (line.op === 'equal') {
      rows.push({ left: line, right: line })
      index++
      continue
    }
    const deleted: DiffLine[] = []
    const inserted: DiffLine[] = []
    while (index < lines.length && lines[index].op === 'delete') deleted.push(lines[index++])
    while (index < lines.length && lines[index].op === 'insert') inserted.push(lines[index++])
    for (let i = 0; i < Math.max(deleted.length, inserted.length); i++) {
      rows.push({ left: deleted[i] ?? null, right: inserted[i] ?? null })
    }
  }
  return rows
}

/** A changed metadata field's value as one line of plain text. */
export function formatFieldValue(field: string, value: unknown, labels: { none: string; required: string }): string {
  if (value === null || value === undefined || value === '') return labels.none
  if (field === 'tags' && Array.isArray(value)) return value.length ? value.join(', ') : labels.none
  if (field === 'variables' && Array.isArray(value)) {
    if (!value.length) return labels.none
    return (value as TemplateVariable[])
      .map((v) => {
        const extras = [v.required ? labels.required : '', v.default ? `= ${v.default}` : ''].filter(Boolean)
        return extras.length ? `${v.name} (${extras.join(', ')})` : v.name
      })
      .join('; ')
  }
  return typeof value === 'string' ? value : JSON.stringify(value)
}

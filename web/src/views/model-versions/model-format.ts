import type { BaseModelRead, ExportStatus, ModelVersionRead, ServeStatus } from '@/api/model-versions'

export type TagType = 'success' | 'warning' | 'danger' | 'info' | 'primary'

const UNITS: [number, string][] = [
  [1e12, 'T'],
  [1e9, 'B'],
  [1e6, 'M'],
  [1e3, 'K'],
]

/** 134515008 → "134.5M" (parameter counts as model cards write them). */
export function formatParameters(count: number | null | undefined, locale: string): string {
  if (count === null || count === undefined) return '—'
  const unit = UNITS.find(([size]) => count >= size)
  if (!unit) return String(count)
  const value = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(count / unit[0])
  return `${value}${unit[1]}`
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB']

export function formatBytes(bytes: number | null | undefined, locale: string): string {
  if (bytes === null || bytes === undefined) return '—'
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024
    unit += 1
  }
  const digits = unit === 0 ? 0 : 1
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value)} ${BYTE_UNITS[unit]}`
}

export function serveTagType(status: ServeStatus): TagType {
  return ({ serving: 'success', starting: 'warning', stopping: 'warning', error: 'danger', stopped: 'info' } as const)[
    status
  ]
}

export function exportTagType(status: ExportStatus): TagType {
  return ({ succeeded: 'success', running: 'warning', failed: 'danger', none: 'info' } as const)[status]
}

/** Something is changing on the server: keep polling. */
export function isBusy(version: ModelVersionRead): boolean {
  return version.status === 'starting' || version.status === 'stopping' || version.export_status === 'running'
}

export function canServe(version: ModelVersionRead): boolean {
  return version.status === 'stopped' || version.status === 'error'
}

export function canStop(version: ModelVersionRead): boolean {
  return version.status === 'starting' || version.status === 'serving' || version.status === 'error'
}

export function canExport(version: ModelVersionRead): boolean {
  return version.adapter_path !== null && version.export_status !== 'running'
}

export function baseModelName(baseModels: BaseModelRead[], id: number): string {
  return baseModels.find((model) => model.id === id)?.name ?? `#${id}`
}

/** Server error codes that belong to one field of the base model form. */
export function baseModelFieldOf(code: string): 'name' | 'path' | 'template' | null {
  if (code === 'base_model_name_taken') return 'name'
  if (code === 'unknown_template') return 'template'
  const pathCodes = [
    'path_outside_roots',
    'path_traversal',
    'path_not_absolute',
    'not_a_directory',
    'not_a_model_directory',
    'invalid_path',
  ]
  return pathCodes.includes(code) ? 'path' : null
}

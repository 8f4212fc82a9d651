import { describe, expect, it } from 'vitest'
import type { ModelVersionRead } from '@/api/model-versions'
import {
  baseModelFieldOf,
  baseModelName,
  canExport,
  canServe,
  canStop,
  exportTagType,
  formatBytes,
  formatParameters,
  isBusy,
  serveTagType,
} from './model-format'

function version(fields: Partial<ModelVersionRead> = {}): ModelVersionRead {
  return {
    id: 1,
    user_id: 1,
    name: 'v1',
    base_model_id: 3,
    adapter_path: '/data/adapter',
    model_path: null,
    template: 'smollm2',
    finetuning_type: 'lora',
    job_id: null,
    status: 'stopped',
    port: null,
    pid: null,
    provider_id: null,
    served_model_id: null,
    restarts: 0,
    last_error: null,
    served_at: null,
    export_status: 'none',
    export_dir: null,
    export_error: null,
    created_at: '2026-11-23T10:00:00Z',
    updated_at: '2026-11-23T10:00:00Z',
    ...fields,
  }
}

describe('model formatting', () => {
  it('writes parameter counts like model cards', () => {
    expect(formatParameters(134_515_008, 'en')).toBe('134.5M')
    expect(formatParameters(3_200_000, 'en')).toBe('3.2M')
    expect(formatParameters(7_000_000_000, 'en')).toBe('7B')
    expect(formatParameters(512, 'en')).toBe('512')
    expect(formatParameters(null, 'en')).toBe('—')
  })

  it('writes sizes in binary units', () => {
    expect(formatBytes(538 * 1024 * 1024, 'en')).toBe('538 MB')
    expect(formatBytes(1536, 'en')).toBe('1.5 KB')
    expect(formatBytes(12, 'en')).toBe('12 B')
    expect(formatBytes(undefined, 'en')).toBe('—')
  })

  it('colours statuses', () => {
    expect(serveTagType('serving')).toBe('success')
    expect(serveTagType('starting')).toBe('warning')
    expect(serveTagType('error')).toBe('danger')
    expect(exportTagType('succeeded')).toBe('success')
    expect(exportTagType('none')).toBe('info')
  })

  it('offers the actions the state allows', () => {
    expect([canServe(version()), canStop(version())]).toEqual([true, false])
    const serving = version({ status: 'serving' })
    expect([canServe(serving), canStop(serving)]).toEqual([false, true])
    const failed = version({ status: 'error' })
    expect([canServe(failed), canStop(failed)]).toEqual([true, true])
    expect(canExport(version())).toBe(true)
    expect(canExport(version({ adapter_path: null, model_path: '/full' }))).toBe(false)
    expect(canExport(version({ export_status: 'running' }))).toBe(false)
  })

  it('polls only while something changes', () => {
    expect(isBusy(version())).toBe(false)
    expect(isBusy(version({ status: 'starting' }))).toBe(true)
    expect(isBusy(version({ export_status: 'running' }))).toBe(true)
    expect(isBusy(version({ status: 'serving', export_status: 'succeeded' }))).toBe(false)
  })

  it('names base models and maps server errors to fields', () => {
    const models = [{ id: 3, name: 'SmolLM2' }] as Parameters<typeof baseModelName>[0]
    expect(baseModelName(models, 3)).toBe('SmolLM2')
    expect(baseModelName(models, 9)).toBe('#9')
    expect(baseModelFieldOf('path_outside_roots')).toBe('path')
    expect(baseModelFieldOf('unknown_template')).toBe('template')
    expect(baseModelFieldOf('base_model_name_taken')).toBe('name')
    expect(baseModelFieldOf('internal_error')).toBeNull()
  })
})

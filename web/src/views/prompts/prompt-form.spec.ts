import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/http'
import { makePromptTemplate } from '@/test/fixtures'
import {
  buildPreviewRequest,
  buildPromptCreate,
  buildPromptUpdate,
  detectVariables,
  emptyPromptForm,
  findPlaceholders,
  hasChanges,
  previewVariables,
  promptFormFrom,
  saveErrorTarget,
  templateErrorMessage,
  undeclaredVariables,
  unusedVariables,
  variableRow,
  variableRowProblem,
  variablesHaveProblems,
} from './prompt-form'

const names = (rows: { name: string }[]) => rows.map((row) => row.name)

describe('variable detection', () => {
  it('finds placeholders in order of first use, once each, spaces allowed', () => {
    expect(findPlaceholders('Hi {{name}}, {{ topic }} and {{name}} again; {{_x1}}')).toEqual(['name', 'topic', '_x1'])
  })

  it('leaves invalid names and broken braces alone, as the server does', () => {
    const body = '{{1abc}} {{foo-bar}} {{ a b }} {name} {{}} {{ ok }} {{{triple}}}'
    expect(findPlaceholders(body)).toEqual(['ok', 'triple'])
  })

  it('adds one required declaration per undeclared placeholder and keeps the existing rows', () => {
    const existing = variableRow({ name: 'topic', description: 'kept', default: 'x' })
    const rows = detectVariables('{{name}} on {{topic}} in {{lang}} by {{name}}', [existing])
    expect(names(rows)).toEqual(['topic', 'name', 'lang'])
    expect(rows[0]).toBe(existing)
    expect(rows[1]).toMatchObject({ name: 'name', required: true, default: '', description: '' })
    expect(new Set(rows.map((row) => row.key)).size).toBe(3)
    expect(detectVariables('{{topic}}', [existing])).toEqual([existing])
  })

  it('treats a declared name with stray spaces as declared and reports unused ones', () => {
    const rows = [variableRow({ name: ' topic ' }), variableRow({ name: 'spare' }), variableRow({ name: '' })]
    expect(undeclaredVariables('{{topic}} {{new}}', rows)).toEqual(['new'])
    expect(unusedVariables('{{topic}}', rows)).toEqual(['spare'])
  })

  it('flags missing, invalid and duplicate names, the duplicate on its second use', () => {
    const rows = ['ok', '', '9lives', 'ok', 'has space', 'x'.repeat(101)].map((name) => variableRow({ name }))
    expect(rows.map((_, i) => variableRowProblem(rows, i))).toEqual([
      null,
      'missingName',
      'invalidName',
      'duplicate',
      'invalidName',
      'tooLong',
    ])
    expect(variablesHaveProblems(rows)).toBe(true)
    expect(variablesHaveProblems([variableRow({ name: 'a' }), variableRow({ name: 'b' })])).toBe(false)
  })
})

describe('payloads', () => {
  it('builds a create payload with trimmed fields, null category and sharing only for admins', () => {
    const form = {
      ...emptyPromptForm(),
      name: '  Reviewer ',
      description: ' Reviews code ',
      category: '  ',
      tags: ['go', ' go ', '', 'rust'],
      body: 'Review {{code}}\n',
      variables: [variableRow({ name: ' code ', description: ' the diff ', default: '', required: true })],
      shared: true,
    }
    expect(buildPromptCreate(form, false)).toEqual({
      name: 'Reviewer',
      description: 'Reviews code',
      category: null,
      tags: ['go', 'rust'],
      body: 'Review {{code}}\n',
      variables: [{ name: 'code', description: 'the diff', default: null, required: true }],
      shared: false,
    })
    expect(buildPromptCreate(form, true).shared).toBe(true)
  })

  it('sends nothing (not even base_version) when the loaded form is unchanged', () => {
    const template = makePromptTemplate()
    const update = buildPromptUpdate(promptFormFrom(template), template, true)
    expect(update).toEqual({})
    expect(hasChanges(update)).toBe(false)
  })

  it('sends only the changed fields plus the version the edit started from', () => {
    const template = makePromptTemplate({ current_version: 4 })
    const form = promptFormFrom(template)
    form.body = 'Translate {{text}} into {{language}}, politely.'
    form.category = ''
    const update = buildPromptUpdate(form, template, false)
    expect(update).toEqual({ body: form.body, category: '', base_version: 4 })
    expect(hasChanges(update)).toBe(true)
  })

  it('sends variables when a declaration changes and sharing only when an admin changes it', () => {
    const template = makePromptTemplate()
    const form = promptFormFrom(template)
    form.variables[1].required = true
    form.shared = true
    form.tags = ['i18n', 'docs']
    expect(buildPromptUpdate(form, template, false)).toEqual({
      tags: ['i18n', 'docs'],
      variables: [
        { name: 'text', description: 'What to translate', default: null, required: true },
        { name: 'language', description: '', default: 'French', required: true },
      ],
      base_version: 2,
    })
    expect(buildPromptUpdate(form, template, true)).toMatchObject({ shared: true, base_version: 2 })
  })

  it('keeps only valid declarations and their non-empty sample values for the preview', () => {
    const rows = [
      variableRow({ name: 'a', default: 'A' }),
      variableRow({ name: 'bad name' }),
      variableRow({ name: 'b', required: true }),
      variableRow({ name: 'a' }),
    ]
    expect(buildPreviewRequest({ body: '{{a}} {{b}}', variables: rows }, { a: '1', b: '', gone: 'x' })).toEqual({
      body: '{{a}} {{b}}',
      variables: [
        { name: 'a', description: '', default: 'A', required: false },
        { name: 'b', description: '', default: null, required: true },
        { name: 'a', description: '', default: null, required: false },
      ],
      values: { a: '1' },
    })
    expect(names(previewVariables(rows))).toEqual(['a', 'b'])
  })
})

describe('errors', () => {
  const t = (key: string, named: Record<string, unknown>) => `${key}:${JSON.stringify(named)}`

  it('names the variables of a template problem in the current language', () => {
    const error = new ApiError(422, 'missing_variable', 'A value is required for: a, b.', { variables: ['a', 'b'] })
    expect(templateErrorMessage(error, t)).toBe('prompts.problems.missing_variable:{"names":"a, b"}')
    expect(templateErrorMessage(new ApiError(404, 'template_not_found', 'gone'), t)).toBe('gone')
  })

  it('sends each save error to where it belongs', () => {
    const error = (status: number, code: string, details: unknown = null) => new ApiError(status, code, code, details)
    expect(saveErrorTarget(error(422, 'undeclared_variable'))).toBe('variables')
    expect(saveErrorTarget(error(422, 'duplicate_variable'))).toBe('variables')
    expect(saveErrorTarget(error(403, 'sharing_requires_admin'))).toBe('shared')
    expect(saveErrorTarget(error(403, 'template_read_only'))).toBe('readOnly')
    expect(saveErrorTarget(error(409, 'version_conflict', { current_version: 5 }))).toBe('conflict')
    expect(saveErrorTarget(error(422, 'validation_error', [{ loc: ['body', 'name'], msg: 'too long' }]))).toBe('name')
    expect(saveErrorTarget(error(422, 'validation_error', [{ loc: ['body', 'body'], msg: 'short' }]))).toBe('body')
    expect(saveErrorTarget(error(422, 'validation_error', [{ loc: ['body', 'variables', 0, 'name'] }]))).toBe('variables')
    expect(saveErrorTarget(error(500, 'internal_error'))).toBe('general')
    expect(saveErrorTarget(new Error('x'))).toBe('general')
  })
})

import { ApiError } from '@/api/http'
import type {
  PreviewRequest,
  PromptTemplateCreate,
  PromptTemplateRead,
  PromptTemplateUpdate,
  TemplateVariable,
} from '@/api/types'

/** The same grammar as the server (`llmforge.prompts.rendering`): `{{ name }}`, spaces allowed. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g

export const MAX_NAME = 200
export const MAX_DESCRIPTION = 2000
export const MAX_CATEGORY = 100
export const MAX_TAGS = 20
export const MAX_TAG = 50
export const MAX_BODY = 100_000
export const MAX_VARIABLES = 50
export const MAX_VARIABLE_NAME = 100

export interface VariableRow {
  /** Stable key for v-for; never sent. */
  key: number
  name: string
  description: string
  /** Empty means no default (the server treats "" and null alike). */
  default: string
  required: boolean
}

export interface PromptFormState {
  name: string
  description: string
  category: string
  tags: string[]
  body: string
  variables: VariableRow[]
  shared: boolean
}

let nextKey = 1

export function variableRow(fields: Partial<Omit<VariableRow, 'key'>> = {}): VariableRow {
  return { key: nextKey++, name: '', description: '', default: '', required: false, ...fields }
}

export function emptyPromptForm(): PromptFormState {
  return { name: '', description: '', category: '', tags: [], body: '', variables: [], shared: false }
}

export function promptFormFrom(
  source: Pick<PromptTemplateRead, 'name' | 'description' | 'category' | 'tags' | 'body' | 'variables'> & {
    shared?: boolean
  },
): PromptFormState {
  return {
    name: source.name,
    description: source.description,
    category: source.category ?? '',
    tags: [...source.tags],
    body: source.body,
    variables: source.variables.map((v) =>
      variableRow({ name: v.name, description: v.description, default: v.default ?? '', required: v.required }),
    ),
    shared: source.shared ?? false,
  }
}

/** The variable names a body uses, in order of first use, each once. Invalid names stay literal text. */
export function findPlaceholders(body: string): string[] {
  return [...new Set(Array.from(body.matchAll(PLACEHOLDER), (match) => match[1]))]
}

/** Placeholders in the body without a declaration (what "detect variables" would add). */
export function undeclaredVariables(body: string, rows: VariableRow[]): string[] {
  const declared = new Set(rows.map((row) => row.name.trim()))
  return findPlaceholders(body).filter((name) => !declared.has(name))
}

/** Declared names the body does not use (allowed, but worth a hint). */
export function unusedVariables(body: string, rows: VariableRow[]): string[] {
  const used = new Set(findPlaceholders(body))
  return rows.map((row) => row.name.trim()).filter((name) => name && !used.has(name))
}

/**
 * The rows plus one declaration (required, no default) for each placeholder that has none yet,
 * in body order. Existing rows are kept as they are, duplicates and all.
 */
export function detectVariables(body: string, rows: VariableRow[]): VariableRow[] {
  const missing = undeclaredVariables(body, rows)
  const room = Math.max(0, MAX_VARIABLES - rows.length)
  return [...rows, ...missing.slice(0, room).map((name) => variableRow({ name, required: true }))]
}

export type VariableProblem = 'missingName' | 'invalidName' | 'tooLong' | 'duplicate'

/** The first problem of a variable row, or null; the second and later use of a name is the duplicate. */
export function variableRowProblem(rows: VariableRow[], index: number): VariableProblem | null {
  const name = rows[index].name.trim()
  if (!name) return 'missingName'
  if (name.length > MAX_VARIABLE_NAME) return 'tooLong'
  if (!VARIABLE_NAME.test(name)) return 'invalidName'
  if (rows.slice(0, index).some((other) => other.name.trim() === name)) return 'duplicate'
  return null
}

export function variablesHaveProblems(rows: VariableRow[]): boolean {
  return rows.some((_, index) => variableRowProblem(rows, index) !== null)
}

export function toVariables(rows: VariableRow[]): TemplateVariable[] {
  return rows.map((row) => ({
    name: row.name.trim(),
    description: row.description.trim(),
    default: row.default === '' ? null : row.default,
    required: row.required,
  }))
}

function normalizeVariables(variables: TemplateVariable[]): TemplateVariable[] {
  return variables.map((v) => ({
    name: v.name,
    description: v.description ?? '',
    default: v.default === '' || v.default === undefined ? null : v.default,
    required: v.required ?? false,
  }))
}

function normalizeTags(tags: string[]): string[] {
  return [...new Set(tags.map((tag) => tag.trim()).filter(Boolean))]
}

export function buildPromptCreate(form: PromptFormState, canShare: boolean): PromptTemplateCreate {
  const category = form.category.trim()
  return {
    name: form.name.trim(),
    description: form.description.trim(),
    category: category || null,
    tags: normalizeTags(form.tags),
    body: form.body,
    variables: toVariables(form.variables),
    shared: canShare && form.shared,
  }
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/**
 * Only the fields that changed, plus `base_version` (the version the edit started from) so that
 * the server refuses to overwrite someone else's newer version (409 `version_conflict`).
 */
export function buildPromptUpdate(
  form: PromptFormState,
  original: PromptTemplateRead,
  canShare: boolean,
): PromptTemplateUpdate {
  const body: PromptTemplateUpdate = {}
  const name = form.name.trim()
  if (name !== original.name) body.name = name
  const description = form.description.trim()
  if (description !== original.description) body.description = description
  const category = form.category.trim()
  if (category !== (original.category ?? '')) body.category = category
  const tags = normalizeTags(form.tags)
  if (!sameJson(tags, original.tags)) body.tags = tags
  if (form.body !== original.body) body.body = form.body
  const variables = toVariables(form.variables)
  if (!sameJson(variables, normalizeVariables(original.variables))) body.variables = variables
  if (canShare && form.shared !== original.shared) body.shared = form.shared
  if (Object.keys(body).length > 0) body.base_version = original.current_version
  return body
}

export function hasChanges(update: PromptTemplateUpdate): boolean {
  return Object.keys(update).some((key) => key !== 'base_version')
}

/** What the live preview sends: valid declarations only, and sample values only for them. */
export function buildPreviewRequest(form: Pick<PromptFormState, 'body' | 'variables'>, values: Record<string, string>): PreviewRequest {
  const variables = toVariables(form.variables).filter((v) => VARIABLE_NAME.test(v.name) && v.name.length <= MAX_VARIABLE_NAME)
  const declared = new Set(variables.map((v) => v.name))
  const sample: Record<string, string> = {}
  for (const [name, value] of Object.entries(values)) {
    if (declared.has(name) && value !== '') sample[name] = value
  }
  return { body: form.body, variables, values: sample }
}

/** The distinct valid variable names, in declaration order (one preview input each). */
export function previewVariables(rows: VariableRow[]): TemplateVariable[] {
  const seen = new Set<string>()
  return toVariables(rows).filter((v) => {
    if (!VARIABLE_NAME.test(v.name) || seen.has(v.name)) return false
    seen.add(v.name)
    return true
  })
}

export const TEMPLATE_PROBLEMS = [
  'undeclared_variable',
  'duplicate_variable',
  'missing_variable',
  'unknown_variable',
  'rendered_too_long',
] as const
export type TemplateProblemCode = (typeof TEMPLATE_PROBLEMS)[number]

type Translate = (key: string, named: Record<string, unknown>) => string

/** Variable names an error names (`details.variables` of the template problems). */
export function problemVariables(error: ApiError): string[] {
  const details = error.details as { variables?: unknown } | null
  return Array.isArray(details?.variables) ? details.variables.filter((v): v is string => typeof v === 'string') : []
}

/** A template problem in the current language, naming its variables; anything else keeps the server's message. */
export function templateErrorMessage(error: unknown, t: Translate): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error)
  if ((TEMPLATE_PROBLEMS as readonly string[]).includes(error.code)) {
    return t(`prompts.problems.${error.code}`, { names: problemVariables(error).join(', ') })
  }
  return error.message
}

/** Where a save error belongs in the editor. */
export type SaveErrorTarget = 'name' | 'body' | 'variables' | 'shared' | 'conflict' | 'readOnly' | 'general'

export function saveErrorTarget(error: unknown): SaveErrorTarget {
  if (!(error instanceof ApiError)) return 'general'
  switch (error.code) {
    case 'undeclared_variable':
    case 'duplicate_variable':
      return 'variables'
    case 'sharing_requires_admin':
      return 'shared'
    case 'version_conflict':
      return 'conflict'
    case 'template_read_only':
      return 'readOnly'
  }
  if (error.code === 'validation_error' && Array.isArray(error.details)) {
    const loc = (error.details[0] as { loc?: unknown[] } | undefined)?.loc ?? []
    const field = loc[0] === 'body' ? loc[1] : loc[0]
    if (field === 'name') return 'name'
    if (field === 'body') return 'body'
    if (field === 'variables') return 'variables'
  }
  return 'general'
}

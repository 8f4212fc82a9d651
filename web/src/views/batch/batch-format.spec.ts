import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/http'
import { cellScores, formatEta, isActiveRun, meanScore, progressPercent, progressStatus, uploadProblems } from './batch-format'
import { scorersBody, newScorer } from './use-batch'

describe('upload problems', () => {
  it('maps a 422 invalid_test_set to row-numbered problems', () => {
    const error = new ApiError(422, 'invalid_test_set', 'The test set has 3 problems', {
      errors: [
        { row: 2, message: 'prompt is empty' },
        { row: null, message: 'missing prompt column' },
      ],
      error_count: 3,
    })
    expect(uploadProblems(error)).toEqual({
      message: 'The test set has 3 problems',
      errors: [
        { row: 2, message: 'prompt is empty' },
        { row: null, message: 'missing prompt column' },
      ],
      total: 3,
    })
  })

  it('falls back to the message, and ignores what is not a validation error', () => {
    expect(uploadProblems(new ApiError(422, 'file_required', 'Attach a file'))).toEqual({
      message: 'Attach a file',
      errors: [{ row: null, message: 'Attach a file' }],
      total: 1,
    })
    expect(uploadProblems(new ApiError(500, 'x', 'y'))).toBeNull()
    expect(uploadProblems(new Error('z'))).toBeNull()
  })
})

describe('progress and ETA', () => {
  it('formats an ETA', () => {
    expect(formatEta(null)).toBeNull()
    expect(formatEta(-1)).toBeNull()
    expect(formatEta(0)).toBe('0s')
    expect(formatEta(42.4)).toBe('42s')
    expect(formatEta(185)).toBe('3m 05s')
    expect(formatEta(7260)).toBe('2h 01m')
  })

  it('clamps the percentage and maps statuses', () => {
    expect(progressPercent(33.333)).toBe(33.3)
    expect(progressPercent(140)).toBe(100)
    expect(progressPercent(null)).toBe(0)
    expect(isActiveRun('queued')).toBe(true)
    expect(isActiveRun('running')).toBe(true)
    expect(isActiveRun('completed')).toBe(false)
    expect(progressStatus('completed')).toBe('success')
    expect(progressStatus('failed')).toBe('exception')
    expect(progressStatus('running')).toBe('')
  })
})

describe('scorers and scores', () => {
  it('builds scorer bodies with unique names', () => {
    const regex = { ...newScorer('regex'), pattern: '^4$', ignoreCase: true }
    const judge = { ...newScorer('judge'), judgeModelId: 7, rubric: 'Be right' }
    expect(scorersBody([newScorer('exact'), newScorer('contains'), newScorer('contains'), regex, newScorer('similarity'), judge])).toEqual([
      { type: 'exact', normalize: true },
      { type: 'contains', normalize: true },
      { type: 'contains', normalize: true, name: 'contains-2' },
      { type: 'regex', pattern: '^4$', ignore_case: true },
      { type: 'similarity', threshold: 0.8 },
      { type: 'judge', judge_model_id: 7, rubric: 'Be right' },
    ])
  })

  it('averages the scorer means of a model', () => {
    const base = {
      model_id: 1, model_name: 'm', provider_name: 'p', cells: 2, done: 2, errors: 0,
      mean_latency_ms: 1, p95_latency_ms: 1, mean_ttft_ms: 1, input_tokens: 0, output_tokens: 0, total_cost: null,
    }
    expect(meanScore({ ...base, scores: { exact: 1, contains: 0.5, judge: null } })).toBe(0.75)
    expect(meanScore({ ...base, scores: {} })).toBeNull()
  })
})

describe('cell scores', () => {
  it('lists each scorer with its score, verdict and reason', () => {
    expect(
      cellScores({
        judge: { score: 4, passed: null, reason: 'Close enough.' },
        similarity: { score: 0.83333, passed: true, reason: null },
        regex: { score: null, passed: null, reason: '  ' },
        legacy: 1,
      }),
    ).toEqual([
      { name: 'judge', score: 4, passed: null, reason: 'Close enough.' },
      { name: 'similarity', score: 0.833, passed: true, reason: null },
      { name: 'regex', score: null, passed: null, reason: null },
      { name: 'legacy', score: 1, passed: null, reason: null },
    ])
  })
})

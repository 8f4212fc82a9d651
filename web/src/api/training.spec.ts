import { describe, expect, it } from 'vitest'
import { parseJobEvent } from './training'

describe('parseJobEvent', () => {
  it('reads the named events of a job stream', () => {
    expect(parseJobEvent({ id: '', event: 'metric', data: '{"points":[{"id":3,"step":1,"values":{"loss":1.5}}]}' })).toEqual({
      event: 'metric',
      data: { points: [{ id: 3, step: 1, values: { loss: 1.5 } }] },
    })
    expect(parseJobEvent({ id: '', event: 'end', data: '{"status":"succeeded"}' })?.event).toBe('end')
  })

  it('ignores keep-alives and unknown events', () => {
    expect(parseJobEvent({ id: '', event: '', data: '' })).toBeNull()
    expect(parseJobEvent({ id: '', event: 'other', data: '{}' })).toBeNull()
  })
})

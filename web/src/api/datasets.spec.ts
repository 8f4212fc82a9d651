import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { installFakeFetch, json } from '@/test/fake-fetch'
import { installFakeXhr } from '@/test/fake-xhr'
import { makeSession } from '@/test/fixtures'
import { datasetsApi, type DatasetUploadParams } from './datasets'
import { ApiError, getAccessToken, setAccessToken } from './http'

vi.mock('element-plus', () => ({ ElMessage: { error: vi.fn(), success: vi.fn() } }))

const PARAMS: DatasetUploadParams = {
  filename: 'qa.jsonl',
  name: '',
  format: 'auto',
  split_percent: 10,
  split_seed: 42,
  cutoff_len: 1024,
}
const FILE = new Blob(['{"instruction": "q", "output": "a"}\n'])

beforeEach(() => setAccessToken('tok'))
afterEach(() => setAccessToken(null))

describe('datasetsApi.upload', () => {
  it('sends the file as the body with the token and reports progress', async () => {
    const fake = installFakeXhr((xhr) => xhr.finish(201, { id: 3, name: 'qa' }, [25, 100]))
    const progress: number[] = []

    const created = await datasetsApi.upload(FILE, PARAMS, (fraction) => progress.push(fraction))

    expect(created).toEqual({ id: 3, name: 'qa' })
    expect(progress).toEqual([0.25, 1])
    const [xhr] = fake.sent
    expect(xhr.method).toBe('POST')
    expect(xhr.url).toBe('/api/datasets?filename=qa.jsonl&format=auto&split_percent=10&split_seed=42&cutoff_len=1024')
    expect(xhr.headers.Authorization).toBe('Bearer tok')
    expect(xhr.headers['Content-Type']).toBe('application/octet-stream')
    expect(xhr.body).toBe(FILE)
  })

  it('rejects with the server error and its line-numbered details', async () => {
    const details = { errors: [{ line: 2, message: "'output' is missing." }], error_count: 1 }
    installFakeXhr((xhr) =>
      xhr.finish(422, { code: 'invalid_dataset', message: '1 record(s) are not valid (line 2).', details }),
    )

    const error = await datasetsApi.upload(FILE, PARAMS).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ status: 422, code: 'invalid_dataset', details })
  })

  it('renews an expired session once and sends the file again', async () => {
    const fake = installFakeXhr((xhr) => (xhr.headers.Authorization === 'Bearer new' ? xhr.finish(201, { id: 1 }) : xhr.finish(401, {})))
    installFakeFetch(() => json(200, makeSession('new')))

    await expect(datasetsApi.upload(FILE, PARAMS)).resolves.toEqual({ id: 1 })

    expect(fake.sent.map((xhr) => xhr.headers.Authorization)).toEqual(['Bearer tok', 'Bearer new'])
    expect(getAccessToken()).toBe('new')
  })

  it('turns a non-JSON failure and a network error into ApiErrors', async () => {
    installFakeXhr((xhr) => {
      xhr.status = 502
      xhr.responseText = '<html>bad gateway</html>'
      xhr.onload?.()
    })
    await expect(datasetsApi.upload(FILE, PARAMS)).rejects.toMatchObject({ status: 502, code: 'http_error' })

    installFakeXhr((xhr) => xhr.onerror?.())
    await expect(datasetsApi.upload(FILE, PARAMS)).rejects.toMatchObject({ status: 0, code: 'network_error' })
  })

  it('aborts with the signal', async () => {
    const controller = new AbortController()
    installFakeXhr(() => controller.abort())
    await expect(datasetsApi.upload(FILE, PARAMS, undefined, controller.signal)).rejects.toMatchObject({
      code: 'aborted',
    })
  })
})

import { vi } from 'vitest'

/** A stand-in for XMLHttpRequest: records each request and answers with `respond`. */
export class FakeXhr {
  static sent: FakeXhr[] = []
  static respond: (xhr: FakeXhr) => void = () => {}

  method = ''
  url = ''
  headers: Record<string, string> = {}
  body: unknown = null
  status = 0
  responseText = ''
  upload: { onprogress: ((event: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = {
    onprogress: null,
  }
  onload: (() => void) | null = null
  onerror: (() => void) | null = null
  onabort: (() => void) | null = null

  open(method: string, url: string): void {
    this.method = method
    this.url = url
  }

  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value
  }

  send(body: unknown): void {
    this.body = body
    FakeXhr.sent.push(this)
    queueMicrotask(() => FakeXhr.respond(this))
  }

  abort(): void {
    this.onabort?.()
  }

  /** Report upload progress, then finish with `status` and a JSON body. */
  finish(status: number, body: unknown, progress: number[] = []): void {
    for (const loaded of progress) this.upload.onprogress?.({ lengthComputable: true, loaded, total: 100 })
    this.status = status
    this.responseText = JSON.stringify(body)
    this.onload?.()
  }
}

export function installFakeXhr(respond: (xhr: FakeXhr) => void): typeof FakeXhr {
  FakeXhr.sent = []
  FakeXhr.respond = respond
  vi.stubGlobal('XMLHttpRequest', FakeXhr)
  return FakeXhr
}

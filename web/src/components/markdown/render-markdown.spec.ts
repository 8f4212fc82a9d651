import { describe, expect, it } from 'vitest'
import { renderMarkdown, sanitizeHtml } from './render-markdown'

function dom(html: string): HTMLElement {
  const host = document.createElement('div')
  host.innerHTML = html
  return host
}

function everyAttribute(host: HTMLElement): string[] {
  return [...host.querySelectorAll('*')].flatMap((el) => [...el.attributes].map((a) => `${a.name}=${a.value}`))
}

describe('renderMarkdown', () => {
  it('renders markdown: emphasis, lists, tables, inline code', () => {
    const host = dom(renderMarkdown('**bold** and `code`\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |'))
    expect(host.querySelector('strong')?.textContent).toBe('bold')
    expect(host.querySelector('code')?.textContent).toBe('code')
    expect(host.querySelectorAll('li')).toHaveLength(2)
    expect(host.querySelector('table td')?.textContent).toBe('1')
  })

  it('renders fenced code with highlighting, a language label and a copy button', () => {
    const host = dom(renderMarkdown('```python\ndef f(x):\n    return x < 1\n```', { copy: 'Copy code' }))
    const block = host.querySelector('.md-code')!
    expect(block).not.toBeNull()
    expect(block.querySelector('[data-testid="code-language"]')?.textContent).toBe('python')
    const copy = block.querySelector('button[data-testid="code-copy"]')
    expect(copy?.textContent).toBe('Copy code')
    expect(copy?.hasAttribute('data-code-copy')).toBe(true)
    const code = block.querySelector('pre code')!
    expect(code.classList.contains('language-python')).toBe(true)
    expect(code.querySelector('.hljs-keyword')?.textContent).toBe('def')
    expect(code.textContent).toBe('def f(x):\n    return x < 1\n')
  })

  it('escapes code in an unknown language and labels a block without one', () => {
    const host = dom(renderMarkdown('```nosuchlang\n<b>x</b>\n```\n\n```\nplain\n```'))
    const blocks = host.querySelectorAll('.md-code')
    expect(blocks).toHaveLength(2)
    expect(blocks[0]!.querySelector('b')).toBeNull()
    expect(blocks[0]!.querySelector('code')?.textContent).toBe('<b>x</b>\n')
    expect(blocks[1]!.querySelector('[data-testid="code-language"]')?.textContent).toBe('text')
  })

  it('renders an image with an onerror handler inert', () => {
    const html = renderMarkdown('<img src=x onerror=alert(1)>')
    const host = dom(html)
    expect(host.querySelector('img')).toBeNull()
    expect(everyAttribute(host).some((a) => a.startsWith('onerror'))).toBe(false)
    expect(host.textContent).toContain('<img src=x onerror=alert(1)>')
  })

  it('never outputs a script element', () => {
    const host = dom(renderMarkdown('before <script>alert(1)</script> after\n\n<script>alert(2)</script>'))
    expect(host.querySelector('script')).toBeNull()
    expect(host.textContent).toContain('alert(1)')
  })

  it('does not make javascript: links', () => {
    for (const source of [
      '[x](javascript:alert(1))',
      '[x](JaVaScRiPt:alert(1))',
      '[x](  javascript:alert(1))',
      '<a href="javascript:alert(1)">x</a>',
      '<javascript:alert(1)>',
      '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    ]) {
      const host = dom(renderMarkdown(source))
      for (const link of host.querySelectorAll('a')) {
        expect(link.getAttribute('href') ?? '').not.toMatch(/^\s*(javascript|data):/i)
      }
      expect(everyAttribute(host).some((a) => /javascript:/i.test(a))).toBe(false)
    }
  })

  it('opens links in a new tab without opener or referrer', () => {
    const host = dom(renderMarkdown('[docs](https://example.com/a) and https://example.org'))
    const links = host.querySelectorAll('a')
    expect(links).toHaveLength(2)
    for (const link of links) {
      expect(link.getAttribute('target')).toBe('_blank')
      expect(link.getAttribute('rel')).toBe('noopener noreferrer')
    }
    expect(links[0]!.getAttribute('href')).toBe('https://example.com/a')
  })
})

describe('sanitizeHtml', () => {
  it('strips handlers, scripts, javascript: URLs and inline styles from any HTML', () => {
    const host = dom(
      sanitizeHtml(
        '<img src=x onerror=alert(1)><script>alert(1)</script><a href="javascript:alert(1)">x</a>' +
          '<p style="position:fixed" onclick="alert(1)">p</p><iframe src="https://evil"></iframe>' +
          '<svg><script>alert(1)</script></svg>',
      ),
    )
    expect(host.querySelector('script')).toBeNull()
    expect(host.querySelector('iframe')).toBeNull()
    const attributes = everyAttribute(host)
    expect(attributes.some((a) => /^on/i.test(a))).toBe(false)
    expect(attributes.some((a) => /javascript:/i.test(a))).toBe(false)
    expect(attributes.some((a) => a.startsWith('style='))).toBe(false)
    expect(host.querySelector('a')?.getAttribute('rel')).toBe('noopener noreferrer')
    // A relative image source is dropped: only http(s) images load.
    expect(host.querySelector('img')?.hasAttribute('src')).toBe(false)
  })
})

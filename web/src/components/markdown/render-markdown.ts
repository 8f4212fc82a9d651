import DOMPurify from 'dompurify'
import MarkdownIt from 'markdown-it'
import { highlightCode } from './highlight'

/**
 * Model output → safe HTML. Two layers:
 * 1. markdown-it with `html: false` (raw HTML in the text is shown as text) and its link
 *    validation (javascript:, vbscript:, file: and most data: URLs are not turned into links);
 * 2. DOMPurify on the result, always: no script, no event handler attribute, no javascript: URL,
 *    no inline style, whatever the renderer above produced.
 * Links open in a new tab without access to this window (rel="noopener noreferrer").
 */

export interface MarkdownLabels {
  /** Text of the copy button on code blocks. */
  copy: string
  /** Language label of a code block without one. */
  plainText: string
}

const DEFAULT_LABELS: MarkdownLabels = { copy: 'Copy', plainText: 'text' }

/** Attributes a code block's copy button carries; the view copies on clicks on it. */
export const CODE_COPY_ATTR = 'data-code-copy'

const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false })
const escapeHtml = md.utils.escapeHtml

let labels: MarkdownLabels = DEFAULT_LABELS

md.renderer.rules.fence = (tokens, index) => {
  const token = tokens[index]!
  const language = token.info.trim().split(/\s+/)[0]?.toLowerCase() ?? ''
  const code = token.content
  const highlighted = highlightCode(code, language)
  const body = highlighted ?? escapeHtml(code)
  const label = escapeHtml(language || labels.plainText)
  const languageClass = language ? ` language-${escapeHtml(language)}` : ''
  return (
    `<div class="md-code">` +
    `<div class="md-code__header"><span class="md-code__lang" data-testid="code-language">${label}</span>` +
    `<button type="button" class="md-code__copy" data-testid="code-copy" ${CODE_COPY_ATTR}="">` +
    `${escapeHtml(labels.copy)}</button></div>` +
    `<pre><code class="hljs${languageClass}">${body}</code></pre>` +
    `</div>\n`
  )
}

const purifier = DOMPurify()
const SAFE_URL = /^(?:https?:|mailto:|#|\/(?!\/))/i

purifier.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName === 'A') {
    const href = node.getAttribute('href')
    if (href !== null && !SAFE_URL.test(href.trim())) node.removeAttribute('href')
    node.setAttribute('target', '_blank')
    node.setAttribute('rel', 'noopener noreferrer')
  }
  if (node.nodeName === 'IMG') {
    const src = node.getAttribute('src')
    if (src !== null && !/^https?:/i.test(src.trim())) node.removeAttribute('src')
    node.setAttribute('referrerpolicy', 'no-referrer')
    node.setAttribute('loading', 'lazy')
  }
})

const PURIFY_CONFIG = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ['style', 'form', 'input', 'textarea', 'select', 'iframe', 'object', 'embed'],
  FORBID_ATTR: ['style'],
  ADD_ATTR: ['target'],
}

/** Sanitize HTML that is to be put into the page. */
export function sanitizeHtml(html: string): string {
  return purifier.sanitize(html, PURIFY_CONFIG)
}

/** Render model output (markdown) to sanitized HTML. */
export function renderMarkdown(source: string, overrides?: Partial<MarkdownLabels>): string {
  labels = { ...DEFAULT_LABELS, ...overrides }
  try {
    return sanitizeHtml(md.render(source))
  } finally {
    labels = DEFAULT_LABELS
  }
}

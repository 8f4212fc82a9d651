import { computed, onScopeDispose, ref } from 'vue'
import {
  knowledgeApi,
  type KnowledgeBaseCreate,
  type KnowledgeBaseRead,
  type KnowledgeDocumentRead,
  type RetrievalResult,
} from '@/api/knowledge'
import { modelsApi } from '@/api/models'
import type { ModelRead } from '@/api/types'

export const POLL_MS = 1000

/** Models that can embed (the knowledge base's embedding model must be one). */
export function embeddingModels(models: ModelRead[]): ModelRead[] {
  return models.filter((model) => model.capabilities.includes('embedding'))
}

export function isBusy(doc: Pick<KnowledgeDocumentRead, 'status'>): boolean {
  return doc.status === 'queued' || doc.status === 'processing'
}

/** The list page: knowledge bases and what creating one needs. */
export function useKnowledgeList() {
  const items = ref<KnowledgeBaseRead[]>([])
  const models = ref<ModelRead[]>([])
  const loading = ref(false)

  async function load(): Promise<void> {
    loading.value = true
    try {
      const [page, visible] = await Promise.all([knowledgeApi.list(), modelsApi.list()])
      items.value = page.items
      models.value = embeddingModels(visible)
    } finally {
      loading.value = false
    }
  }

  async function create(body: KnowledgeBaseCreate): Promise<KnowledgeBaseRead> {
    const created = await knowledgeApi.create(body)
    items.value = [created, ...items.value]
    return created
  }

  async function remove(id: number): Promise<void> {
    await knowledgeApi.remove(id)
    items.value = items.value.filter((kb) => kb.id !== id)
  }

  return { items, models, loading, load, create, remove }
}

/** One knowledge base: its documents (polled while any is being indexed) and retrieval tests. */
export function useKnowledgeBase(id: number) {
  const kb = ref<KnowledgeBaseRead | null>(null)
  const documents = ref<KnowledgeDocumentRead[]>([])
  const result = ref<RetrievalResult | null>(null)
  const searching = ref(false)
  let timer: ReturnType<typeof setTimeout> | null = null

  const busy = computed(() => documents.value.some(isBusy))

  async function refresh(): Promise<void> {
    const [base, docs] = await Promise.all([knowledgeApi.get(id), knowledgeApi.documents(id)])
    kb.value = base
    documents.value = docs
    schedule()
  }

  function schedule(): void {
    if (timer) clearTimeout(timer)
    timer = busy.value ? setTimeout(() => void refresh(), POLL_MS) : null
  }

  async function upload(file: File): Promise<KnowledgeDocumentRead> {
    const doc = await knowledgeApi.upload(id, file, file.name)
    documents.value = [doc, ...documents.value]
    schedule()
    return doc
  }

  async function reindex(documentId: number): Promise<void> {
    await knowledgeApi.reindex(id, documentId)
    await refresh()
  }

  async function removeDocument(documentId: number): Promise<void> {
    await knowledgeApi.removeDocument(id, documentId)
    await refresh()
  }

  async function download(doc: KnowledgeDocumentRead): Promise<void> {
    const blob = await knowledgeApi.download(id, doc.id)
    const url = URL.createObjectURL(blob)
    const link = document.createElement('a')
    link.href = url
    link.download = doc.filename
    link.click()
    URL.revokeObjectURL(url)
  }

  async function retrieve(query: string, topK: number): Promise<void> {
    searching.value = true
    try {
      result.value = await knowledgeApi.retrieve(id, { query, top_k: topK })
    } finally {
      searching.value = false
    }
  }

  onScopeDispose(() => {
    if (timer) clearTimeout(timer)
  })

  return { kb, documents, result, searching, busy, refresh, upload, reindex, removeDocument, download, retrieve }
}
